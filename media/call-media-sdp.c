/* call-media-sdp.c: session descriptions joined to a call's media
 * (call-media-sdp.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "call-media-sdp.h"

#include "media-candidate.h"

#include <string.h>

/* What the SDP layer has handed a CallMedia so far, kept on the object: a
 * later description (a re-INVITE) is compared with it. */
typedef struct
{
  char *ufrag; /* NULL until the remote credentials were given */
  char *pwd;
  char *fingerprint;      /* "sha-256 HEX" as given */
  GHashTable *candidates; /* candidate lines given, "candidate:..." */
  gboolean configured;    /* call_media_sdp_configure() succeeded once */
} Applied;

static void
applied_free (gpointer data)
{
  Applied *a = data;
  g_free (a->ufrag);
  g_free (a->pwd);
  g_free (a->fingerprint);
  g_hash_table_unref (a->candidates);
  g_free (a);
}

static GQuark
applied_quark (void)
{
  static GQuark q;
  if (G_UNLIKELY (q == 0))
    q = g_quark_from_static_string ("call-media-sdp-applied");
  return q;
}

static Applied *
applied_get (CallMedia *media, gboolean create)
{
  Applied *a = g_object_get_qdata (G_OBJECT (media), applied_quark ());
  if (a == NULL && create)
    {
      a = g_new0 (Applied, 1);
      a->candidates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_object_set_qdata_full (G_OBJECT (media), applied_quark (), a, applied_free);
    }
  return a;
}

static gboolean
media_is_over (CallMedia *media, GError **error)
{
  CallMediaState state = call_media_get_state (media);
  if (state != CALL_MEDIA_STATE_FAILED && state != CALL_MEDIA_STATE_CLOSED)
    return FALSE;
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID, "the call's media is over");
  return TRUE;
}

static gboolean not_acceptable (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
not_acceptable (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE, message);
  return FALSE;
}

/* ---------------------------------------------------------------- roles */

void
call_media_sdp_roles (gboolean offerer, gboolean *controlling, CallMediaDtlsRole *dtls_role)
{
  /* RFC 8445 §6.1.1: with two full agents, "the agent that generated the
   * initial offer MUST take the controlling role".  RFC 5763 §5: the
   * offerer sends a=setup:actpass and the answerer SHOULD answer
   * a=setup:active (the handshake then starts as soon as the answer is
   * sent), which makes it the DTLS client (RFC 4145 §4: active opens the
   * connection) and the offerer the server. */
  if (controlling != NULL)
    *controlling = offerer;
  if (dtls_role != NULL)
    *dtls_role = offerer ? CALL_MEDIA_DTLS_SERVER : CALL_MEDIA_DTLS_CLIENT;
}

static const char *
setup_name (ChorusSdpSetup setup)
{
  switch (setup)
    {
    case CHORUS_SDP_SETUP_ACTPASS:
      return "actpass";
    case CHORUS_SDP_SETUP_ACTIVE:
      return "active";
    case CHORUS_SDP_SETUP_PASSIVE:
      return "passive";
    case CHORUS_SDP_SETUP_NONE:
    default:
      return "(none)";
    }
}

static const char *
role_name (CallMediaDtlsRole role)
{
  return role == CALL_MEDIA_DTLS_CLIENT ? "client" : "server";
}

