/* chorus-sip-registrar.c: a sans-I/O SIP registrar with digest
 * authentication (chorus-sip-registrar.h says the rules): its life, the
 * binding table (§10.3 steps 6 to 8: Contact handling, expiry intervals,
 * "*", the CSeq order), expiry, closed connections, events and lookups.
 * Digest authentication is in chorus-sip-registrar-digest.c, the handling
 * of a request in chorus-sip-registrar-request.c, URI comparison in
 * chorus-sip-registrar-uri.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-registrar-private.h"

#include <string.h>

G_DEFINE_QUARK (chorus - sip - registrar - error - quark, chorus_sip_registrar_error)

/* §10.3 step 7: 423 only for intervals below one hour. */
#define ONE_HOUR_S 3600

/* ---------------------------------------------------------------- small helpers */

static void
binding_free (Binding *b)
{
  g_free (b->uri);
  if (b->url)
    osip_uri_free (b->url);
  if (b->contact)
    osip_contact_free (b->contact);
  g_free (b->instance);
  g_free (b->call_id);
  g_free (b);
}

static void
aor_free (Aor *a)
{
  g_free (a->aor);
  g_free (a->user);
  g_ptr_array_unref (a->bindings);
  g_free (a);
}

static void
cached_free (Cached *c)
{
  g_free (c->key);
  g_bytes_unref (c->response);
  g_free (c);
}

static void
pending_event_free (PendingEvent *e)
{
  g_free (e->aor);
  g_free (e->user);
  g_free (e->contact);
  g_free (e->instance);
  g_free (e);
}

void
chorus_sip_registrar_binding_free (ChorusSipRegistrarBinding *binding)
{
  if (binding == NULL)
    return;
  g_free (binding->aor);
  g_free (binding->contact);
  g_free (binding->instance);
  g_free (binding);
}

/* A decimal header value (chorus_sip_message_parse() has checked it is
 * one, below 2^32). */
static guint
parse_uint (const char *text)
{
  g_autofree char *s = g_strstrip (g_strdup (text));
  guint64 v = 0;
  if (!g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT32, &v, NULL))
    return G_MAXUINT32;
  return (guint) v;
}

/* ---------------------------------------------------------------- events */

static void
queue_event (ChorusSipRegistrar *reg, ChorusSipRegistrarEventType type, const Aor *aor,
             const Binding *b, guint expires_s)
{
  PendingEvent *e = g_new0 (PendingEvent, 1);
  e->type = type;
  e->aor = g_strdup (aor->aor);
  e->user = g_strdup (aor->user);
  e->contact = g_strdup (b->uri);
  e->instance = g_strdup (b->instance);
  e->conn = b->conn;
  e->expires_s = expires_s;
  g_ptr_array_add (reg->pending, e);
}

/* Hands the queued events over; a callback may call into the registrar. */
void
registrar_flush_events (ChorusSipRegistrar *reg)
{
  while (reg->pending->len > 0)
    {
      g_autoptr (GPtrArray) events = reg->pending;
      reg->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_event_free);
      for (guint i = 0; i < events->len; i++)
        {
          PendingEvent *p = events->pdata[i];
          ChorusSipRegistrarEvent ev = {
            .type = p->type,
            .aor = p->aor,
            .user = p->user,
            .contact = p->contact,
            .conn = p->conn,
            .expires_s = p->expires_s,
            .instance = p->instance,
          };
          if (reg->event)
            reg->event (&ev, reg->user_data);
        }
    }
}

/* §20.17: rfc1123-date, always GMT, English names. */
static char *
http_date (gint64 real_time_us)
{
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (real_time_us / G_USEC_PER_SEC);
  if (dt == NULL)
    dt = g_date_time_new_from_unix_utc (0);
  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d GMT",
                          days[g_date_time_get_day_of_week (dt) - 1],
                          g_date_time_get_day_of_month (dt), months[g_date_time_get_month (dt) - 1],
                          g_date_time_get_year (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt));
}

/* ---------------------------------------------------------------- bindings */

typedef struct
{
  osip_contact_t *contact; /* the request's */
  guint expires;
  Binding *existing; /* or NULL */
  gboolean skip;     /* overridden by a later Contact with the same URI */
} Change;

Aor *
registrar_aor_get (ChorusSipRegistrar *reg, const char *aor, const char *user, gboolean create)
{
  Aor *a = g_hash_table_lookup (reg->aors, aor);
  if (a == NULL && create)
    {
      a = g_new0 (Aor, 1);
      a->aor = g_strdup (aor);
      a->user = g_strdup (user);
      a->bindings = g_ptr_array_new_with_free_func ((GDestroyNotify) binding_free);
      g_hash_table_insert (reg->aors, a->aor, a);
    }
  return a;
}

