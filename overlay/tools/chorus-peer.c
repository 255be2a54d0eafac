/* chorus-peer: an always-on RELOAD peer, and the tool that controls it.
 *
 *   chorus-peer run --profile DIR [--listen ADDR:PORT] [--bootstrap ADDR:PORT ...] [--verbose]
 *                   [--turn-server ADDR:PORT] [--turn-user USER --turn-password PASSWORD]
 *   chorus-peer ctl --profile DIR COMMAND [ARGS...]
 *   chorus-peer join LINK --profile DIR
 *
 * `run` joins the overlay (or forms it) and serves it until SIGTERM or
 * SIGINT, then leaves gracefully (RFC 6940 §10.9).  `ctl` talks to a
 * running peer through PROFILE/control.sock (peer-control.h) and prints
 * the result as JSON; an error gives a non-zero exit and its name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "chorus-peer.h"
#include "peer-control.h"
#include "peer-join.h"

#define EXIT_USAGE 64  /* sysexits.h EX_USAGE */
#define EXIT_OVERLAY 2 /* the overlay answered with an error */
#define EXIT_CALL 3    /* ctl call: the call was not answered, or did not end normally */

static gboolean verbose;

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & G_LOG_LEVEL_DEBUG) && !verbose)
    return G_LOG_WRITER_HANDLED;
  const char *message = NULL;
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%FT%T.%fZ");
  const char *tag = (level & G_LOG_LEVEL_ERROR)      ? "error: "
                    : (level & G_LOG_LEVEL_CRITICAL) ? "critical: "
                    : (level & G_LOG_LEVEL_WARNING)  ? "warning: "
                    : (level & G_LOG_LEVEL_DEBUG)    ? "debug: "
                                                     : "";
  /* milliseconds are enough: cut the microseconds' last three digits */
  if (strlen (stamp) == 27)
    {
      stamp[23] = 'Z';
      stamp[24] = '\0';
    }
  fprintf (stderr, "%s chorus-peer[%d]: %s%s\n", stamp, (int) getpid (), tag,
           message ? message : "");
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

/* ---------------------------------------------------------------- run */

typedef struct
{
  GMainLoop *loop;
  ChorusPeer *peer;
  PeerControl *control;
  char *control_path;
  gboolean stopping;
  int status;
} Run;

static void
stopped (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *r = data;
  g_autoptr (GError) error = NULL;
  if (!chorus_peer_stop_finish (CHORUS_PEER (source), result, &error))
    g_message ("stop: %s", error->message);
  else
    g_message ("left the overlay");
  g_main_loop_quit (r->loop);
}

static gboolean
on_signal (gpointer data)
{
  Run *r = data;
  if (r->stopping)
    return G_SOURCE_CONTINUE;
  r->stopping = TRUE;
  g_message ("leaving the overlay");
  g_clear_pointer (&r->control, peer_control_free);
  chorus_peer_stop_async (r->peer, NULL, stopped, r);
  return G_SOURCE_CONTINUE;
}

static void
started (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *r = data;
  g_autoptr (GError) error = NULL;
  if (!chorus_peer_start_finish (CHORUS_PEER (source), result, &error))
    {
      g_printerr ("chorus-peer: %s\n", error->message);
      r->status = 1;
      g_main_loop_quit (r->loop);
      return;
    }
  r->control = peer_control_new (r->peer, r->control_path, &error);
  if (r->control == NULL)
    {
      g_printerr ("chorus-peer: %s\n", error->message);
      r->status = 1;
      r->stopping = TRUE;
      chorus_peer_stop_async (r->peer, NULL, stopped, r);
    }
}

