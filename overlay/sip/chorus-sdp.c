/* chorus-sdp.c: session descriptions, parsed and written with libosip2's
 * sdp_message (chorus-sdp.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sdp.h"

#include "chorus-sip-osip.h"

#include <string.h>

G_DEFINE_QUARK (chorus - sdp - error - quark, chorus_sdp_error)

/* ---------------------------------------------------------------- model */

ChorusSdpCodec *
chorus_sdp_codec_new (guint payload_type, const char *name, guint clock_rate, guint channels,
                      const char *fmtp)
{
  ChorusSdpCodec *c = g_new0 (ChorusSdpCodec, 1);
  c->payload_type = payload_type;
  c->name = g_strdup (name);
  c->clock_rate = clock_rate;
  c->channels = channels ? channels : 1;
  c->fmtp = g_strdup (fmtp);
  return c;
}

void
chorus_sdp_codec_free (ChorusSdpCodec *c)
{
  if (c == NULL)
    return;
  g_free (c->name);
  g_free (c->fmtp);
  g_free (c);
}

static ChorusSdpCodec *
codec_copy (const ChorusSdpCodec *c)
{
  return chorus_sdp_codec_new (c->payload_type, c->name, c->clock_rate, c->channels, c->fmtp);
}

gboolean
chorus_sdp_codec_is_dtmf (const ChorusSdpCodec *c)
{
  return g_ascii_strcasecmp (c->name, "telephone-event") == 0;
}

GPtrArray *
chorus_sdp_default_codecs (void)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) chorus_sdp_codec_free);
  /* RFC 7587 §7: always opus/48000/2; useinbandfec=1 asks for in-band FEC
   * (§6.1), minptime=10 allows 10 ms frames. */
  g_ptr_array_add (a, chorus_sdp_codec_new (111, "opus", 48000, 2, "minptime=10;useinbandfec=1"));
  /* RFC 3551 §6: the static payload types of G.711. */
  g_ptr_array_add (a, chorus_sdp_codec_new (0, "PCMU", 8000, 1, NULL));
  g_ptr_array_add (a, chorus_sdp_codec_new (8, "PCMA", 8000, 1, NULL));
  /* RFC 4733 §2.1: telephone-event at the audio codec's clock rate; one for
   * Opus, one for G.711.  §7.1.1: events 0-15 are DTMF, 16 is flash. */
  g_ptr_array_add (a, chorus_sdp_codec_new (110, "telephone-event", 48000, 1, "0-16"));
  g_ptr_array_add (a, chorus_sdp_codec_new (101, "telephone-event", 8000, 1, "0-16"));
  return a;
}

void
chorus_sdp_candidate_free (ChorusSdpCandidate *c)
{
  if (c == NULL)
    return;
  g_free (c->foundation);
  g_free (c->transport);
  g_free (c->address);
  g_free (c->type);
  g_free (c->raddr);
  g_free (c->extensions);
  g_free (c);
}

static ChorusSdpCandidate *
candidate_copy (const ChorusSdpCandidate *c)
{
  g_autofree char *text = chorus_sdp_candidate_to_string (c);
  return chorus_sdp_candidate_parse (text, NULL);
}

ChorusSdpSession *
chorus_sdp_session_new (void)
{
  ChorusSdpSession *s = g_new0 (ChorusSdpSession, 1);
  s->origin_user = g_strdup ("-");
  s->codecs = g_ptr_array_new_with_free_func ((GDestroyNotify) chorus_sdp_codec_free);
  s->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) chorus_sdp_candidate_free);
  s->other_media = g_ptr_array_new_with_free_func (g_free);
  s->proto = g_strdup ("UDP/TLS/RTP/SAVP");
  s->direction = CHORUS_SDP_SENDRECV;
  return s;
}

