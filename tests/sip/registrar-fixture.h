/* registrar-fixture.h: what the tests of the adapter's registrar share
 * (test-sip-registrar.c, test-sip-registrar-digest.c,
 * test-sip-registrar-phones.c): a registrar with fixed users, secret,
 * seed and wall clock that records its events, REGISTER requests written
 * and their responses read, digests computed independently of the
 * registrar's own function, and phones that register as UAs do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-message.h"
#include "chorus-sip-registrar.h"

G_BEGIN_DECLS

#define DOMAIN "overlay.example"
/* RFC 1123's example date (§5.2.14), as the registrar's wall clock */
#define REAL_TIME_S G_GINT64_CONSTANT (784111777)
#define T0 G_GINT64_CONSTANT (1000000)

typedef struct
{
  ChorusSipRegistrarEventType type;
  char *aor, *user, *contact, *instance;
  ChorusSipConnId conn;
  guint expires_s;
  guint seen_in_lookup; /* bindings lookup() saw from inside the callback */
} Event;

typedef struct
{
  ChorusSipRegistrar *reg;
  GPtrArray *events; /* Event */
} Fixture;

typedef struct
{
  const char *ruri;     /* NULL: sip:DOMAIN */
  const char *to;       /* NULL: <sip:USER@DOMAIN> */
  const char *contacts; /* "Contact: ..." lines, each ending in \r\n; NULL: none */
  const char *extra;    /* more header lines */
  const char *auth;     /* the whole Authorization value, or NULL */
} Req;

/* A phone: one Call-ID, CSeq and nonce count that go up, like a UA's
 * registration (RFC 3261 §10.2.4). */
typedef struct
{
  const char *user, *password, *call_id;
  ChorusSipConnId conn;
  guint cseq;
  guint branch;
  char *nonce;
  guint nc;
} Phone;

const char *password_of (const char *user, gpointer user_data);
void fixture_init (Fixture *fx, const ChorusSipRegistrarConfig *extra);
void fixture_clear (Fixture *fx);
char *my_digest (GChecksumType type, const char *user, const char *realm, const char *password,
                 const char *method, const char *uri, const char *nonce, const char *nc,
                 const char *cnonce, const char *qop);
GBytes *register_text (const char *user, const char *call_id, guint cseq, guint branch,
                       const Req *r);
osip_message_t *send_bytes (Fixture *fx, ChorusSipConnId conn, GBytes *req, gint64 now);
osip_message_t *send_text (Fixture *fx, ChorusSipConnId conn, const char *text, gint64 now);
const char *header (osip_message_t *m, const char *name);
char *header_all (osip_message_t *m, const char *name);
char *challenge_nonce (osip_message_t *m, gboolean first, const char **algorithm, gboolean *stale);
char *credentials (const char *user, const char *password, const char *nonce, guint nc,
                   const char *uri);
void phone_clear (Phone *p);
osip_message_t *phone_send (Fixture *fx, Phone *p, const Req *base, gint64 now);
osip_message_t *phone_register (Fixture *fx, Phone *p, const Req *r, gint64 now);
guint contact_count (osip_message_t *m);
int contact_expires (osip_message_t *m, const char *uri);
Event *event_at (Fixture *fx, guint i);

G_END_DECLS