static void
aor_drop_if_empty (ChorusSipRegistrar *reg, Aor *a)
{
  if (a != NULL && a->bindings->len == 0)
    g_hash_table_remove (reg->aors, a->aor);
}

static Binding *
aor_find (Aor *a, const osip_uri_t *url)
{
  if (a == NULL)
    return NULL;
  for (guint i = 0; i < a->bindings->len; i++)
    {
      Binding *b = a->bindings->pdata[i];
      if (registrar_uri_equal (b->url, url))
        return b;
    }
  return NULL;
}

/* "urn:uuid:..." from +sip.instance="<urn:uuid:...>" (RFC 5626 §4.1) */
static char *
contact_instance (osip_contact_t *c)
{
  osip_generic_param_t *p = NULL;
  osip_contact_param_get_byname (c, "+sip.instance", &p);
  if (p == NULL || p->gvalue == NULL)
    return NULL;
  g_autofree char *v = registrar_unquote (p->gvalue);
  gsize n = strlen (v);
  if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
    return g_strndup (v + 1, n - 2);
  return n > 0 ? g_steal_pointer (&v) : NULL;
}

/* A copy of @c without its expires parameter. */
static osip_contact_t *
contact_without_expires (const osip_contact_t *c)
{
  osip_contact_t *copy = NULL;
  if (osip_contact_clone (c, &copy) != 0)
    return NULL;
  osip_generic_param_t *p;
  for (int i = 0; (p = osip_list_get (&copy->gen_params, i)) != NULL;)
    {
      if (p->gname != NULL && g_ascii_strcasecmp (p->gname, "expires") == 0)
        {
          osip_list_remove (&copy->gen_params, i);
          osip_generic_param_free (p);
        }
      else
        i++;
    }
  return copy;
}

static void
binding_set (Binding *b, const osip_contact_t *c, const char *call_id, guint32 cseq,
             ChorusSipConnId conn, guint expires, gint64 now)
{
  if (b->contact)
    osip_contact_free (b->contact);
  b->contact = contact_without_expires (c);
  g_free (b->instance);
  b->instance = contact_instance ((osip_contact_t *) c);
  g_free (b->call_id);
  b->call_id = g_strdup (call_id);
  b->cseq = cseq;
  b->conn = conn;
  b->expires_at = now + (gint64) expires * 1000;
  b->registered_at = now;
}

static guint
remaining_s (const Binding *b, gint64 now)
{
  if (b->expires_at <= now)
    return 0;
  gint64 s = (b->expires_at - now + 999) / 1000;
  return (guint) MIN (s, (gint64) G_MAXUINT32);
}

/* §10.3 step 8: 200 with every binding and its remaining time, and Date. */
GBytes *
registrar_respond_ok (ChorusSipRegistrar *reg, const osip_message_t *req, Aor *a, gint64 now)
{
  osip_message_t *resp = registrar_response_new (reg, req, 200, NULL);
  for (guint i = 0; a != NULL && i < a->bindings->len; i++)
    {
      Binding *b = a->bindings->pdata[i];
      osip_contact_t *c = NULL;
      if (b->contact == NULL || osip_contact_clone (b->contact, &c) != 0)
        continue;
      g_autofree char *expires = g_strdup_printf ("%u", remaining_s (b, now));
      osip_contact_param_add (c, osip_strdup ("expires"), osip_strdup (expires));
      osip_list_add (&resp->contacts, c, -1);
    }
  gint64 t = reg->real_time ? reg->real_time (reg->user_data) : g_get_real_time ();
  g_autofree char *date = http_date (t);
  osip_message_set_header (resp, "Date", date);
  return registrar_finish (resp);
}

/* §10.3 steps 6 and 7; NULL when the request has no Contact, else the
 * response (200 or a failure). */
