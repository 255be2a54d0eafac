/* chorus-enroll-server.h: the overlay's enrollment and configuration
 * server (RFC 6940 §11.2, §11.3) on libsoup: HTTPS with the overlay's own
 * certificate, GET /.well-known/reload-config, and the enrollment POST at
 * the path of the configuration's enrollment-server URL.  Runs on the
 * thread-default main context it was created on (`chorus-enroll serve`,
 * and the app's built-in server).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CHORUS_TYPE_ENROLL_SERVER (chorus_enroll_server_get_type ())
G_DECLARE_FINAL_TYPE (ChorusEnrollServer, chorus_enroll_server, CHORUS, ENROLL_SERVER, GObject)

/* how many Node-IDs one certificate may carry unless told otherwise */
#define CHORUS_ENROLL_DEFAULT_MAX_NODE_IDS 4
/* failed attempts from one address within a minute before it waits */
#define CHORUS_ENROLL_MAX_FAILURES_PER_MINUTE 10

/* Loads DIR (CA with key, verified config.xml, invitations database,
 * the TLS identity, made if missing). */
ChorusEnrollServer *chorus_enroll_server_new (const char *dir, GError **error);
/* Listens with HTTPS on @address (a literal) and @port (0: any). */
gboolean chorus_enroll_server_listen (ChorusEnrollServer *self, const char *address, guint16 port,
                                      GError **error);
guint16 chorus_enroll_server_get_port (ChorusEnrollServer *self);
void chorus_enroll_server_set_max_node_ids (ChorusEnrollServer *self, guint max);
/* The SHA-256 of the TLS certificate, as in invitation links. */
const guint8 *chorus_enroll_server_get_fingerprint (ChorusEnrollServer *self);

G_END_DECLS
