/* chorus-peer-private.h: what the parts of ChorusPeer share: chorus-peer.c
 * (the object, its thread, the overlay operations) and chorus-peer-phone.c
 * (the calls, chorus-phone.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-peer.h"
#include "chorus-phone.h"

G_BEGIN_DECLS

/* Runs in the peer's thread with its shell and phone (NULL without an
 * AOR); @task is the caller's, to return on (its result comes on the
 * caller's context). */
typedef void (*ChorusPeerThreadFunc) (ChorusPeer *peer, ReloadPeerShell *shell, ChorusPhone *phone,
                                      GTask *task);

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
} ChorusPeerPhoneSettings;

void chorus_peer_phone_settings_clear (ChorusPeerPhoneSettings *settings);
ChorusPeerPhoneSettings *chorus_peer_get_phone_settings (ChorusPeer *peer);

G_END_DECLS