void
chorus_sdp_session_free (ChorusSdpSession *s)
{
  if (s == NULL)
    return;
  g_free (s->origin_user);
  g_free (s->address);
  g_free (s->proto);
  g_ptr_array_unref (s->codecs);
  g_free (s->ice_ufrag);
  g_free (s->ice_pwd);
  g_ptr_array_unref (s->candidates);
  g_free (s->fingerprint_hash);
  g_free (s->fingerprint);
  g_ptr_array_unref (s->other_media);
  g_free (s);
}

ChorusSdpSession *
chorus_sdp_session_copy (const ChorusSdpSession *s)
{
  ChorusSdpSession *c = chorus_sdp_session_new ();
  g_free (c->origin_user);
  c->origin_user = g_strdup (s->origin_user);
  c->session_id = s->session_id;
  c->session_version = s->session_version;
  c->address = g_strdup (s->address);
  c->port = s->port;
  g_free (c->proto);
  c->proto = g_strdup (s->proto);
  for (guint i = 0; i < s->codecs->len; i++)
    g_ptr_array_add (c->codecs, codec_copy (g_ptr_array_index (s->codecs, i)));
  c->direction = s->direction;
  c->rtcp_mux = s->rtcp_mux;
  c->ice_ufrag = g_strdup (s->ice_ufrag);
  c->ice_pwd = g_strdup (s->ice_pwd);
  c->ice_trickle = s->ice_trickle;
  for (guint i = 0; i < s->candidates->len; i++)
    {
      ChorusSdpCandidate *cand = candidate_copy (g_ptr_array_index (s->candidates, i));
      if (cand != NULL)
        g_ptr_array_add (c->candidates, cand);
    }
  c->end_of_candidates = s->end_of_candidates;
  c->fingerprint_hash = g_strdup (s->fingerprint_hash);
  c->fingerprint = g_strdup (s->fingerprint);
  c->setup = s->setup;
  for (guint i = 0; i < s->other_media->len; i++)
    g_ptr_array_add (c->other_media, g_strdup (g_ptr_array_index (s->other_media, i)));
  c->audio_index = s->audio_index;
  return c;
}

ChorusSdpSession *
chorus_sdp_session_new_local (const char *address, guint port, const char *ice_ufrag,
                              const char *ice_pwd, const char *fingerprint)
{
  ChorusSdpSession *s = chorus_sdp_session_new ();
  g_ptr_array_unref (s->codecs);
  s->codecs = chorus_sdp_default_codecs ();
  /* RFC 4566 §5.2: a numeric session id, unique; the version grows. */
  s->session_id = ((guint64) g_random_int () << 20) ^ g_random_int ();
  s->session_version = 1;
  s->address = g_strdup (address ? address : "0.0.0.0");
  s->port = port;
  s->rtcp_mux = TRUE;
  s->ice_ufrag = g_strdup (ice_ufrag);
  s->ice_pwd = g_strdup (ice_pwd);
  if (fingerprint != NULL)
    {
      s->fingerprint_hash = g_strdup ("sha-256");
      s->fingerprint = g_strdup (fingerprint);
    }
  /* RFC 5763 §5: the offerer says actpass. */
  s->setup = CHORUS_SDP_SETUP_ACTPASS;
  return s;
}

/* ---------------------------------------------------------------- candidates */

static gboolean
token_ok (const char *t)
{
  if (t == NULL || *t == '\0')
    return FALSE;
  for (const guchar *p = (const guchar *) t; *p; p++)
    if (*p <= 0x20 || *p >= 0x7f)
      return FALSE;
  return TRUE;
}

/* RFC 4566 §5.7 unicast-address: IPv4, IPv6 or an FQDN (a multicast
 * "/ttl" is not for a call) */
