/* peer-join.h: `chorus-peer join LINK --profile DIR`.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

int peer_cmd_join (int argc, char **argv);
