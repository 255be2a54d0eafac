/* reload-wire.h: the whole RELOAD wire format (RFC 6940 and the RFCs that
 * extend it), as one include.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rw-codec.h"
#include "reload-common.h"
#include "reload-message.h"
#include "reload-body.h"
#include "reload-topology.h"
#include "reload-link.h"
#include "reload-storage.h"
#include "reload-kinds.h"
#include "reload-diagnostics.h"
#include "reload-framing.h"
#include "reload-fragment.h"
