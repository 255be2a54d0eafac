/* chorus-sdp-negotiate.c: the offer/answer model (RFC 3264) for one audio
 * stream with DTLS-SRTP (RFC 5763) and ICE (RFC 8839) (chorus-sdp.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sdp.h"

#include <string.h>

ChorusSdpDirection
chorus_sdp_direction_answer (ChorusSdpDirection offered, ChorusSdpDirection wanted)
{
  gboolean want_send = wanted == CHORUS_SDP_SENDRECV || wanted == CHORUS_SDP_SENDONLY;
  gboolean want_recv = wanted == CHORUS_SDP_SENDRECV || wanted == CHORUS_SDP_RECVONLY;
  /* RFC 3264 §6.1: "If a stream is offered as sendonly, the corresponding
   * stream MUST be marked as recvonly or inactive in the answer", and the
   * other way round; an inactive offer gets an inactive answer; a sendrecv
   * offer any direction. */
  switch (offered)
    {
    case CHORUS_SDP_SENDONLY:
      return want_recv ? CHORUS_SDP_RECVONLY : CHORUS_SDP_INACTIVE;
    case CHORUS_SDP_RECVONLY:
      return want_send ? CHORUS_SDP_SENDONLY : CHORUS_SDP_INACTIVE;
    case CHORUS_SDP_INACTIVE:
      return CHORUS_SDP_INACTIVE;
    case CHORUS_SDP_SENDRECV:
    default:
      return wanted;
    }
}

ChorusSdpDirection
chorus_sdp_direction_hold (ChorusSdpDirection current)
{
  /* RFC 3264 §8.4: "If the stream to be placed on hold was previously a
   * sendrecv media stream, it is placed on hold by marking it sendonly. If
   * the stream to be placed on hold was previously a recvonly media
   * stream, it is placed on hold by marking it inactive." */
  switch (current)
    {
    case CHORUS_SDP_SENDRECV:
      return CHORUS_SDP_SENDONLY;
    case CHORUS_SDP_RECVONLY:
      return CHORUS_SDP_INACTIVE;
    default:
      return current;
    }
}

ChorusSdpDirection
chorus_sdp_direction_resume (ChorusSdpDirection current)
{
  /* The reverse of §8.4's hold. */
  switch (current)
    {
    case CHORUS_SDP_SENDONLY:
      return CHORUS_SDP_SENDRECV;
    case CHORUS_SDP_INACTIVE:
      return CHORUS_SDP_RECVONLY;
    default:
      return current;
    }
}

static gboolean
codec_matches (const ChorusSdpCodec *a, const ChorusSdpCodec *b)
{
  /* RFC 3264 §6.1: the same encoding name, clock rate and channels. */
  return g_ascii_strcasecmp (a->name, b->name) == 0 && a->clock_rate == b->clock_rate
         && a->channels == b->channels;
}

static const ChorusSdpCodec *
find_local (const ChorusSdpSession *local, const ChorusSdpCodec *offered)
{
  for (guint i = 0; i < local->codecs->len; i++)
    {
      const ChorusSdpCodec *c = g_ptr_array_index (local->codecs, i);
      if (codec_matches (c, offered))
        return c;
    }
  return NULL;
}

static gboolean
proto_is_dtls (const char *proto)
{
  return proto != NULL
         && (strcmp (proto, "UDP/TLS/RTP/SAVP") == 0 || strcmp (proto, "UDP/TLS/RTP/SAVPF") == 0);
}

static gboolean
proto_is_plain (const char *proto)
{
  return proto != NULL && (strcmp (proto, "RTP/AVP") == 0 || strcmp (proto, "RTP/AVPF") == 0);
}

const ChorusSdpCodec *
chorus_sdp_selected_codec (const ChorusSdpSession *s)
{
  for (guint i = 0; i < s->codecs->len; i++)
    {
      const ChorusSdpCodec *c = g_ptr_array_index (s->codecs, i);
      if (!chorus_sdp_codec_is_dtmf (c))
        return c;
    }
  return NULL;
}

