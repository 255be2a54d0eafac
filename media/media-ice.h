/* media-ice.h: the ICE agent of one call (RFC 8445; libnice), separate
 * from the overlay's links: one stream of one component, since RTP and
 * RTCP share it (rtcp-mux, RFC 5761) and DTLS runs on it too (RFC 5764
 * §5.1.2).
 *
 * The agent and its sockets run on an I/O thread of their own, so that
 * audio keeps flowing while the owner's main loop is busy (a GTK frame, a
 * database write).  On that thread every datagram is demultiplexed by its
 * first byte (RFC 7983 §7, RFC 5764 §5.1.2):
 *
 *   0..3     STUN         libnice's own (never seen here)
 *   20..63   DTLS         handed to the owner's context (`dtls`)
 *   128..191 RTP / RTCP   handed over at once on the I/O thread (`media`),
 *                         RTCP told from RTP by the payload type byte
 *                         (RFC 5761 §4: 192..223)
 *   anything else         dropped
 *
 * Every callback except `media` runs on the thread-default GMainContext of
 * the creating thread; the object may be freed from inside one of them.
 * media_ice_send() may be called from any thread while the object lives.
 *
 * Candidates travel as RFC 8839 §5.1 candidate-attribute strings
 * (media-candidate.h); the credentials as the ice-ufrag and ice-pwd
 * values of RFC 8839 §5.4.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Remote candidates taken for one call (hostile input). */
#define MEDIA_ICE_MAX_REMOTE_CANDIDATES 64
/* DTLS datagrams waiting for the owner's context. */
#define MEDIA_ICE_MAX_QUEUED_DTLS 32

typedef struct
{
  gboolean controlling; /* RFC 8445 §6.1.1: the offerer's agent, normally */
  /* the only addresses to gather host candidates on (numeric, e.g.
   * "127.0.0.1", which libnice skips otherwise); NULL: every interface */
  const char *const *local_addresses;
  /* numeric addresses (libnice does not resolve names); NULL: none */
  const char *stun_server;
  guint stun_port;
  const char *turn_server;
  guint turn_port;
  const char *turn_username;
  const char *turn_password;
  gboolean upnp; /* default off */
} MediaIceConfig;

typedef struct _MediaIce MediaIce;

typedef struct
{
  void (*candidate) (MediaIce *ice, const char *candidate, gpointer user_data);
  void (*gathered) (MediaIce *ice, gpointer user_data);
  /* the first working pair (CONNECTED or READY) */
  void (*connected) (MediaIce *ice, gpointer user_data);
  /* the checks failed, or consent was lost later (RFC 7675 §5.1) */
  void (*failed) (MediaIce *ice, const GError *error, gpointer user_data);
  void (*dtls) (MediaIce *ice, const guint8 *data, gsize len, gpointer user_data);
  /* on the I/O thread */
  void (*media) (const guint8 *data, gsize len, gboolean rtcp, gpointer user_data);
} MediaIceCallbacks;

/* Creates the agent and its stream and starts gathering. */
MediaIce *media_ice_new (const MediaIceConfig *config, const MediaIceCallbacks *callbacks,
                         gpointer user_data, GError **error);
void media_ice_free (MediaIce *ice);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MediaIce, media_ice_free)

void media_ice_get_local_credentials (MediaIce *ice, char **ufrag, char **password);
/* The candidates gathered so far, as RFC 8839 §5.1 strings. */
GStrv media_ice_get_local_candidates (MediaIce *ice);
gboolean media_ice_is_gathered (MediaIce *ice);

/* RFC 8839 §5.4: ice-ufrag 4..256, ice-pwd 22..256 ice-chars. */
gboolean media_ice_set_remote_credentials (MediaIce *ice, const char *ufrag, const char *password,
                                           GError **error);
/* One candidate line; kept until the credentials are known.  Candidates
 * this agent cannot use (TCP, FQDN, component 2 without rtcp-mux) are
 * skipped without error. */
gboolean media_ice_add_remote_candidate (MediaIce *ice, const char *candidate, GError **error);

/* Any thread.  A datagram the agent does not take is lost. */
void media_ice_send (MediaIce *ice, const guint8 *data, gsize len);

/* "host 127.0.0.1:40000 -> host 127.0.0.1:40001", or NULL. */
char *media_ice_describe_selected_pair (MediaIce *ice);

G_END_DECLS
