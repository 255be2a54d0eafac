/* fuzz-media.c: libFuzzer target for what call media parses from the
 * remote SDP (carried by SIP from a stranger): ICE candidate lines (RFC
 * 8839 §5.1) and DTLS fingerprints (RFC 8122 §5).  A candidate that parses
 * must write back to a line that parses to the same candidate.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "call-media-certificate.h"
#include "media-candidate.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  if (memchr (data, '\0', size) != NULL)
    return 0;
  g_autofree char *text = g_strndup ((const char *) data, size);

  NiceCandidate *cand = NULL;
  if (media_candidate_parse (text, &cand, NULL) && cand != NULL)
    {
      g_autofree char *again = media_candidate_to_string (cand);
      NiceCandidate *back = NULL;
      if (!media_candidate_parse (again, &back, NULL) || back == NULL || back->type != cand->type
          || back->priority != cand->priority || !nice_address_equal (&back->addr, &cand->addr)
          || strcmp (back->foundation, cand->foundation) != 0)
        abort ();
      nice_candidate_free (back);
      nice_candidate_free (cand);
    }

  MediaFingerprint fp;
  if (media_fingerprint_parse (text, &fp, NULL) && (fp.len == 0 || fp.len > sizeof fp.value))
    abort ();
  return 0;
}
