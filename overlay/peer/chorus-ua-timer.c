/* chorus-ua-timer.c: see chorus-ua-timer.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-ua-timer.h"

gint64
chorus_ua_timer_now (void)
{
  return g_get_monotonic_time () / 1000;
}

void
chorus_ua_timer_init (ChorusUaTimer *t, ChorusSipUa *ua)
{
  t->ua = ua;
  t->source = NULL;
  t->at = -1;
}

static gboolean
fired (gpointer data)
{
  ChorusUaTimer *t = data;
  g_clear_pointer (&t->source, g_source_unref);
  t->at = -1;
  chorus_sip_ua_tick (t->ua, chorus_ua_timer_now ());
  chorus_ua_timer_poke (t);
  return G_SOURCE_REMOVE;
}

void
chorus_ua_timer_poke (ChorusUaTimer *t)
{
  if (t->ua == NULL)
    return;
  gint64 at = chorus_sip_ua_next_timeout (t->ua);
  if (at == t->at && t->source != NULL)
    return;
  chorus_ua_timer_clear (t);
  t->at = at;
  if (at < 0)
    return;
  t->source = g_timeout_source_new ((guint) CLAMP (at - chorus_ua_timer_now (), 0, G_MAXINT));
  g_source_set_callback (t->source, fired, t, NULL);
  g_source_attach (t->source, g_main_context_get_thread_default ());
}

void
chorus_ua_timer_clear (ChorusUaTimer *t)
{
  if (t->source != NULL)
    {
      g_source_destroy (t->source);
      g_clear_pointer (&t->source, g_source_unref);
    }
  t->at = -1;
}