gboolean
call_media_sdp_check_dtls_role (CallMedia *media, const ChorusSdpSession *local,
                                const ChorusSdpSession *remote, GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (media) && remote != NULL, FALSE);
  /* RFC 4145 §4: no a=setup is taken as active (what chorus_sdp_answer()
   * assumes too) */
  ChorusSdpSetup theirs =
      remote->setup == CHORUS_SDP_SETUP_NONE ? CHORUS_SDP_SETUP_ACTIVE : remote->setup;
  ChorusSdpSetup ours = local != NULL ? local->setup : CHORUS_SDP_SETUP_NONE;
  CallMediaDtlsRole needed;
  const char *decided_by;
  if (theirs == CHORUS_SDP_SETUP_ACTIVE)
    {
      /* the peer connects: we are the server */
      if (ours == CHORUS_SDP_SETUP_ACTIVE)
        return not_acceptable (error, "both ends say a=setup:active: no DTLS server "
                                      "(RFC 4145 §4)");
      needed = CALL_MEDIA_DTLS_SERVER;
      decided_by = "the peer's a=setup:active";
    }
  else if (theirs == CHORUS_SDP_SETUP_PASSIVE)
    {
      if (ours == CHORUS_SDP_SETUP_PASSIVE)
        return not_acceptable (error, "both ends say a=setup:passive: no DTLS client "
                                      "(RFC 4145 §4)");
      needed = CALL_MEDIA_DTLS_CLIENT;
      decided_by = "the peer's a=setup:passive";
    }
  else if (ours == CHORUS_SDP_SETUP_ACTIVE)
    {
      needed = CALL_MEDIA_DTLS_CLIENT;
      decided_by = "our a=setup:active";
    }
  else if (ours == CHORUS_SDP_SETUP_PASSIVE)
    {
      needed = CALL_MEDIA_DTLS_SERVER;
      decided_by = "our a=setup:passive";
    }
  else if (local == NULL)
    return TRUE; /* the peer's actpass offer: our answer decides */
  else
    /* RFC 5763 §5: an answer says active or passive, never actpass */
    return not_acceptable (error,
                           "a=setup:%s against a=setup:actpass decides no DTLS role "
                           "(RFC 5763 §5)",
                           setup_name (ours));

  CallMediaDtlsRole have = CALL_MEDIA_DTLS_CLIENT;
  g_object_get (media, "dtls-role", &have, NULL);
  if (have != needed)
    return not_acceptable (error,
                           "%s makes this end the DTLS %s (RFC 4145 §4, RFC 5763 §5), but its "
                           "media was made as the DTLS %s and cannot change (\"dtls-role\" is "
                           "fixed when the media starts)",
                           decided_by, role_name (needed), role_name (have));
  return TRUE;
}

/* ---------------------------------------------------------------- ours */

/* RFC 8445 §5.1.4: "it is RECOMMENDED that default candidates be chosen
 * based on the likelihood of those candidates to work with the peer that
 * is being contacted ... the relayed candidates (if relayed candidates are
 * available), server-reflexive candidates (if server-reflexive candidates
 * are available), and finally host candidates".  Peer-reflexive ones are
 * learnt during the checks, never a default. */
static guint
default_rank (const ChorusSdpCandidate *c)
{
  if (c->component != 1 || g_ascii_strcasecmp (c->transport, "UDP") != 0)
    return 0;
  if (strcmp (c->type, "relay") == 0)
    return 3;
  if (strcmp (c->type, "srflx") == 0)
    return 2;
  if (strcmp (c->type, "host") == 0)
    return 1;
  return 0;
}

