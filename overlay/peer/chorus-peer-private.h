/* chorus-peer-private.h: what the parts of ChorusPeer share: chorus-peer.c
 * (the object, its thread, the overlay operations) and chorus-peer-phone.c
 * (the calls, chorus-phone.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-peer.h"
#include "chorus-phone.h"
#include "chorus-sip-adapter.h"

G_BEGIN_DECLS

/* Runs in the peer's thread with its shell, phone (NULL without an AOR)
 * and adapter (NULL without --sip-adapter); @task is the caller's, to return on (its result comes on the
 * caller's context). */
typedef void (*ChorusPeerThreadFunc) (ChorusPeer *peer, ReloadPeerShell *shell, ChorusPhone *phone,
                                      ChorusSipAdapter *adapter, GTask *task);

/* Hands @task (source tag set, task data set by the caller) to the
 * thread, where @func runs; NOT_RUNNING when the peer is not running. */
void chorus_peer_run_in_thread (ChorusPeer *peer, GTask *task, ChorusPeerThreadFunc func);

/* The phone's configuration, given before start (chorus-peer-phone.c). */
typedef struct
{
  gboolean enabled;
  char *aor;
  gboolean auto_answer;
  char *play;
  char *record;
  gboolean echo_cancel;
  char *source; /* chorus_peer_set_audio() */
  char *sink;
  /* the adapter for plain SIP phones instead (chorus-sip-adapter.h) */
  char *adapter_listen;
  ChorusAdapterUsers *adapter_users;
} ChorusPeerPhoneSettings;

void chorus_peer_phone_settings_clear (ChorusPeerPhoneSettings *settings);
ChorusPeerPhoneSettings *chorus_peer_get_phone_settings (ChorusPeer *peer);
/* In the thread, once the shell is made: the phone or the adapter the
 * settings ask for (both NULL for none). */
gboolean chorus_peer_calls_start (ChorusPeerPhoneSettings *settings, ReloadPeerShell *shell,
                                  void (*changed) (gpointer user_data), gpointer changed_data,
                                  ChorusPhone **phone, ChorusSipAdapter **adapter, GError **error);
/* Before start: the profile's credentials (for the adapter's users). */
const ReloadCredentials *chorus_peer_get_credentials (ChorusPeer *peer);
const char *chorus_peer_get_profile_dir (ChorusPeer *peer);

/* In the thread: the status JSON (chorus-peer-status.c). */
JsonNode *chorus_peer_status_json (ReloadPeerShell *shell, guint config_sequence,
                                   const ReloadNodeConfig *node_template);

G_END_DECLS
