/* chorus-ua-timer.h: the timer of a sans-I/O SIP user agent
 * (chorus-sip-ua.h) on the thread-default GMainContext: after every call
 * into the UA, chorus_ua_timer_poke() arms one GSource for
 * chorus_sip_ua_next_timeout(), which runs chorus_sip_ua_tick().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-ua.h"

G_BEGIN_DECLS

typedef struct
{
  ChorusSipUa *ua;
  GSource *source;
  gint64 at; /* ms of g_get_monotonic_time(), -1: none */
} ChorusUaTimer;

/* The UA's clock: milliseconds of the monotonic clock. */
gint64 chorus_ua_timer_now (void);
void chorus_ua_timer_init (ChorusUaTimer *timer, ChorusSipUa *ua);
void chorus_ua_timer_poke (ChorusUaTimer *timer);
void chorus_ua_timer_clear (ChorusUaTimer *timer);

G_END_DECLS