ChorusSdpSession *
call_media_sdp_local (CallMedia *media, const ChorusSdpSession *template_, GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (media), NULL);
  if (media_is_over (media, error))
    return NULL;
  g_autofree char *ufrag = NULL, *pwd = NULL;
  call_media_get_local_credentials (media, &ufrag, &pwd);
  const char *fingerprint = call_media_get_local_fingerprint (media);
  if (ufrag == NULL || pwd == NULL || fingerprint == NULL)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "the media has not started: no ICE credentials or certificate yet");
      return NULL;
    }
  /* "sha-256 4A:AD:..." (RFC 8122 §5) */
  if (!g_str_has_prefix (fingerprint, "sha-256 "))
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "the certificate's fingerprint is not a sha-256 one: %s", fingerprint);
      return NULL;
    }
  const char *fingerprint_hex = fingerprint + strlen ("sha-256 ");

  /* call_media_get_local_candidates() gives "candidate:<foundation> ..."
   * (RFC 8839 §5.1 with its attribute name), chorus_sdp_candidate_parse()
   * the attribute value after "candidate:" */
  g_autoptr (GPtrArray) candidates =
      g_ptr_array_new_with_free_func ((GDestroyNotify) chorus_sdp_candidate_free);
  g_auto (GStrv) lines = call_media_get_local_candidates (media);
  const ChorusSdpCandidate *best = NULL;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *value = lines[i];
      if (g_str_has_prefix (value, "candidate:"))
        value += strlen ("candidate:");
      ChorusSdpCandidate *c = chorus_sdp_candidate_parse (value, error);
      if (c == NULL)
        return NULL;
      g_ptr_array_add (candidates, c);
      guint rank = default_rank (c);
      if (rank > 0
          && (best == NULL || rank > default_rank (best)
              || (rank == default_rank (best) && c->priority > best->priority)))
        best = c;
    }

  gboolean trickle = template_ != NULL && template_->ice_trickle;
  if (best == NULL && !trickle)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "no local candidate of component 1 yet: wait for ::gathered "
                   "(or offer trickle ICE, RFC 8840)");
      return NULL;
    }
  /* RFC 8839 §4.2.1.2: the default candidate's address and port go in
   * c= and the m= line; RFC 8840: a description without candidates has
   * the placeholder IN IP4 0.0.0.0, port 9 */
  const char *address = best != NULL ? best->address : "0.0.0.0";
  guint port = best != NULL ? best->port : 9;

  ChorusSdpSession *s;
  if (template_ == NULL)
    s = chorus_sdp_session_new_local (address, port, ufrag, pwd, fingerprint_hex);
  else
    {
      s = chorus_sdp_session_copy (template_);
      g_free (s->address);
      s->address = g_strdup (address);
      s->port = port;
      g_free (s->ice_ufrag);
      s->ice_ufrag = g_strdup (ufrag);
      g_free (s->ice_pwd);
      s->ice_pwd = g_strdup (pwd);
      g_free (s->fingerprint_hash);
      s->fingerprint_hash = g_strdup ("sha-256");
      g_free (s->fingerprint);
      s->fingerprint = g_strdup (fingerprint_hex);
      g_ptr_array_set_size (s->candidates, 0);
    }
  g_ptr_array_extend_and_steal (s->candidates, g_steal_pointer (&candidates));
  /* RFC 8840 §4.1.2: all candidates are in once gathered; with trickle
   * ICE, the caller says so */
  s->end_of_candidates = trickle ? template_->end_of_candidates : TRUE;
  return s;
}

/* ---------------------------------------------------------------- theirs */

static gboolean
proto_is_dtls_srtp (const char *proto)
{
  /* RFC 5764 §8: DTLS-SRTP's protos; SAVPF (RFC 5124) as chorus_sdp_answer()
   * accepts it: the feedback messages are simply not sent */
  return proto != NULL
         && (strcmp (proto, "UDP/TLS/RTP/SAVP") == 0 || strcmp (proto, "UDP/TLS/RTP/SAVPF") == 0);
}

/* RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/"; ufrag 4-256 of
 * them, pwd 22-256 */
static gboolean
ice_chars (const char *s, gsize min, gsize max)
{
  gsize n = strnlen (s, max + 1);
  if (n < min || n > max)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  return TRUE;
}

gboolean
call_media_sdp_check_remote (const ChorusSdpSession *remote, GError **error)
{
  g_return_val_if_fail (remote != NULL, FALSE);
  if (remote->port == 0)
    return not_acceptable (error, "the audio stream is refused (port 0, RFC 3264 §6)");
  if (!proto_is_dtls_srtp (remote->proto))
    return not_acceptable (error,
                           "media protocol %s: the call's media speaks only DTLS-SRTP "
                           "(UDP/TLS/RTP/SAVP, RFC 5764 §8)",
                           remote->proto ? remote->proto : "(none)");
  if (remote->ice_ufrag == NULL || remote->ice_pwd == NULL)
    return not_acceptable (error, "no a=ice-ufrag or a=ice-pwd (RFC 8839 §5.4): the call's "
                                  "media needs ICE");
  if (!ice_chars (remote->ice_ufrag, 4, 256) || !ice_chars (remote->ice_pwd, 22, 256))
    {
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE,
                   "malformed a=ice-ufrag or a=ice-pwd (RFC 8839 §5.4: 4 and 22 to 256 "
                   "ice-chars)");
      return FALSE;
    }
  /* RFC 5763 §5: the fingerprint is what authenticates the handshake */
  if (remote->fingerprint == NULL)
    return not_acceptable (error, "DTLS-SRTP without a=fingerprint (RFC 5763 §5)");
  /* RFC 8122 §5: SHA-256 is the hash every implementation supports, and
   * the one Chorus uses; weaker ones (sha-1) are refused */
  if (remote->fingerprint_hash == NULL
      || g_ascii_strcasecmp (remote->fingerprint_hash, "sha-256") != 0)
    return not_acceptable (error,
                           "a=fingerprint hash function %s: only sha-256 is accepted "
                           "(RFC 8122 §5)",
                           remote->fingerprint_hash ? remote->fingerprint_hash : "(none)");
  return TRUE;
}

