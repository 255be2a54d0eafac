/* wire-samples.h: an example of every RELOAD message, as a pcap.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-wire.h"

/* The sample messages: every body of samples.json (one per method, request
 * and answer), an error response of every code, each as a whole encoded
 * message.  Returns an array of GBytes. */
GPtrArray *wire_samples_messages (const RwOptions *options, GError **error);

/* Writes a pcap (Ethernet/IPv4/UDP, port 6084) of framed data messages:
 * every sample, an ack frame, and one message split into several
 * fragments (§6.7).  With @json_dir, also writes each sample message's
 * JSON there (NNN-name.json) and its bytes (NNN-name.bin). */
gboolean wire_samples_write_pcap (const char *path, const char *json_dir, const RwOptions *options,
                                  GError **error);