static int
cmd_run (int argc, char **argv)
{
  g_autofree char *profile = NULL;
  g_autofree char *listen = NULL;
  g_auto (GStrv) bootstrap = NULL;
  g_autofree char *turn_server = NULL;
  g_autofree char *turn_user = NULL;
  g_autofree char *turn_password = NULL;
  g_autofree char *aor = NULL;
  g_autofree char *play = NULL;
  g_autofree char *record = NULL;
  gboolean auto_answer = FALSE;
  g_autofree char *sip_adapter = NULL;
  g_autofree char *sip_adapter_users = NULL;
  GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile,
      "Profile directory (ca.pem, cert.pem, key.pem)", "DIR" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen,
      "Address to listen on (default 127.0.0.1:0; 0.0.0.0:PORT or [::]:PORT: every "
      "address, advertising the one toward the bootstrap nodes)",
      "ADDR:PORT" },
    { "bootstrap", 0, 0, G_OPTION_ARG_STRING_ARRAY, &bootstrap,
      "A bootstrap peer (repeatable; more may follow as arguments)", "ADDR:PORT" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log more", NULL },
    { "turn-server", 0, 0, G_OPTION_ARG_STRING, &turn_server,
      "Offer this TURN server (e.g. a coturn beside the peer) in TURN-SERVICE (RFC 6940 §9)",
      "ADDR:PORT" },
    { "turn-user", 0, 0, G_OPTION_ARG_STRING, &turn_user,
      "TURN credential for every TURN server (default: the configuration's)", "USER" },
    { "turn-password", 0, 0, G_OPTION_ARG_STRING, &turn_password, "Its password", "PASSWORD" },
    { "aor", 0, 0, G_OPTION_ARG_STRING, &aor,
      "Register this address of record and take calls (RFC 7904; the certificate's user)",
      "sip:NAME@OVERLAY" },
    { "auto-answer", 0, 0, G_OPTION_ARG_NONE, &auto_answer, "Answer every call at once", NULL },
    { "play", 0, 0, G_OPTION_ARG_FILENAME, &play,
      "Send a tone or an audio file instead of the microphone", "tone:HZ|FILE" },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &record,
      "Record what is heard to a WAV file (16-bit PCM) instead of the speakers", "FILE.wav" },
    { "sip-adapter", 0, 0, G_OPTION_ARG_STRING, &sip_adapter,
      "Serve plain SIP phones (registrar and proxy, UDP and TCP) on this address", "ADDR:PORT" },
    { "sip-adapter-users", 0, 0, G_OPTION_ARG_FILENAME, &sip_adapter_users,
      "The adapter's users: lines USER:PASSWORD (certificates in PROFILE/sip-adapter/USER/)",
      "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- run a RELOAD peer");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("chorus-peer run: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (profile == NULL)
    {
      g_printerr ("chorus-peer run: --profile DIR is required\n");
      return EXIT_USAGE;
    }
  /* "--bootstrap A B C": the addresses after the first come as arguments */
  g_autoptr (GStrvBuilder) all = g_strv_builder_new ();
  if (bootstrap != NULL)
    g_strv_builder_addv (all, (const char **) bootstrap);
  for (int i = 1; i < argc; i++)
    {
      if (strchr (argv[i], ':') == NULL)
        {
          g_printerr ("chorus-peer run: unexpected argument “%s”\n", argv[i]);
          return EXIT_USAGE;
        }
      g_strv_builder_add (all, argv[i]);
    }
  g_auto (GStrv) addrs = g_strv_builder_end (all);

  Run r = { 0 };
  r.loop = g_main_loop_new (NULL, FALSE);
  r.control_path = g_build_filename (profile, PEER_CONTROL_SOCKET, NULL);
  r.peer = chorus_peer_new (profile, listen, (const char *const *) addrs, &error);
  if (r.peer == NULL)
    {
      g_printerr ("chorus-peer run: %s\n", error->message);
      g_main_loop_unref (r.loop);
      g_free (r.control_path);
      return 1;
    }
  if (turn_user != NULL)
    chorus_peer_set_turn_credential (r.peer, turn_user, turn_password);
  if (turn_server != NULL && !chorus_peer_set_turn_server (r.peer, turn_server, &error))
    {
      g_printerr ("chorus-peer run: %s\n", error->message);
      g_object_unref (r.peer);
      g_main_loop_unref (r.loop);
      g_free (r.control_path);
      return EXIT_USAGE;
    }
  if ((sip_adapter == NULL) != (sip_adapter_users == NULL))
    {
      g_printerr ("chorus-peer run: --sip-adapter and --sip-adapter-users go together\n");
      g_object_unref (r.peer);
      g_main_loop_unref (r.loop);
      g_free (r.control_path);
      return EXIT_USAGE;
    }
  if (sip_adapter != NULL
      && !chorus_peer_set_sip_adapter (r.peer, sip_adapter, sip_adapter_users, &error))
    {
      g_printerr ("chorus-peer run: %s\n", error->message);
      g_object_unref (r.peer);
      g_main_loop_unref (r.loop);
      g_free (r.control_path);
      return EXIT_USAGE;
    }
  gboolean phone = aor != NULL || auto_answer || play != NULL || record != NULL;
  if (phone && !chorus_peer_set_phone (r.peer, aor, auto_answer, play, record, &error))
    {
      g_printerr ("chorus-peer run: %s\n", error->message);
      g_object_unref (r.peer);
      g_main_loop_unref (r.loop);
      g_free (r.control_path);
      return EXIT_USAGE;
    }
  guint sigterm = g_unix_signal_add (SIGTERM, on_signal, &r);
  guint sigint = g_unix_signal_add (SIGINT, on_signal, &r);
  chorus_peer_start_async (r.peer, NULL, started, &r);
  g_main_loop_run (r.loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_clear_pointer (&r.control, peer_control_free);
  g_object_unref (r.peer);
  g_main_loop_unref (r.loop);
  g_free (r.control_path);
  return r.status;
}

/* ---------------------------------------------------------------- ctl */

/* ctl message: 0 when a device took it, else the SIP status and EXIT_CALL. */
static int
message_exit_status (JsonNode *result)
{
  if (result == NULL || !JSON_NODE_HOLDS_OBJECT (result))
    return EXIT_CALL;
  JsonObject *r = json_node_get_object (result);
  gint64 status = json_object_get_int_member_with_default (r, "status", 0);
  if (status >= 200 && status < 300)
    return 0;
  g_printerr ("chorus-peer ctl message: %" G_GINT64_FORMAT " %s\n", status,
              json_object_get_string_member_with_default (r, "reason", ""));
  return EXIT_CALL;
}

/* ctl call: 0 when the call was answered and ended by a hangup of either
 * side; otherwise the SIP status on stderr and EXIT_CALL. */
static int
call_exit_status (JsonNode *result)
{
  if (result == NULL || !JSON_NODE_HOLDS_OBJECT (result))
    return EXIT_CALL;
  JsonObject *r = json_node_get_object (result);
  gboolean answered = json_object_get_boolean_member_with_default (r, "answered", FALSE);
  const char *reason = json_object_get_string_member_with_default (r, "reason", "");
  gint64 status = json_object_get_int_member_with_default (r, "status", 0);
  if (answered && (g_str_equal (reason, "local_hangup") || g_str_equal (reason, "remote_hangup")))
    return 0;
  g_printerr ("chorus-peer ctl call: %" G_GINT64_FORMAT " %s\n", status, reason);
  return EXIT_CALL;
}

static int
cmd_ctl (int argc, char **argv)
{
  g_autofree char *profile = NULL;
  GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile, "Profile directory of the running peer",
      "DIR" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (
      "COMMAND [ARGS...] - control a running peer\n\n"
      "Commands:\n"
      "  status                 the peer's state (JSON)\n"
      "  store KIND NAME VALUE  store a value (KEY=VALUE for a dictionary kind)\n"
      "  fetch KIND NAME        fetch every value of KIND at NAME\n"
      "  stat KIND NAME         the same, as metadata\n"
      "  find [KIND] NAME       Find (RFC 6940 §7.4.4) from NAME\n"
      "  ping NODE              ping a Node-ID (32 hex digits) or a resource name\n"
      "  path-track NODE        the overlay path to a Node-ID or resource (RFC 7851)\n"
      "  config-update FILE     hand the peer a new configuration document\n"
      "  turn-servers           look for TURN servers now (RFC 6940 §9) and list them\n"
      "  call AOR [--duration S]  call AOR and wait until the call ends (hang up after S s)\n"
      "  calls                  the calls (JSON)\n"
      "  hangup [ID]            hang up call ID (default: every call)\n"
      "  answer ID | decline ID an incoming call\n"
      "  hold ID | resume ID    put a call on hold (RFC 3264 §8.4), or take it off\n"
      "  dtmf ID DIGITS         send DTMF digits on a call (RFC 4733)\n"
      "  message AOR TEXT       send a short text message (RFC 3428)\n"
      "  messages               the messages received (JSON)\n"
      "  adapter                the SIP adapter's phones and calls (JSON)");
  g_option_context_add_main_entries (ctx, entries, NULL);
  /* arguments of the command may start with '-' (a value) */
  g_option_context_set_strict_posix (ctx, TRUE);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("chorus-peer ctl: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (profile == NULL || argc < 2)
    {
      g_printerr ("chorus-peer ctl: usage: chorus-peer ctl --profile DIR COMMAND [ARGS...]\n");
      return EXIT_USAGE;
    }
  g_autofree char *path = g_build_filename (profile, PEER_CONTROL_SOCKET, NULL);
  g_autoptr (GStrvBuilder) args = g_strv_builder_new ();
  gboolean is_call = g_str_equal (argv[1], "call");
  for (int i = 2; i < argc; i++)
    {
      /* call AOR [--duration S]: the duration goes as the second argument */
      if (is_call && g_str_equal (argv[i], "--duration") && i + 1 < argc)
        {
          char *end = NULL;
          guint64 s = g_ascii_strtoull (argv[i + 1], &end, 10);
          if (end == argv[i + 1] || *end != '\0' || s > 86400)
            {
              g_printerr ("chorus-peer ctl call: --duration takes seconds, not “%s”\n",
                          argv[i + 1]);
              return EXIT_USAGE;
            }
          i++;
          g_strv_builder_add (args, argv[i]);
          continue;
        }
      g_strv_builder_add (args, argv[i]);
    }
  g_auto (GStrv) argv_cmd = g_strv_builder_end (args);
  g_autoptr (JsonNode) answer =
      peer_control_call (path, argv[1], (const char *const *) argv_cmd, &error);
  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer))
    {
      g_printerr ("chorus-peer ctl: %s\n", error ? error->message : "bad answer");
      return 1;
    }
  JsonObject *o = json_node_get_object (answer);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  if (json_object_get_boolean_member_with_default (o, "ok", FALSE))
    {
      json_generator_set_root (gen, json_object_get_member (o, "result"));
      g_autofree char *text = json_generator_to_data (gen, NULL);
      g_print ("%s\n", text);
      if (is_call)
        return call_exit_status (json_object_get_member (o, "result"));
      if (g_str_equal (argv[1], "message"))
        return message_exit_status (json_object_get_member (o, "result"));
      return 0;
    }
  const char *name = json_object_get_string_member_with_default (o, "error", "failed");
  const char *message = json_object_get_string_member_with_default (o, "message", "");
  json_generator_set_root (gen, answer);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
  g_printerr ("chorus-peer ctl %s: %s%s%s\n", argv[1], name,
              g_str_equal (name, message) ? "" : ": ", g_str_equal (name, message) ? "" : message);
  return g_str_has_prefix (name, "Error_") ? EXIT_OVERLAY : 1;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_log_set_writer_func (log_writer, NULL, NULL);
  if (argc < 2)
    {
      g_printerr ("usage: chorus-peer run --profile DIR [--listen ADDR:PORT] "
                  "[--bootstrap ADDR:PORT ...] [--verbose]\n"
                  "       chorus-peer ctl --profile DIR COMMAND [ARGS...]\n"
                  "       chorus-peer join LINK --profile DIR\n");
      return EXIT_USAGE;
    }
  if (g_str_equal (argv[1], "run"))
    return cmd_run (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "ctl"))
    return cmd_ctl (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "join"))
    return peer_cmd_join (argc - 1, argv + 1);
  g_printerr ("chorus-peer: unknown command “%s” (run, ctl, join)\n", argv[1]);
  return EXIT_USAGE;
}