GBytes *
registrar_update_bindings (ChorusSipRegistrar *reg, ChorusSipConnId conn, const osip_message_t *req,
                           const char *aor_name, const char *user, gint64 now)
{
  int n_contacts = osip_list_size (&req->contacts);
  if (n_contacts <= 0)
    return NULL;
  g_autofree char *call_id = chorus_sip_message_call_id (req);
  guint32 cseq = chorus_sip_message_cseq (req);
  if (call_id == NULL)
    return registrar_respond (reg, req, 400, NULL);
  osip_header_t *expires_h = NULL;
  osip_message_get_expires (req, 0, &expires_h);
  gboolean has_expires = expires_h != NULL && expires_h->hvalue != NULL;
  guint header_expires = has_expires ? parse_uint (expires_h->hvalue) : reg->default_expires;
  Aor *aor = registrar_aor_get (reg, aor_name, user, FALSE);

  /* step 6: "*" */
  gboolean star = FALSE;
  osip_contact_t *c;
  for (int i = 0; (c = osip_list_get (&req->contacts, i)) != NULL; i++)
    {
      if (c->url == NULL && c->displayname != NULL && strcmp (c->displayname, "*") == 0)
        star = TRUE;
      else if (c->url == NULL)
        return registrar_respond (reg, req, 400, "Bad Contact");
    }
  if (star)
    {
      if (n_contacts != 1 || !has_expires || header_expires != 0)
        return registrar_respond (reg, req, 400, "Contact * Needs Expires 0 Alone");
      for (guint i = 0; aor != NULL && i < aor->bindings->len; i++)
        {
          Binding *b = aor->bindings->pdata[i];
          if (strcmp (b->call_id, call_id) == 0 && cseq <= b->cseq)
            return registrar_respond (reg, req, 500, "Out Of Order Request");
        }
      while (aor != NULL && aor->bindings->len > 0)
        {
          Binding *b = aor->bindings->pdata[aor->bindings->len - 1];
          queue_event (reg, CHORUS_SIP_REGISTRAR_BINDING_REMOVED, aor, b, 0);
          g_ptr_array_remove_index (aor->bindings, aor->bindings->len - 1);
        }
      aor_drop_if_empty (reg, aor);
      return registrar_respond_ok (reg, req, NULL, now);
    }

  if ((guint) n_contacts > 2 * reg->max_bindings)
    return registrar_respond (reg, req, 403, "Too Many Bindings");

  /* step 7: the intervals first (423 for any of them) */
  g_autoptr (GArray) changes = g_array_sized_new (FALSE, TRUE, sizeof (Change), n_contacts);
  for (int i = 0; (c = osip_list_get (&req->contacts, i)) != NULL; i++)
    {
      Change ch = { .contact = c, .expires = header_expires };
      osip_generic_param_t *p = NULL;
      osip_contact_param_get_byname (c, "expires", &p);
      if (p != NULL && p->gvalue != NULL)
        ch.expires = parse_uint (p->gvalue);
      if (ch.expires > 0 && ch.expires < ONE_HOUR_S && ch.expires < reg->min_expires)
        {
          osip_message_t *resp = registrar_response_new (reg, req, 423, NULL);
          g_autofree char *min = g_strdup_printf ("%u", reg->min_expires);
          osip_message_set_header (resp, "Min-Expires", min);
          return registrar_finish (resp);
        }
      ch.expires = MIN (ch.expires, reg->max_expires);
      g_array_append_val (changes, ch);
    }

  /* then each binding, tentatively */
  guint adds = 0, removes = 0;
  for (guint i = 0; i < changes->len; i++)
    {
      Change *ch = &g_array_index (changes, Change, i);
      ch->existing = aor_find (aor, ch->contact->url);
      /* the same URI twice in one request (or two that both equal one
       * binding: §19.1.4 ignores parameters in one URI only, so equality
       * is not transitive): the later one counts */
      for (guint j = 0; j < i; j++)
        {
          Change *earlier = &g_array_index (changes, Change, j);
          if (!earlier->skip
              && (registrar_uri_equal (earlier->contact->url, ch->contact->url)
                  || (ch->existing != NULL && earlier->existing == ch->existing)))
            {
              earlier->skip = TRUE;
              if (earlier->existing == NULL && earlier->expires > 0)
                adds--;
              if (earlier->existing != NULL && earlier->expires == 0)
                removes--;
            }
        }
      if (ch->existing != NULL && strcmp (ch->existing->call_id, call_id) == 0
          && cseq <= ch->existing->cseq)
        return registrar_respond (reg, req, 500, "Out Of Order Request");
      if (ch->existing == NULL && ch->expires > 0)
        adds++;
      if (ch->existing != NULL && ch->expires == 0)
        removes++;
    }
  guint current = aor ? aor->bindings->len : 0;
  if (adds > 0 && current + adds - removes > reg->max_bindings)
    return registrar_respond (reg, req, 403, "Too Many Bindings");

  /* commit: every change succeeded */
  if (adds > 0)
    aor = registrar_aor_get (reg, aor_name, user, TRUE);
  for (guint i = 0; i < changes->len; i++)
    {
      Change *ch = &g_array_index (changes, Change, i);
      if (ch->skip)
        continue;
      if (ch->existing != NULL && ch->expires == 0)
        {
          queue_event (reg, CHORUS_SIP_REGISTRAR_BINDING_REMOVED, aor, ch->existing, 0);
          g_ptr_array_remove (aor->bindings, ch->existing);
        }
      else if (ch->existing != NULL)
        {
          binding_set (ch->existing, ch->contact, call_id, cseq, conn, ch->expires, now);
          queue_event (reg, CHORUS_SIP_REGISTRAR_BINDING_REFRESHED, aor, ch->existing, ch->expires);
        }
      else if (ch->expires > 0)
        {
          Binding *b = g_new0 (Binding, 1);
          b->uri = chorus_sip_uri_to_string (ch->contact->url);
          if (b->uri == NULL || osip_uri_clone (ch->contact->url, &b->url) != 0)
            {
              binding_free (b);
              continue;
            }
          binding_set (b, ch->contact, call_id, cseq, conn, ch->expires, now);
          g_ptr_array_add (aor->bindings, b);
          queue_event (reg, CHORUS_SIP_REGISTRAR_BINDING_ADDED, aor, b, ch->expires);
        }
    }
  aor_drop_if_empty (reg, aor);
  return registrar_respond_ok (reg, req, registrar_aor_get (reg, aor_name, user, FALSE), now);
}