static char *
remote_fingerprint (const ChorusSdpSession *remote)
{
  return g_strdup_printf ("sha-256 %s", remote->fingerprint);
}

/* Hands the candidates of @remote that @media has not had yet. */
static gboolean
add_candidates (CallMedia *media, Applied *applied, const ChorusSdpSession *remote, GError **error)
{
  for (guint i = 0; i < remote->candidates->len; i++)
    {
      g_autofree char *value =
          chorus_sdp_candidate_to_string (g_ptr_array_index (remote->candidates, i));
      g_autofree char *line = g_strconcat ("candidate:", value, NULL);
      if (g_hash_table_contains (applied->candidates, line))
        continue;
      /* validated before (validate_for_media()); CallMedia skips the
       * well-formed ones it cannot use (RFC 8839 §5.1: TCP, FQDN,
       * component 2) */
      if (!call_media_add_remote_candidate (media, line, error))
        return FALSE;
      g_hash_table_add (applied->candidates, g_steal_pointer (&line));
    }
  return TRUE;
}

/* What CallMedia's own parsers would refuse, found before anything is
 * handed over: a description is taken whole or not at all. */
static gboolean
validate_for_media (const ChorusSdpSession *remote, const char *fingerprint, GError **error)
{
  MediaFingerprint fp;
  if (!media_fingerprint_parse (fingerprint, &fp, error))
    return FALSE;
  for (guint i = 0; i < remote->candidates->len; i++)
    {
      g_autofree char *value =
          chorus_sdp_candidate_to_string (g_ptr_array_index (remote->candidates, i));
      g_autofree char *line = g_strconcat ("candidate:", value, NULL);
      NiceCandidate *c = NULL;
      if (!media_candidate_parse (line, &c, error))
        return FALSE;
      if (c != NULL)
        nice_candidate_free (c);
    }
  return TRUE;
}

/* A description after the first one that the media was given (a
 * re-INVITE, or the answer after the offer alone) continues the same ICE
 * session and DTLS association. */
static gboolean
check_same_session (CallMedia *media, const ChorusSdpSession *remote, GError **error)
{
  Applied *applied = applied_get (media, FALSE);
  if (applied == NULL || applied->ufrag == NULL)
    return TRUE;
  if (strcmp (applied->ufrag, remote->ice_ufrag) != 0
      || strcmp (applied->pwd, remote->ice_pwd) != 0)
    return not_acceptable (error, "new a=ice-ufrag/a=ice-pwd: an ICE restart (RFC 8839 "
                                  "§4.4.3.1.1), which the call's media cannot do");
  g_autofree char *fingerprint = remote_fingerprint (remote);
  if (g_ascii_strcasecmp (applied->fingerprint, fingerprint) != 0)
    return not_acceptable (error, "a new a=fingerprint: a new DTLS association (RFC 8842 §5), "
                                  "which the call's media cannot do");
  return TRUE;
}

