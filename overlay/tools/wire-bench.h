/* wire-bench.h: decode and encode rates of the codec.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-wire.h"

int wire_bench_run (double seconds, gboolean json, const RwOptions *options);
