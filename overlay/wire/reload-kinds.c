/* reload-kinds.c: placeholder until this part lands.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rw-codec.h"