static gboolean
address_valid (const char *addr)
{
  if (addr == NULL || *addr == '\0')
    return FALSE;
  for (const char *p = addr; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != ':' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
proto_valid (const char *proto)
{
  if (proto == NULL || *proto == '\0')
    return FALSE;
  for (const char *p = proto; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '/' && *p != '-' && *p != '.' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
parse_uint (const char *text, guint64 max, guint64 *out)
{
  if (text == NULL || !g_ascii_isdigit (text[0]))
    return FALSE;
  return g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

ChorusSdpCandidate *
chorus_sdp_candidate_parse (const char *value, GError **error)
{
  /* RFC 8839 §5.1: foundation component-id transport priority
   * connection-address port "typ" cand-type [raddr a] [rport p]
   * *(extension-att-name extension-att-value) */
  g_auto (GStrv) f = g_strsplit (value ? value : "", " ", -1);
  guint n = g_strv_length (f);
  guint64 component = 0, priority = 0, port = 0;
  if (n < 8 || !token_ok (f[0]) || strlen (f[0]) > 32 || !parse_uint (f[1], 256, &component)
      || component == 0 || !token_ok (f[2]) || !parse_uint (f[3], G_MAXUINT32, &priority)
      || !token_ok (f[4]) || !parse_uint (f[5], 65535, &port) || strcmp (f[6], "typ") != 0
      || !token_ok (f[7]))
    {
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                   "malformed a=candidate \"%s\" (RFC 8839 §5.1)", value ? value : "");
      return NULL;
    }
  ChorusSdpCandidate *c = g_new0 (ChorusSdpCandidate, 1);
  c->foundation = g_strdup (f[0]);
  c->component = component;
  c->transport = g_strdup (f[2]);
  c->priority = priority;
  c->address = g_strdup (f[4]);
  c->port = port;
  c->type = g_strdup (f[7]);
  guint i = 8;
  GString *ext = NULL;
  while (i + 1 < n)
    {
      guint64 rport = 0;
      if (strcmp (f[i], "raddr") == 0 && c->raddr == NULL && token_ok (f[i + 1]))
        c->raddr = g_strdup (f[i + 1]);
      else if (strcmp (f[i], "rport") == 0 && parse_uint (f[i + 1], 65535, &rport))
        c->rport = rport;
      else if (token_ok (f[i]) && token_ok (f[i + 1]))
        {
          if (ext == NULL)
            ext = g_string_new (NULL);
          else
            g_string_append_c (ext, ' ');
          g_string_append_printf (ext, "%s %s", f[i], f[i + 1]);
        }
      else
        break;
      i += 2;
    }
  if (i != n)
    {
      if (ext)
        g_string_free (ext, TRUE);
      chorus_sdp_candidate_free (c);
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                   "malformed a=candidate extension in \"%s\" (RFC 8839 §5.1)", value);
      return NULL;
    }
  c->extensions = ext ? g_string_free (ext, FALSE) : NULL;
  return c;
}

char *
chorus_sdp_candidate_to_string (const ChorusSdpCandidate *c)
{
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "%s %u %s %u %s %u typ %s", c->foundation, c->component, c->transport,
                          c->priority, c->address, c->port, c->type);
  if (c->raddr != NULL)
    g_string_append_printf (s, " raddr %s rport %u", c->raddr, c->rport);
  if (c->extensions != NULL)
    g_string_append_printf (s, " %s", c->extensions);
  return g_string_free (s, FALSE);
}

/* ---------------------------------------------------------------- parsing */

const char *
chorus_sdp_direction_to_string (ChorusSdpDirection d)
{
  switch (d)
    {
    case CHORUS_SDP_SENDONLY:
      return "sendonly";
    case CHORUS_SDP_RECVONLY:
      return "recvonly";
    case CHORUS_SDP_INACTIVE:
      return "inactive";
    case CHORUS_SDP_SENDRECV:
    default:
      return "sendrecv";
    }
}

static gboolean
direction_from_string (const char *field, ChorusSdpDirection *out)
{
  static const char *names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (field, names[i]) == 0)
      {
        *out = (ChorusSdpDirection) i;
        return TRUE;
      }
  return FALSE;
}

/* Static payload types without an rtpmap (RFC 3551 §6). */
static ChorusSdpCodec *
static_codec (guint pt)
{
  switch (pt)
    {
    case 0:
      return chorus_sdp_codec_new (0, "PCMU", 8000, 1, NULL);
    case 8:
      return chorus_sdp_codec_new (8, "PCMA", 8000, 1, NULL);
    case 9:
      return chorus_sdp_codec_new (9, "G722", 8000, 1, NULL);
    default:
      return NULL;
    }
}

/* "PT rest" of an a=rtpmap or a=fmtp value. */
static gboolean
split_pt (const char *value, guint *pt, const char **rest)
{
  if (value == NULL)
    return FALSE;
  const char *sp = strchr (value, ' ');
  if (sp == NULL)
    return FALSE;
  g_autofree char *num = g_strndup (value, sp - value);
  guint64 v;
  if (!parse_uint (num, 127, &v))
    return FALSE;
  *pt = v;
  while (*sp == ' ')
    sp++;
  *rest = sp;
  return TRUE;
}

static ChorusSdpCodec *
codec_from_rtpmap (guint pt, const char *map)
{
  /* encoding name "/" clock rate [ "/" encoding parameters ] */
  g_auto (GStrv) f = g_strsplit (map, "/", -1);
  guint n = g_strv_length (f);
  guint64 rate = 0, channels = 1;
  if (n < 2 || n > 3 || !token_ok (f[0]) || !parse_uint (f[1], G_MAXUINT32, &rate) || rate == 0
      || (n == 3 && (!parse_uint (f[2], 255, &channels) || channels == 0)))
    return NULL;
  return chorus_sdp_codec_new (pt, f[0], rate, channels, NULL);
}

/* An attribute of the audio m-line, else of the session (RFC 4566 §5.13:
 * a media-level attribute overrides the session-level one). */
static const char *
attribute (sdp_message_t *sdp, int media, const char *field, gboolean *present)
{
  const int levels[] = { media, -1 };
  for (guint l = 0; l < G_N_ELEMENTS (levels); l++)
    {
      sdp_attribute_t *a;
      for (int i = 0; (a = sdp_message_attribute_get (sdp, levels[l], i)) != NULL; i++)
        if (a->a_att_field && strcmp (a->a_att_field, field) == 0)
          {
            if (present)
              *present = TRUE;
            return a->a_att_value;
          }
    }
  if (present)
    *present = FALSE;
  return NULL;
}

static gboolean
fingerprint_valid (const char *fp)
{
  /* RFC 8122 §5: 2UHEX *(":" 2UHEX); lower case accepted too. */
  gsize n = strlen (fp);
  if (n < 2 || (n + 1) % 3 != 0)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if ((i % 3 == 2) ? fp[i] != ':' : !g_ascii_isxdigit (fp[i]))
      return FALSE;
  return TRUE;
}

static gboolean
parse_media_attributes (ChorusSdpSession *s, sdp_message_t *sdp, int m, GError **error)
{
  sdp_attribute_t *a;
  /* Codecs in the m-line's order (RFC 3264 §5.1: the order is the
   * preference). */
  char *pt_text;
  for (int i = 0; (pt_text = sdp_message_m_payload_get (sdp, m, i)) != NULL; i++)
    {
      guint64 pt;
      if (!parse_uint (pt_text, 127, &pt))
        {
          g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                       "payload type \"%s\" is not 0..127", pt_text);
          return FALSE;
        }
      ChorusSdpCodec *codec = NULL;
      for (int j = 0; (a = sdp_message_attribute_get (sdp, m, j)) != NULL; j++)
        {
          guint apt;
          const char *rest;
          if (a->a_att_field && strcmp (a->a_att_field, "rtpmap") == 0
              && split_pt (a->a_att_value, &apt, &rest) && apt == pt)
            {
              codec = codec_from_rtpmap (pt, rest);
              break;
            }
        }
      if (codec == NULL)
        codec = static_codec (pt);
      if (codec == NULL)
        continue; /* a dynamic type without rtpmap: unusable, not fatal */
      for (int j = 0; (a = sdp_message_attribute_get (sdp, m, j)) != NULL; j++)
        {
          guint apt;
          const char *rest;
          if (a->a_att_field && strcmp (a->a_att_field, "fmtp") == 0
              && split_pt (a->a_att_value, &apt, &rest) && apt == pt)
            {
              codec->fmtp = g_strdup (rest);
              break;
            }
        }
      g_ptr_array_add (s->codecs, codec);
    }

  /* RFC 3264 §5.1: sendrecv unless said otherwise; the session level
   * first, the media level overrides it. */
  s->direction = CHORUS_SDP_SENDRECV;
  const int levels[] = { -1, m };
  for (guint l = 0; l < G_N_ELEMENTS (levels); l++)
    for (int j = 0; (a = sdp_message_attribute_get (sdp, levels[l], j)) != NULL; j++)
      if (a->a_att_field)
        direction_from_string (a->a_att_field, &s->direction);

  attribute (sdp, m, "rtcp-mux", &s->rtcp_mux);
  s->ice_ufrag = g_strdup (attribute (sdp, m, "ice-ufrag", NULL));
  s->ice_pwd = g_strdup (attribute (sdp, m, "ice-pwd", NULL));
  if ((s->ice_ufrag && !token_ok (s->ice_ufrag)) || (s->ice_pwd && !token_ok (s->ice_pwd)))
    {
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                   "malformed ice-ufrag or ice-pwd (RFC 8839 §5.4)");
      return FALSE;
    }
  const char *options = attribute (sdp, m, "ice-options", NULL);
  if (options != NULL)
    {
      g_auto (GStrv) tokens = g_strsplit (options, " ", -1);
      s->ice_trickle = g_strv_contains ((const char *const *) tokens, "trickle");
    }
  attribute (sdp, m, "end-of-candidates", &s->end_of_candidates);
  for (int j = 0; (a = sdp_message_attribute_get (sdp, m, j)) != NULL; j++)
    if (a->a_att_field && strcmp (a->a_att_field, "candidate") == 0)
      {
        ChorusSdpCandidate *c = chorus_sdp_candidate_parse (a->a_att_value, error);
        if (c == NULL)
          return FALSE;
        g_ptr_array_add (s->candidates, c);
      }

  const char *fp = attribute (sdp, m, "fingerprint", NULL);
  if (fp != NULL)
    {
      const char *sp = strchr (fp, ' ');
      if (sp == NULL || !fingerprint_valid (sp + 1))
        {
          g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                       "malformed a=fingerprint \"%s\" (RFC 8122 §5)", fp);
          return FALSE;
        }
      s->fingerprint_hash = g_ascii_strdown (fp, sp - fp);
      s->fingerprint = g_ascii_strup (sp + 1, -1);
    }
  gboolean has_setup = FALSE;
  const char *setup = attribute (sdp, m, "setup", &has_setup);
  if (has_setup)
    {
      if (g_strcmp0 (setup, "actpass") == 0)
        s->setup = CHORUS_SDP_SETUP_ACTPASS;
      else if (g_strcmp0 (setup, "active") == 0)
        s->setup = CHORUS_SDP_SETUP_ACTIVE;
      else if (g_strcmp0 (setup, "passive") == 0)
        s->setup = CHORUS_SDP_SETUP_PASSIVE;
      else
        {
          g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                       "a=setup:%s is not one Chorus uses (RFC 4145 §4)", setup ? setup : "");
          return FALSE;
        }
    }
  return TRUE;
}