gboolean
call_media_sdp_apply_remote (CallMedia *media, const ChorusSdpSession *remote,
                             const ChorusSdpSession *local, GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (media) && remote != NULL, FALSE);
  if (media_is_over (media, error) || !call_media_sdp_check_remote (remote, error))
    return FALSE;
  if (local != NULL && !call_media_sdp_check_dtls_role (media, local, remote, error))
    return FALSE;
  if (call_media_get_state (media) == CALL_MEDIA_STATE_NEW)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "the media has not started (call_media_start())");
      return FALSE;
    }
  if (!check_same_session (media, remote, error))
    return FALSE;
  g_autofree char *fingerprint = remote_fingerprint (remote);
  Applied *applied = applied_get (media, TRUE);
  if (applied->ufrag == NULL)
    {
      /* the first description of the peer: ICE starts checking */
      if (!validate_for_media (remote, fingerprint, error)
          || !call_media_set_remote_credentials (media, remote->ice_ufrag, remote->ice_pwd, error))
        return FALSE;
      applied->ufrag = g_strdup (remote->ice_ufrag);
      applied->pwd = g_strdup (remote->ice_pwd);
      applied->fingerprint = g_strdup (fingerprint);
      return add_candidates (media, applied, remote, error)
             && call_media_set_remote_fingerprint (media, fingerprint, error);
    }
  /* candidates the first description did not have: only while ICE is
   * still checking (RFC 8839 §4); a connected call keeps its pair */
  CallMediaState state = call_media_get_state (media);
  if (state != CALL_MEDIA_STATE_GATHERING && state != CALL_MEDIA_STATE_CHECKING)
    return TRUE;
  return validate_for_media (remote, fingerprint, error)
         && add_candidates (media, applied, remote, error);
}

/* ---------------------------------------------------------------- codecs, direction */

static gboolean
codec_from_sdp (const ChorusSdpCodec *c, CallMediaCodec *codec, GError **error)
{
  /* RFC 7587 §7: "the media subtype ... MUST be ... opus/48000/2", at a
   * dynamic payload type (RFC 3551 §3: 96-127) */
  if (g_ascii_strcasecmp (c->name, "opus") == 0 && c->clock_rate == 48000 && c->channels == 2
      && c->payload_type >= 96 && c->payload_type <= 127)
    *codec = CALL_MEDIA_CODEC_OPUS;
  /* RFC 3551 §6: G.711 at its static payload types, 8 kHz, mono */
  else if (g_ascii_strcasecmp (c->name, "PCMU") == 0 && c->clock_rate == 8000 && c->channels == 1
           && c->payload_type == 0)
    *codec = CALL_MEDIA_CODEC_PCMU;
  else if (g_ascii_strcasecmp (c->name, "PCMA") == 0 && c->clock_rate == 8000 && c->channels == 1
           && c->payload_type == 8)
    *codec = CALL_MEDIA_CODEC_PCMA;
  else
    return not_acceptable (error,
                           "codec %s/%u/%u at payload type %u: not one the call's media has "
                           "(opus/48000/2 at 96-127, PCMU at 0, PCMA at 8)",
                           c->name, c->clock_rate, c->channels, c->payload_type);
  return TRUE;
}

static CallMediaDirection
direction_from_sdp (ChorusSdpDirection d)
{
  switch (d)
    {
    case CHORUS_SDP_SENDONLY:
      return CALL_MEDIA_DIRECTION_SENDONLY;
    case CHORUS_SDP_RECVONLY:
      return CALL_MEDIA_DIRECTION_RECVONLY;
    case CHORUS_SDP_INACTIVE:
      return CALL_MEDIA_DIRECTION_INACTIVE;
    case CHORUS_SDP_SENDRECV:
    default:
      return CALL_MEDIA_DIRECTION_SENDRECV;
    }
}

