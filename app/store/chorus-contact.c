/* chorus-contact.c: one entry of the address book (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-app-store"

#include "chorus-contact.h"

#include "chorus-app-store-private.h"

#include <string.h>

enum
{
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_AOR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _ChorusContact
{
  GObject parent_instance;

  gint64 id;
  char *name;
  char *aor;
  char *sort_key; /* g_utf8_collate_key of the case-folded name */
};

G_DEFINE_FINAL_TYPE (ChorusContact, chorus_contact, G_TYPE_OBJECT)

static void
chorus_contact_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ChorusContact *self = CHORUS_CONTACT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_AOR:
      g_value_set_string (value, self->aor);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
chorus_contact_finalize (GObject *object)
{
  ChorusContact *self = CHORUS_CONTACT (object);

  g_free (self->name);
  g_free (self->aor);
  g_free (self->sort_key);

  G_OBJECT_CLASS (chorus_contact_parent_class)->finalize (object);
}

static void
chorus_contact_class_init (ChorusContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = chorus_contact_get_property;
  object_class->finalize = chorus_contact_finalize;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
      g_param_spec_string ("name", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AOR] = g_param_spec_string (
      "aor", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
chorus_contact_init (ChorusContact *self)
{
}

ChorusContact *
chorus_contact_new (gint64 id, const char *name, const char *aor)
{
  g_return_val_if_fail (name != NULL && aor != NULL, NULL);
  ChorusContact *self = g_object_new (CHORUS_TYPE_CONTACT, NULL);
  self->id = id;
  chorus_contact_set (self, name, aor);
  return self;
}

void
chorus_contact_set (ChorusContact *self, const char *name, const char *aor)
{
  g_return_if_fail (CHORUS_IS_CONTACT (self));
  g_return_if_fail (name != NULL && aor != NULL);

  if (g_strcmp0 (self->name, name) != 0)
    {
      g_free (self->name);
      g_free (self->sort_key);
      self->name = g_strdup (name);
      g_autofree char *folded = g_utf8_casefold (name, -1);
      self->sort_key = g_utf8_collate_key (folded, -1);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
    }
  if (g_strcmp0 (self->aor, aor) != 0)
    {
      g_free (self->aor);
      self->aor = g_strdup (aor);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AOR]);
    }
}

int
chorus_contact_compare (gconstpointer a, gconstpointer b, gpointer unused)
{
  const ChorusContact *x = a;
  const ChorusContact *y = b;
  int c = strcmp (x->sort_key, y->sort_key);
  if (c == 0)
    c = strcmp (x->name, y->name);
  if (c == 0)
    c = strcmp (x->aor, y->aor);
  return c;
}

gint64
chorus_contact_get_id (ChorusContact *self)
{
  g_return_val_if_fail (CHORUS_IS_CONTACT (self), 0);
  return self->id;
}

const char *
chorus_contact_get_name (ChorusContact *self)
{
  g_return_val_if_fail (CHORUS_IS_CONTACT (self), NULL);
  return self->name;
}

const char *
chorus_contact_get_aor (ChorusContact *self)
{
  g_return_val_if_fail (CHORUS_IS_CONTACT (self), NULL);
  return self->aor;
}