ChorusSdpSession *
chorus_sdp_parse (const char *text, gsize len, GError **error)
{
  chorus_sip_osip_init ();
  /* libosip2 5.3's sdp_message_parse reads past the terminating NUL of a
   * text whose last line ends early (found by fuzz-sip): zeros after it */
  g_autofree char *copy = g_malloc0 (len + 16);
  memcpy (copy, text, len);
  sdp_message_t *sdp = NULL;
  sdp_message_init (&sdp);
  if (sdp_message_parse (sdp, copy) != 0)
    {
      sdp_message_free (sdp);
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                   "not a session description (RFC 4566)");
      return NULL;
    }
  g_autoptr (ChorusSdpSession) s = chorus_sdp_session_new ();
  gboolean ok = FALSE;
  int audio = -1;
  char *media;
  for (int i = 0; (media = sdp_message_m_media_get (sdp, i)) != NULL; i++)
    {
      if (audio < 0 && strcmp (media, "audio") == 0)
        {
          audio = i;
          continue;
        }
      const char *proto = sdp_message_m_proto_get (sdp, i);
      const char *fmt = sdp_message_m_payload_get (sdp, i, 0);
      g_ptr_array_add (
          s->other_media,
          g_strdup_printf ("%s %s %s", media, proto ? proto : "RTP/AVP", fmt ? fmt : "0"));
    }
  guint64 v = 0;
  if (audio < 0)
    g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                 "no audio stream in the session description");
  else if (!parse_uint (sdp->o_sess_id, G_MAXUINT64, &s->session_id)
           || !parse_uint (sdp->o_sess_version, G_MAXUINT64, &s->session_version))
    g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                 "o= session id and version must be numbers (RFC 4566 §5.2)");
  else if (!parse_uint (sdp_message_m_port_get (sdp, audio), 65535, &v))
    g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE, "bad port in the audio m-line");
  else
    {
      s->port = v;
      s->audio_index = audio;
      g_free (s->origin_user);
      s->origin_user = g_strdup (sdp->o_username ? sdp->o_username : "-");
      g_free (s->proto);
      s->proto = g_strdup (sdp_message_m_proto_get (sdp, audio));
      const char *addr = sdp_message_c_addr_get (sdp, audio, 0);
      if (addr == NULL)
        addr = sdp_message_c_addr_get (sdp, -1, 0);
      if (addr == NULL)
        addr = sdp->o_addr;
      s->address = g_strdup (addr ? addr : "0.0.0.0");
      /* RFC 4566 §9: proto is tokens joined by "/", the others tokens */
      if (!proto_valid (s->proto) || !address_valid (s->address) || !token_ok (s->origin_user))
        g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                     "malformed m= protocol, address or origin (RFC 4566 §9)");
      else
        ok = parse_media_attributes (s, sdp, audio, error);
    }
  sdp_message_free (sdp);
  return ok ? g_steal_pointer (&s) : NULL;
}

