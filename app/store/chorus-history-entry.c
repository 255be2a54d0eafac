/* chorus-history-entry.c: one call of the call history (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-app-store"

#include "chorus-history-entry.h"

#include "chorus-app-store-private.h"

enum
{
  PROP_0,
  PROP_ID,
  PROP_DIRECTION,
  PROP_REMOTE,
  PROP_NAME,
  PROP_STARTED,
  PROP_DURATION_S,
  PROP_STATUS,
  PROP_SEEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _ChorusHistoryEntry
{
  GObject parent_instance;

  gint64 id;
  ChorusCallDirection direction;
  char *remote;
  char *name;
  GDateTime *started;
  guint duration_s;
  char *status;
  gboolean seen;
};

/* clang-format off */
G_DEFINE_ENUM_TYPE (ChorusCallDirection, chorus_call_direction,
  G_DEFINE_ENUM_VALUE (CHORUS_CALL_INCOMING, "incoming"),
  G_DEFINE_ENUM_VALUE (CHORUS_CALL_OUTGOING, "outgoing"),
  G_DEFINE_ENUM_VALUE (CHORUS_CALL_MISSED, "missed"))
/* clang-format on */

G_DEFINE_FINAL_TYPE (ChorusHistoryEntry, chorus_history_entry, G_TYPE_OBJECT)

static void
chorus_history_entry_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ChorusHistoryEntry *self = CHORUS_HISTORY_ENTRY (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_DIRECTION:
      g_value_set_enum (value, self->direction);
      break;
    case PROP_REMOTE:
      g_value_set_string (value, self->remote);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_STARTED:
      g_value_set_boxed (value, self->started);
      break;
    case PROP_DURATION_S:
      g_value_set_uint (value, self->duration_s);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_SEEN:
      g_value_set_boolean (value, self->seen);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
chorus_history_entry_finalize (GObject *object)
{
  ChorusHistoryEntry *self = CHORUS_HISTORY_ENTRY (object);

  g_free (self->remote);
  g_free (self->name);
  g_clear_pointer (&self->started, g_date_time_unref);
  g_free (self->status);

  G_OBJECT_CLASS (chorus_history_entry_parent_class)->finalize (object);
}

static void
chorus_history_entry_class_init (ChorusHistoryEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = chorus_history_entry_get_property;
  object_class->finalize = chorus_history_entry_finalize;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_DIRECTION] = g_param_spec_enum (
      "direction", NULL, NULL, CHORUS_TYPE_CALL_DIRECTION, CHORUS_CALL_INCOMING, flags);
  properties[PROP_REMOTE] = g_param_spec_string ("remote", NULL, NULL, NULL, flags);
  properties[PROP_NAME] =
      g_param_spec_string ("name", NULL, NULL, NULL, flags | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STARTED] = g_param_spec_boxed ("started", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_DURATION_S] =
      g_param_spec_uint ("duration-s", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, flags);
  properties[PROP_SEEN] =
      g_param_spec_boolean ("seen", NULL, NULL, TRUE, flags | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
chorus_history_entry_init (ChorusHistoryEntry *self)
{
}

ChorusHistoryEntry *
chorus_history_entry_new (gint64 id, ChorusCallDirection direction, const char *remote,
                          const char *name, GDateTime *started, guint duration_s,
                          const char *status, gboolean seen)
{
  g_return_val_if_fail (remote != NULL && started != NULL, NULL);
  ChorusHistoryEntry *self = g_object_new (CHORUS_TYPE_HISTORY_ENTRY, NULL);
  self->id = id;
  self->direction = direction;
  self->remote = g_strdup (remote);
  self->name = g_strdup (name);
  self->started = g_date_time_to_local (started);
  self->duration_s = duration_s;
  self->status = g_strdup (status);
  self->seen = direction != CHORUS_CALL_MISSED || seen;
  return self;
}

void
chorus_history_entry_set_name (ChorusHistoryEntry *self, const char *name)
{
  g_return_if_fail (CHORUS_IS_HISTORY_ENTRY (self));
  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

void
chorus_history_entry_set_seen (ChorusHistoryEntry *self)
{
  g_return_if_fail (CHORUS_IS_HISTORY_ENTRY (self));
  if (self->seen)
    return;
  self->seen = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEEN]);
}

int
chorus_history_entry_compare (gconstpointer a, gconstpointer b, gpointer unused)
{
  const ChorusHistoryEntry *x = a;
  const ChorusHistoryEntry *y = b;
  int c = g_date_time_compare (y->started, x->started);
  if (c == 0)
    c = (y->id > x->id) - (y->id < x->id);
  return c;
}

gint64
chorus_history_entry_get_id (ChorusHistoryEntry *self)
{
  g_return_val_if_fail (CHORUS_IS_HISTORY_ENTRY (self), 0);
  return self->id;
}

ChorusCallDirection
chorus_history_entry_get_direction (ChorusHistoryEntry *self)
{
  g_return_val_if_fail (CHORUS_IS_HISTORY_ENTRY (self), CHORUS_CALL_INCOMING);
  return self->direction;
}

const char *
chorus_history_entry_get_remote (ChorusHistoryEntry *self)
{
  g_return_val_if_fail (CHORUS_IS_HISTORY_ENTRY (self), NULL);
  return self->remote;
}

const char *
chorus_history_entry_get_name (ChorusHistoryEntry *self)
{
  g_return_val_if_fail (CHORUS_IS_HISTORY_ENTRY (self), NULL);
  return self->name;
}

GDateTime *
chorus_history_entry_get_started (ChorusHistoryEntry *self)
{
  g_return_val_if_fail (CHORUS_IS_HISTORY_ENTRY (self), NULL);
  return self->started;
}

guint
chorus_history_entry_get_duration_s (ChorusHistoryEntry *self)
{
  g_return_val_if_fail (CHORUS_IS_HISTORY_ENTRY (self), 0);
  return self->duration_s;
}

const char *
chorus_history_entry_get_status (ChorusHistoryEntry *self)
{
  g_return_val_if_fail (CHORUS_IS_HISTORY_ENTRY (self), NULL);
  return self->status;
}

gboolean
chorus_history_entry_get_seen (ChorusHistoryEntry *self)
{
  g_return_val_if_fail (CHORUS_IS_HISTORY_ENTRY (self), TRUE);
  return self->seen;
}
