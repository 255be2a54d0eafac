/* test-aor.c: chorus_aor_normalize() and chorus_aor_user() on a table of
 * what people type.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-aor.h"

#include <gio/gio.h>
#include <string.h>

typedef struct
{
  const char *input;
  const char *domain;
  const char *expected;
} ValidCase;

static const ValidCase valid_cases[] = {
  { "alice", "home.chorus", "sip:alice@home.chorus" },
  { "  alice\t ", "home.chorus", "sip:alice@home.chorus" },
  { "alice", "Home.CHORUS", "sip:alice@home.chorus" },
  { "alice@example.org", NULL, "sip:alice@example.org" },
  { "alice@example.org", "home.chorus", "sip:alice@example.org" },
  { "sip:alice@example.org", NULL, "sip:alice@example.org" },
  { "  sip:alice@example.org  ", NULL, "sip:alice@example.org" },
  { "SIP:alice@Example.ORG", NULL, "sip:alice@example.org" },
  { "sips:bob@example.org", NULL, "sips:bob@example.org" },
  { "SIPS:Bob@EXAMPLE.org", NULL, "sips:Bob@example.org" },
  { "Alice@example.org", NULL, "sip:Alice@example.org" },
  { "alice@example.org:5070", NULL, "sip:alice@example.org:5070" },
  { "sip:alice@example.org;transport=tcp", NULL, "sip:alice@example.org" },
  { "sip:alice@example.org?subject=hello", NULL, "sip:alice@example.org" },
  { "sip:al%69ce@example.org", NULL, "sip:alice@example.org" },
  { "sip:a%20b@example.org", NULL, "sip:a%20b@example.org" },
  { "sip:alice@192.0.2.1", NULL, "sip:alice@192.0.2.1" },
  { "sip:alice@[2001:DB8::1]", NULL, "sip:alice@[2001:db8::1]" },
  { "+4930123@example.org", NULL, "sip:+4930123@example.org" },
  { "first.last@sub.example.org", NULL, "sip:first.last@sub.example.org" },
};

typedef struct
{
  const char *input;
  const char *domain;
} InvalidCase;

static const InvalidCase invalid_cases[] = {
  { "", "home.chorus" },
  { "   ", "home.chorus" },
  { "alice", NULL },
  { "alice", "" },
  { "alice smith@example.org", NULL },
  { "alice\tsmith@example.org", NULL },
  { "alice smith", "home.chorus" },
  { "@example.org", NULL },
  { "sip:@example.org", NULL },
  { "sip:example.org", NULL },
  { "tel:+4930123", NULL },
  { "mailto:alice@example.org", NULL },
  { "http://example.org/alice", NULL },
  { "xmpp:alice@example.org", "home.chorus" },
  { "sip:alice@", NULL },
  { "alice@", NULL },
  { "sip:alice:secret@example.org", NULL },
  { "sip:alice@example..org", NULL },
  { "sip:alice@example.org.", NULL },
  { "sip:alice@exa_mple.org", NULL },
  { "sip:alice@example.org:99999", NULL },
  { "sip:alice@example.org:0", NULL },
  { "sip:al%00ice@example.org", NULL },
  { "sip:alice@@example.org", NULL },
  { "sip:", NULL },
  { "\xff\xfe@example.org", NULL },
};

static void
test_normalize_valid (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (valid_cases); i++)
    {
      const ValidCase *c = &valid_cases[i];
      g_autoptr (GError) error = NULL;
      g_autofree char *out = chorus_aor_normalize (c->input, c->domain, &error);
      if (out == NULL)
        g_test_message ("“%s” refused: %s", c->input, error->message);
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, c->expected);
      /* the normal form is a fixed point */
      g_autofree char *again = chorus_aor_normalize (out, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (again, ==, out);
    }
}

static void
test_normalize_invalid (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      const InvalidCase *c = &invalid_cases[i];
      g_autoptr (GError) error = NULL;
      g_autofree char *out = chorus_aor_normalize (c->input, c->domain, &error);
      if (out != NULL)
        g_test_message ("“%s” accepted as %s", c->input, out);
      g_assert_null (out);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      /* a message a person can act on */
      g_assert_nonnull (strstr (error->message, "name@overlay"));
    }
  g_autoptr (GError) error = NULL;
  g_assert_null (chorus_aor_normalize (NULL, "home.chorus", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_normalize_messages (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (chorus_aor_normalize ("alice", NULL, &error));
  g_assert_nonnull (strstr (error->message, "no domain"));
  g_clear_error (&error);
  g_assert_null (chorus_aor_normalize ("tel:+4930123", NULL, &error));
  g_assert_nonnull (strstr (error->message, "tel:"));
  g_clear_error (&error);
  g_assert_null (chorus_aor_normalize ("alice smith@example.org", NULL, &error));
  g_assert_nonnull (strstr (error->message, "spaces"));
}

static void
test_normalize_length (void)
{
  g_autoptr (GError) error = NULL;
  /* "sip:" + user + "@x.org" at the limit, then one over */
  gsize user_len = CHORUS_AOR_MAX_LENGTH - strlen ("sip:@x.org");
  g_autofree char *user = g_strnfill (user_len, 'a');
  g_autofree char *at_limit = g_strconcat (user, "@x.org", NULL);
  g_autofree char *out = chorus_aor_normalize (at_limit, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (out), ==, CHORUS_AOR_MAX_LENGTH);
  g_autofree char *over = g_strconcat (user, "a@x.org", NULL);
  g_assert_null (chorus_aor_normalize (over, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_user (void)
{
  static const struct
  {
    const char *aor;
    const char *user;
  } cases[] = {
    { "sip:alice@home.chorus", "alice" },
    { "sips:Bob@example.org", "Bob" },
    { "SIP:carol@example.org:5070", "carol" },
    { "sip:a%20b@example.org", "a b" },
    { "sip:j%C3%BCrgen@example.org", "j\xc3\xbcrgen" },
    { "sip:%FF@example.org", "%FF" }, /* not UTF-8 unescaped: as written */
    { "alice", "alice" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *user = chorus_aor_user (cases[i].aor);
      g_assert_cmpstr (user, ==, cases[i].user);
    }
  g_assert_null (chorus_aor_user (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/aor/normalize/valid", test_normalize_valid);
  g_test_add_func ("/aor/normalize/invalid", test_normalize_invalid);
  g_test_add_func ("/aor/normalize/messages", test_normalize_messages);
  g_test_add_func ("/aor/normalize/length", test_normalize_length);
  g_test_add_func ("/aor/user", test_user);
  return g_test_run ();
}