gboolean
call_media_sdp_configure (CallMedia *media, const ChorusSdpSession *local,
                          const ChorusSdpSession *remote, gboolean we_offered, GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (media) && local != NULL && remote != NULL, FALSE);
  if (media_is_over (media, error))
    return FALSE;
  const ChorusSdpSession *offer = we_offered ? local : remote;
  const ChorusSdpSession *answer = we_offered ? remote : local;
  if (!chorus_sdp_check_answer (offer, answer, error)
      || !call_media_sdp_check_remote (remote, error)
      || !call_media_sdp_check_dtls_role (media, local, remote, error)
      || !check_same_session (media, remote, error))
    return FALSE;
  Applied *applied = applied_get (media, FALSE);
  if (applied == NULL || !applied->configured)
    {
      /* the first exchange sets the ICE roles (RFC 8445 §6.1.1); later
       * ones (a re-INVITE from either side) keep them */
      gboolean controlling = FALSE;
      g_object_get (media, "controlling", &controlling, NULL);
      if (!controlling != !we_offered)
        return not_acceptable (error,
                               "the %s must be ICE %s (RFC 8445 §6.1.1), but the media was "
                               "made %s",
                               we_offered ? "offerer" : "answerer",
                               we_offered ? "controlling" : "controlled",
                               controlling ? "controlling" : "controlled");
    }

  /* RFC 3264 §6.1: the answer's codec is the one both send */
  const ChorusSdpCodec *selected = chorus_sdp_selected_codec (answer);
  CallMediaCodec codec = CALL_MEDIA_CODEC_OPUS;
  if (selected == NULL)
    return not_acceptable (error, "the answer has no audio codec (RFC 3264 §6.1)");
  if (!codec_from_sdp (selected, &codec, error))
    return FALSE;
  /* RFC 4733 §2.1: events at the audio codec's clock rate (the pipeline
   * sends them so): another rate is as good as none */
  guint event_pt = 0;
  for (guint i = 0; i < answer->codecs->len && event_pt == 0; i++)
    {
      const ChorusSdpCodec *c = g_ptr_array_index (answer->codecs, i);
      if (chorus_sdp_codec_is_dtmf (c) && c->clock_rate == selected->clock_rate
          && c->payload_type != selected->payload_type)
        event_pt = c->payload_type;
    }
  /* RFC 3264 §5.1, §6.1: ours is the direction our description states */
  CallMediaDirection direction = direction_from_sdp (local->direction);

  CallMediaCodec have_codec = CALL_MEDIA_CODEC_OPUS;
  guint have_pt = 0, have_event_pt = 0;
  CallMediaDirection have_direction = CALL_MEDIA_DIRECTION_SENDRECV;
  g_object_get (media, "codec", &have_codec, "payload-type", &have_pt,
                "telephone-event-payload-type", &have_event_pt, "direction", &have_direction, NULL);
  if (call_media_get_state (media) == CALL_MEDIA_STATE_CONNECTED)
    {
      /* codec and payload types went into the pipeline at ::connected */
      if (codec != have_codec
          || (codec == CALL_MEDIA_CODEC_OPUS && selected->payload_type != have_pt)
          || event_pt != have_event_pt)
        return not_acceptable (error,
                               "the new description changes the codec or a payload type "
                               "(%s/%u, telephone-event %u) of a connected call: not supported",
                               selected->name, selected->payload_type, event_pt);
    }
  else
    {
      g_object_set (media, "codec", codec, "telephone-event-payload-type", event_pt, NULL);
      if (codec == CALL_MEDIA_CODEC_OPUS)
        g_object_set (media, "payload-type", selected->payload_type, NULL);
    }
  /* live on a connected call (RFC 3264 §8.4 hold and resume) */
  if (direction != have_direction)
    g_object_set (media, "direction", direction, NULL);
  applied_get (media, TRUE)->configured = TRUE;
  return TRUE;
}

gboolean
call_media_sdp_apply (CallMedia *media, const ChorusSdpSession *local,
                      const ChorusSdpSession *remote, gboolean we_offered, GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (media) && local != NULL && remote != NULL, FALSE);
  /* what call_media_sdp_apply_remote() could refuse, before
   * call_media_sdp_configure() changes anything */
  if (call_media_get_state (media) == CALL_MEDIA_STATE_NEW)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "the media has not started (call_media_start())");
      return FALSE;
    }
  if (!call_media_sdp_check_remote (remote, error))
    return FALSE;
  g_autofree char *fingerprint = remote_fingerprint (remote);
  return validate_for_media (remote, fingerprint, error)
         && call_media_sdp_configure (media, local, remote, we_offered, error)
         && call_media_sdp_apply_remote (media, remote, local, error);
}