/* ---------------------------------------------------------------- writing */

static void
add_attr (sdp_message_t *sdp, int media, const char *field, const char *value)
{
  sdp_message_a_attribute_add (sdp, media, osip_strdup (field), value ? osip_strdup (value) : NULL);
}

static void
add_other_media (sdp_message_t *sdp, int *pos, const char *line)
{
  /* refused in the answer: port 0 (RFC 3264 §6) */
  g_auto (GStrv) f = g_strsplit (line, " ", 3);
  if (g_strv_length (f) != 3)
    return;
  sdp_message_m_media_add (sdp, osip_strdup (f[0]), osip_strdup ("0"), NULL, osip_strdup (f[1]));
  sdp_message_m_payload_add (sdp, *pos, osip_strdup (f[2]));
  (*pos)++;
}

char *
chorus_sdp_to_string (const ChorusSdpSession *s)
{
  chorus_sip_osip_init ();
  sdp_message_t *sdp = NULL;
  sdp_message_init (&sdp);
  const char *addr = s->address ? s->address : "0.0.0.0";
  const char *addrtype = strchr (addr, ':') ? "IP6" : "IP4";
  sdp_message_v_version_set (sdp, osip_strdup ("0"));
  sdp_message_o_origin_set (sdp, osip_strdup (s->origin_user ? s->origin_user : "-"),
                            g_strdup_printf ("%" G_GUINT64_FORMAT, s->session_id),
                            g_strdup_printf ("%" G_GUINT64_FORMAT, s->session_version),
                            osip_strdup ("IN"), osip_strdup (addrtype), osip_strdup (addr));
  sdp_message_s_name_set (sdp, osip_strdup ("-"));
  sdp_message_c_connection_add (sdp, -1, osip_strdup ("IN"), osip_strdup (addrtype),
                                osip_strdup (addr), NULL, NULL);
  sdp_message_t_time_descr_add (sdp, osip_strdup ("0"), osip_strdup ("0"));
  if (s->ice_trickle)
    add_attr (sdp, -1, "ice-options", "trickle"); /* RFC 8840 §4.1.1 */

  int pos = 0;
  guint other = 0;
  for (; other < s->other_media->len && other < s->audio_index; other++)
    add_other_media (sdp, &pos, g_ptr_array_index (s->other_media, other));

  int m = pos++;
  sdp_message_m_media_add (sdp, osip_strdup ("audio"), g_strdup_printf ("%u", s->port), NULL,
                           osip_strdup (s->proto ? s->proto : "UDP/TLS/RTP/SAVP"));
  for (guint i = 0; i < s->codecs->len; i++)
    {
      const ChorusSdpCodec *c = g_ptr_array_index (s->codecs, i);
      sdp_message_m_payload_add (sdp, m, g_strdup_printf ("%u", c->payload_type));
    }
  if (s->codecs->len == 0)
    sdp_message_m_payload_add (sdp, m, osip_strdup ("0")); /* a refused stream keeps a format */
  for (guint i = 0; i < s->codecs->len; i++)
    {
      const ChorusSdpCodec *c = g_ptr_array_index (s->codecs, i);
      g_autofree char *map =
          c->channels > 1 ? g_strdup_printf ("%u %s/%u/%u", c->payload_type, c->name, c->clock_rate,
                                             c->channels)
                          : g_strdup_printf ("%u %s/%u", c->payload_type, c->name, c->clock_rate);
      add_attr (sdp, m, "rtpmap", map);
      if (c->fmtp != NULL)
        {
          g_autofree char *fmtp = g_strdup_printf ("%u %s", c->payload_type, c->fmtp);
          add_attr (sdp, m, "fmtp", fmtp);
        }
    }
  if (s->ice_ufrag != NULL)
    add_attr (sdp, m, "ice-ufrag", s->ice_ufrag);
  if (s->ice_pwd != NULL)
    add_attr (sdp, m, "ice-pwd", s->ice_pwd);
  for (guint i = 0; i < s->candidates->len; i++)
    {
      g_autofree char *c = chorus_sdp_candidate_to_string (g_ptr_array_index (s->candidates, i));
      add_attr (sdp, m, "candidate", c);
    }
  if (s->end_of_candidates)
    add_attr (sdp, m, "end-of-candidates", NULL); /* RFC 8840 §4.1.2 */
  if (s->fingerprint != NULL)
    {
      g_autofree char *fp = g_strdup_printf (
          "%s %s", s->fingerprint_hash ? s->fingerprint_hash : "sha-256", s->fingerprint);
      add_attr (sdp, m, "fingerprint", fp);
    }
  static const char *setups[] = { NULL, "actpass", "active", "passive" };
  if (s->setup != CHORUS_SDP_SETUP_NONE)
    add_attr (sdp, m, "setup", setups[s->setup]);
  if (s->rtcp_mux)
    add_attr (sdp, m, "rtcp-mux", NULL);
  add_attr (sdp, m, chorus_sdp_direction_to_string (s->direction), NULL);

  for (; other < s->other_media->len; other++)
    add_other_media (sdp, &pos, g_ptr_array_index (s->other_media, other));

  char *out = NULL;
  char *text = NULL;
  if (sdp_message_to_str (sdp, &out) == 0 && out != NULL)
    text = g_strdup (out);
  osip_free (out);
  sdp_message_free (sdp);
  return text;
}