ChorusSdpSession *
chorus_sdp_answer (const ChorusSdpSession *offer, const ChorusSdpSession *local, GError **error)
{
  if (offer->port == 0)
    {
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                   "the offer refuses its audio stream (port 0)");
      return NULL;
    }
  if (proto_is_dtls (offer->proto))
    {
      if (local->fingerprint == NULL)
        {
          g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                       "DTLS-SRTP offered but no local certificate fingerprint");
          return NULL;
        }
      if (offer->fingerprint == NULL)
        {
          /* RFC 5763 §5: the fingerprint is what authenticates the DTLS
           * handshake; without it there is no secure media. */
          g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                       "DTLS-SRTP offer without a=fingerprint (RFC 5763 §5)");
          return NULL;
        }
    }
  else if (!(proto_is_plain (offer->proto) && proto_is_plain (local->proto)))
    {
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                   "media protocol %s is not one this side accepts", offer->proto);
      return NULL;
    }

  /* The offerer's order is its preference: the first offered codec that we
   * support wins. */
  const ChorusSdpCodec *chosen = NULL, *chosen_local = NULL;
  for (guint i = 0; i < offer->codecs->len && chosen == NULL; i++)
    {
      const ChorusSdpCodec *c = g_ptr_array_index (offer->codecs, i);
      if (chorus_sdp_codec_is_dtmf (c))
        continue;
      chosen_local = find_local (local, c);
      if (chosen_local != NULL)
        chosen = c;
    }
  if (chosen == NULL)
    {
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                   "no codec in common (RFC 3264 §6.1)");
      return NULL;
    }
  /* RFC 4733 §2.1: telephone-event at the chosen codec's rate if both
   * offer it, else any telephone-event both support. */
  const ChorusSdpCodec *dtmf = NULL;
  for (guint pass = 0; pass < 2 && dtmf == NULL; pass++)
    for (guint i = 0; i < offer->codecs->len && dtmf == NULL; i++)
      {
        const ChorusSdpCodec *c = g_ptr_array_index (offer->codecs, i);
        if (chorus_sdp_codec_is_dtmf (c) && find_local (local, c) != NULL
            && (pass == 1 || c->clock_rate == chosen->clock_rate))
          dtmf = c;
      }

  ChorusSdpSession *a = chorus_sdp_session_new ();
  g_free (a->origin_user);
  a->origin_user = g_strdup (local->origin_user);
  a->session_id = local->session_id;
  a->session_version = local->session_version;
  a->address = g_strdup (local->address);
  a->port = local->port;
  g_free (a->proto);
  a->proto = g_strdup (offer->proto);
  /* RFC 3264 §6.1: the answerer uses the offer's payload types; the fmtp
   * parameters are the receiver's, so ours (RFC 7587 §7). */
  g_ptr_array_add (a->codecs,
                   chorus_sdp_codec_new (chosen->payload_type, chosen->name, chosen->clock_rate,
                                         chosen->channels, chosen_local->fmtp));
  if (dtmf != NULL)
    g_ptr_array_add (a->codecs,
                     chorus_sdp_codec_new (dtmf->payload_type, dtmf->name, dtmf->clock_rate,
                                           dtmf->channels, dtmf->fmtp));
  a->direction = chorus_sdp_direction_answer (offer->direction, local->direction);
  /* RFC 5761 §5.1.1: rtcp-mux in the answer only if offered. */
  a->rtcp_mux = offer->rtcp_mux && local->rtcp_mux;
  a->ice_ufrag = g_strdup (local->ice_ufrag);
  a->ice_pwd = g_strdup (local->ice_pwd);
  a->ice_trickle = offer->ice_trickle && local->ice_trickle;
  for (guint i = 0; i < local->candidates->len; i++)
    {
      g_autofree char *text =
          chorus_sdp_candidate_to_string (g_ptr_array_index (local->candidates, i));
      ChorusSdpCandidate *c = chorus_sdp_candidate_parse (text, NULL);
      if (c != NULL)
        g_ptr_array_add (a->candidates, c);
    }
  a->end_of_candidates = local->end_of_candidates;
  if (proto_is_dtls (offer->proto))
    {
      a->fingerprint_hash =
          g_strdup (local->fingerprint_hash ? local->fingerprint_hash : "sha-256");
      a->fingerprint = g_strdup (local->fingerprint);
      /* RFC 5763 §5: the answerer to actpass is active (RECOMMENDED); to
       * active, passive; to passive, active.  No a=setup means active
       * (RFC 4145 §4). */
      switch (offer->setup)
        {
        case CHORUS_SDP_SETUP_PASSIVE:
        case CHORUS_SDP_SETUP_ACTPASS:
          a->setup = CHORUS_SDP_SETUP_ACTIVE;
          break;
        case CHORUS_SDP_SETUP_ACTIVE:
        case CHORUS_SDP_SETUP_NONE:
        default:
          a->setup = CHORUS_SDP_SETUP_PASSIVE;
          break;
        }
    }
  /* RFC 3264 §6: every other m-line of the offer, refused. */
  for (guint i = 0; i < offer->other_media->len; i++)
    g_ptr_array_add (a->other_media, g_strdup (g_ptr_array_index (offer->other_media, i)));
  a->audio_index = offer->audio_index;
  return a;
}

gboolean
chorus_sdp_check_answer (const ChorusSdpSession *offer, const ChorusSdpSession *answer,
                         GError **error)
{
  if (answer->port == 0)
    {
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                   "the answer refuses the audio stream (RFC 3264 §6)");
      return FALSE;
    }
  const ChorusSdpCodec *sel = chorus_sdp_selected_codec (answer);
  gboolean found = FALSE;
  for (guint i = 0; sel != NULL && i < offer->codecs->len && !found; i++)
    {
      const ChorusSdpCodec *c = g_ptr_array_index (offer->codecs, i);
      found = c->payload_type == sel->payload_type && codec_matches (c, sel);
    }
  if (!found)
    {
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                   "the answer's codec is not one the offer listed (RFC 3264 §6.1)");
      return FALSE;
    }
  gboolean ok = TRUE;
  switch (offer->direction)
    {
    case CHORUS_SDP_SENDONLY:
      ok = answer->direction == CHORUS_SDP_RECVONLY || answer->direction == CHORUS_SDP_INACTIVE;
      break;
    case CHORUS_SDP_RECVONLY:
      ok = answer->direction == CHORUS_SDP_SENDONLY || answer->direction == CHORUS_SDP_INACTIVE;
      break;
    case CHORUS_SDP_INACTIVE:
      ok = answer->direction == CHORUS_SDP_INACTIVE;
      break;
    default:
      break;
    }
  if (!ok)
    {
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                   "answer direction %s does not fit the offer's %s (RFC 3264 §6.1)",
                   chorus_sdp_direction_to_string (answer->direction),
                   chorus_sdp_direction_to_string (offer->direction));
      return FALSE;
    }
  if (proto_is_dtls (offer->proto)
      && (answer->fingerprint == NULL || answer->setup == CHORUS_SDP_SETUP_ACTPASS))
    {
      /* RFC 5763 §5: the answer carries a fingerprint and active or
       * passive. */
      g_set_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE,
                   "DTLS-SRTP answer without fingerprint or with setup:actpass (RFC 5763 §5)");
      return FALSE;
    }
  return TRUE;
}
