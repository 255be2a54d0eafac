/* chorus-sip-osip.c: libosip2 initialisation (chorus-sip-osip.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-osip.h"

#include <stdarg.h>

/* libosip2's trace callback: @format is printf-style (clang checks its
 * uses through the attribute; the callback type of libosip2 has none) */
static void trace_to_glib (const char *file, int line, osip_trace_level_t level, const char *format,
                           va_list ap) G_GNUC_PRINTF (4, 0);

static void
trace_to_glib (const char *file, int line, osip_trace_level_t level, const char *format, va_list ap)
{
  g_autofree char *text = g_strdup_vprintf (format, ap);
  g_log_structured ("chorus-sip", G_LOG_LEVEL_DEBUG, "MESSAGE", "libosip2 %s:%d: %s",
                    file ? file : "?", line, g_strchomp (text));
}

void
chorus_sip_osip_init (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      parser_init ();
      /* levels below TRACE_LEVEL3: fatal, bug and error lines only */
      osip_trace_initialize_func (TRACE_LEVEL3, trace_to_glib);
      g_once_init_leave (&once, 1);
    }
}
