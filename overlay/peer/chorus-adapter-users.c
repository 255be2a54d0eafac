/* chorus-adapter-users.c: the adapter's users file and their credentials
 * (see chorus-adapter-users.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-adapter"

#include "chorus-adapter-users.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

struct _ChorusAdapterUsers
{
  GPtrArray *list;   /* ChorusAdapterUser */
  GHashTable *index; /* user part -> ChorusAdapterUser */
};

static void
user_free (ChorusAdapterUser *u)
{
  g_free (u->user);
  g_free (u->aor);
  if (u->password != NULL)
    memset (u->password, 0, strlen (u->password));
  g_free (u->password);
  g_clear_pointer (&u->creds, reload_credentials_free);
  g_clear_pointer (&u->identity, reload_cert_identity_free);
  g_clear_pointer (&u->signer, reload_x509_signer_free);
  g_free (u);
}

/* RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ); no
 * escapes here (the name is also a file name and part of a certificate's
 * rfc822Name) */
static gboolean
user_part_valid (const char *user)
{
  if (*user == '\0' || strlen (user) > 64)
    return FALSE;
  for (const char *p = user; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-_.!~*'()&=+$,;?/", *p) == NULL)
      return FALSE;
  /* a file name of its own in the profile */
  return strchr (user, '/') == NULL && strcmp (user, ".") != 0 && strcmp (user, "..") != 0;
}

static gboolean
load_credentials (ChorusAdapterUser *u, const char *profile_dir, ReloadCert *ca,
                  const char *overlay, const ReloadNodeId *adapter, GError **error)
{
  g_autofree char *dir = g_build_filename (profile_dir, CHORUS_ADAPTER_USERS_DIR, u->user, NULL);
  g_autofree char *want = g_strdup_printf ("%s@%s", u->user, overlay);
  g_autoptr (GError) local = NULL;
  u->creds = reload_credentials_load (dir, &local);
  if (u->creds == NULL || u->creds->cert == NULL || u->creds->key == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "no certificate for %s (%s): make it with `chorus-enroll issue --dir CA "
                   "--user %s --node-id-of %s --out %s` (RFC 7904 §3.2: only the user may "
                   "register its AOR)",
                   u->aor, local ? local->message : "no cert.pem and key.pem", want, profile_dir,
                   dir);
      return FALSE;
    }
  guint8 a[32], b[32];
  reload_cert_get_sha256 (u->creds->ca, a);
  reload_cert_get_sha256 (ca, b);
  if (memcmp (a, b, sizeof a) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s/ca.pem is not the overlay's CA: the certificate of %s is from another "
                   "overlay",
                   dir, u->aor);
      return FALSE;
    }
  u->identity = reload_cert_get_identity (u->creds->cert, error);
  if (u->identity == NULL)
    return FALSE;
  if (g_strcmp0 (u->identity->user_name, want) != 0
      || g_strcmp0 (u->identity->overlay_name, overlay) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s/cert.pem names %s of overlay %s, not %s of %s", dir, u->identity->user_name,
                   u->identity->overlay_name, want, overlay);
      return FALSE;
    }
  gboolean holds = FALSE;
  for (guint i = 0; i < u->identity->n_node_ids && !holds; i++)
    holds = reload_node_id_equal (&u->identity->node_ids[i], adapter);
  if (!holds)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s/cert.pem does not hold this adapter's Node-ID (the Store of the user's "
                   "registration comes from it, RFC 6940 §6.3.4): issue it with `chorus-enroll "
                   "issue --dir CA --user %s --node-id-of %s --out %s`",
                   dir, want, profile_dir, dir);
      return FALSE;
    }
  u->signer = reload_x509_signer_new (ca, u->creds->cert, u->creds->key, error);
  return u->signer != NULL;
}

ChorusAdapterUsers *
chorus_adapter_users_load (const char *users_file, const char *profile_dir, ReloadCert *ca,
                           const char *overlay, const ReloadNodeId *adapter, GError **error)
{
  GStatBuf st;
  if (g_stat (users_file, &st) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no such file", users_file);
      return NULL;
    }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   "%s holds passwords: it must not be readable by others (chmod 600)", users_file);
      return NULL;
    }
  g_autofree char *text = NULL;
  if (!g_file_get_contents (users_file, &text, NULL, error))
    return NULL;
  g_autoptr (ChorusAdapterUsers) users = g_new0 (ChorusAdapterUsers, 1);
  users->list = g_ptr_array_new_with_free_func ((GDestroyNotify) user_free);
  users->index = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      if (*line == '\0' || *line == '#')
        continue;
      char *colon = strchr (line, ':');
      if (colon == NULL || colon[1] == '\0')
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%u: not USER:PASSWORD",
                       users_file, i + 1);
          return NULL;
        }
      *colon = '\0';
      if (!user_part_valid (line))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s:%u: “%s” is not a SIP user part (RFC 3261 §25.1)", users_file, i + 1,
                       line);
          return NULL;
        }
      if (g_hash_table_contains (users->index, line))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%u: %s is there twice",
                       users_file, i + 1, line);
          return NULL;
        }
      if (users->list->len >= CHORUS_ADAPTER_MAX_USERS)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: more than %u users",
                       users_file, CHORUS_ADAPTER_MAX_USERS);
          return NULL;
        }
      ChorusAdapterUser *u = g_new0 (ChorusAdapterUser, 1);
      u->user = g_strdup (line);
      u->aor = g_strdup_printf ("sip:%s@%s", line, overlay);
      u->password = g_strdup (colon + 1);
      g_ptr_array_add (users->list, u);
      g_hash_table_insert (users->index, u->user, u);
      if (!load_credentials (u, profile_dir, ca, overlay, adapter, error))
        return NULL;
    }
  return g_steal_pointer (&users);
}

void
chorus_adapter_users_free (ChorusAdapterUsers *users)
{
  if (users == NULL)
    return;
  g_clear_pointer (&users->index, g_hash_table_unref);
  g_clear_pointer (&users->list, g_ptr_array_unref);
  g_free (users);
}

const ChorusAdapterUser *
chorus_adapter_users_lookup (ChorusAdapterUsers *users, const char *user)
{
  return g_hash_table_lookup (users->index, user);
}

guint
chorus_adapter_users_count (ChorusAdapterUsers *users)
{
  return users->list->len;
}

const ChorusAdapterUser *
chorus_adapter_users_get (ChorusAdapterUsers *users, guint index)
{
  return index < users->list->len ? g_ptr_array_index (users->list, index) : NULL;
}