/* ---------------------------------------------------------------- time, connections */

void
chorus_sip_registrar_tick (ChorusSipRegistrar *registrar, gint64 now_ms)
{
  g_return_if_fail (registrar != NULL);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, registrar->aors);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Aor *a = value;
      for (guint i = 0; i < a->bindings->len;)
        {
          Binding *b = a->bindings->pdata[i];
          if (b->expires_at <= now_ms)
            {
              queue_event (registrar, CHORUS_SIP_REGISTRAR_BINDING_EXPIRED, a, b, 0);
              g_ptr_array_remove_index (a->bindings, i);
            }
          else
            i++;
        }
      if (a->bindings->len == 0)
        g_hash_table_iter_remove (&it);
    }
  registrar_prune (registrar, now_ms);
  registrar_flush_events (registrar);
}

gint64
chorus_sip_registrar_next_timeout (ChorusSipRegistrar *registrar)
{
  g_return_val_if_fail (registrar != NULL, -1);
  gint64 next = -1;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, registrar->aors);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Aor *a = value;
      for (guint i = 0; i < a->bindings->len; i++)
        {
          Binding *b = a->bindings->pdata[i];
          if (next < 0 || b->expires_at < next)
            next = b->expires_at;
        }
    }
  return next;
}

void
chorus_sip_registrar_connection_closed (ChorusSipRegistrar *registrar, ChorusSipConnId conn,
                                        gint64 now_ms)
{
  g_return_if_fail (registrar != NULL);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, registrar->aors);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Aor *a = value;
      for (guint i = 0; i < a->bindings->len;)
        {
          Binding *b = a->bindings->pdata[i];
          if (b->conn == conn)
            {
              queue_event (registrar, CHORUS_SIP_REGISTRAR_BINDING_REMOVED, a, b, 0);
              g_ptr_array_remove_index (a->bindings, i);
            }
          else
            i++;
        }
      if (a->bindings->len == 0)
        g_hash_table_iter_remove (&it);
    }
  for (GList *l = registrar->cache_order.head; l != NULL;)
    {
      GList *next = l->next;
      Cached *c = l->data;
      if (c->conn == conn)
        {
          g_queue_delete_link (&registrar->cache_order, l);
          g_hash_table_remove (registrar->cache, c->key);
        }
      l = next;
    }
  registrar_prune (registrar, now_ms);
  registrar_flush_events (registrar);
}

/* ---------------------------------------------------------------- lookup */

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  const ChorusSipRegistrarBinding *x = *(ChorusSipRegistrarBinding *const *) a;
  const ChorusSipRegistrarBinding *y = *(ChorusSipRegistrarBinding *const *) b;
  return (x->registered_at_ms < y->registered_at_ms) - (x->registered_at_ms > y->registered_at_ms);
}

GPtrArray *
chorus_sip_registrar_lookup (ChorusSipRegistrar *registrar, const char *aor, gint64 now_ms)
{
  GPtrArray *out =
      g_ptr_array_new_with_free_func ((GDestroyNotify) chorus_sip_registrar_binding_free);
  g_return_val_if_fail (registrar != NULL, out);
  if (aor == NULL)
    return out;
  g_autofree char *normal = chorus_sip_aor_normalize (aor, registrar->domain, NULL, NULL);
  Aor *a = normal ? g_hash_table_lookup (registrar->aors, normal) : NULL;
  for (guint i = 0; a != NULL && i < a->bindings->len; i++)
    {
      Binding *b = a->bindings->pdata[i];
      if (b->expires_at <= now_ms)
        continue;
      ChorusSipRegistrarBinding *r = g_new0 (ChorusSipRegistrarBinding, 1);
      r->aor = g_strdup (a->aor);
      r->contact = g_strdup (b->uri);
      r->instance = g_strdup (b->instance);
      r->conn = b->conn;
      r->expires_at_ms = b->expires_at;
      r->registered_at_ms = b->registered_at;
      g_ptr_array_add (out, r);
    }
  g_ptr_array_sort (out, newest_first);
  return out;
}

guint
chorus_sip_registrar_binding_count (ChorusSipRegistrar *registrar)
{
  g_return_val_if_fail (registrar != NULL, 0);
  guint n = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, registrar->aors);
  while (g_hash_table_iter_next (&it, NULL, &value))
    n += ((Aor *) value)->bindings->len;
  return n;
}

/* ---------------------------------------------------------------- life */

ChorusSipRegistrar *
chorus_sip_registrar_new (const ChorusSipRegistrarConfig *config, ChorusSipRegistrarEventFunc event,
                          gpointer user_data, GError **error)
{
  chorus_sip_osip_init ();
  if (config == NULL || config->domain == NULL || config->domain[0] == '\0'
      || config->password == NULL)
    {
      g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_CONFIG,
                   "a registrar needs a domain and a password table");
      return NULL;
    }
  /* the domain must make an AOR */
  g_autofree char *probe = g_strconcat ("sip:u@", config->domain, NULL);
  g_autofree char *probe_normal = chorus_sip_aor_normalize (probe, NULL, NULL, NULL);
  if (probe_normal == NULL)
    {
      g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_CONFIG,
                   "\"%s\" is not a domain", config->domain);
      return NULL;
    }
  guint min = config->min_expires_s ? config->min_expires_s : 60;
  guint max = config->max_expires_s ? config->max_expires_s : 3600;
  guint def = config->default_expires_s ? config->default_expires_s : MIN (3600, max);
  if (min > max || (config->default_expires_s && (def < min || def > max)))
    {
      g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_CONFIG,
                   "expiry intervals contradict each other: min %u, default %u, max %u", min, def,
                   max);
      return NULL;
    }
  ChorusSipRegistrar *reg = g_new0 (ChorusSipRegistrar, 1);
  reg->domain = registrar_host_key (config->domain);
  reg->aliases = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; config->aliases != NULL && config->aliases[i] != NULL; i++)
    g_ptr_array_add (reg->aliases, registrar_host_key (config->aliases[i]));
  reg->realm = g_strdup (config->realm ? config->realm : reg->domain);
  reg->password = config->password;
  reg->real_time = config->real_time;
  reg->min_expires = min;
  reg->max_expires = max;
  reg->default_expires = def;
  reg->nonce_lifetime = config->nonce_lifetime_s ? config->nonce_lifetime_s : 300;
  reg->max_bindings = config->max_bindings_per_aor ? config->max_bindings_per_aor : 10;
  reg->offer_sha256 = config->offer_sha256;
  reg->secret = config->secret ? g_bytes_new (config->secret, config->secret_len)
                               : registrar_random_secret ();
  reg->rand = config->seed ? g_rand_new_with_seed (config->seed) : g_rand_new ();
  reg->event = event;
  reg->user_data = user_data;
  reg->aors = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) aor_free);
  reg->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  reg->cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) cached_free);
  g_queue_init (&reg->cache_order);
  reg->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_event_free);
  return reg;
}

void
chorus_sip_registrar_free (ChorusSipRegistrar *registrar)
{
  if (registrar == NULL)
    return;
  g_hash_table_unref (registrar->aors);
  g_hash_table_unref (registrar->nonces);
  g_queue_clear (&registrar->cache_order);
  g_hash_table_unref (registrar->cache);
  g_ptr_array_unref (registrar->pending);
  g_ptr_array_unref (registrar->aliases);
  g_bytes_unref (registrar->secret);
  g_rand_free (registrar->rand);
  g_free (registrar->domain);
  g_free (registrar->realm);
  g_free (registrar);
}
