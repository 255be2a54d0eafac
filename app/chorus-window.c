/* chorus-window.c: the softphone's main window (ui/chorus-window.ui).
 *
 * The window only shows: the first run and the calls go through the
 * application's actions (app.create-overlay, app.join, app.call,
 * app.answer, app.decline, app.hangup, app.invite), so the keyboard,
 * notifications, D-Bus activation and the tests all take the same path.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-app"

#include "chorus-window.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "chorus-aor.h"
#include "chorus-contact.h"
#include "chorus-history-entry.h"
#include "chorus-invite-qr.h"

/* how often the overlay page asks for the status while shown */
#define STATUS_POLL_S 3

struct _ChorusWindow
{
  AdwApplicationWindow parent_instance;

  GtkLabel *state_label;
  GtkStack *pages;
  AdwViewStack *views;
  AdwEntryRow *name_row;
  AdwEntryRow *link_row;
  GtkLabel *welcome_error;
  AdwStatusPage *busy_page;
  GtkLabel *aor_label;
  GtkEntry *dial_entry;
  GtkLabel *dial_error;
  GtkListBox *calls_list;
  GtkSearchEntry *contacts_search;
  GtkListBox *contacts_list;
  AdwEntryRow *contact_name_row;
  AdwEntryRow *contact_aor_row;
  GtkLabel *contact_error;
  GtkButton *contact_save_button;
  AdwPreferencesGroup *contact_edit_group;
  gint64 editing_contact; /* the contact the edit rows hold, 0: a new one */
  GtkListBox *history_list;
  AdwViewStackPage *history_page;
  AdwActionRow *status_state_row;
  AdwActionRow *status_overlay_row;
  AdwActionRow *status_node_row;
  AdwActionRow *status_neighbours_row;
  AdwActionRow *status_links_row;
  AdwActionRow *status_stored_row;
  AdwActionRow *status_peers_row;
  AdwActionRow *status_turn_row;
  AdwActionRow *status_registrations_row;
  AdwPreferencesGroup *invite_group;
  AdwEntryRow *invite_user_row;
  GtkPicture *invite_qr;
  GtkLabel *invite_link;

  ChorusAppSession *session;
  ChorusAppStore *store;
  GtkFilterListModel *contacts_filtered;
  GtkStringFilter *contacts_filter;
  guint status_timer;
  guint calls_timer; /* while a call is up: its duration and quality move */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (ChorusWindow, chorus_window, ADW_TYPE_APPLICATION_WINDOW)

static void
chorus_window_dispose (GObject *object)
{
  ChorusWindow *self = CHORUS_WINDOW (object);
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->status_timer, g_source_remove);
  g_clear_handle_id (&self->calls_timer, g_source_remove);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->contacts_filtered);
  g_clear_object (&self->store);
  gtk_widget_dispose_template (GTK_WIDGET (self), CHORUS_TYPE_WINDOW);
  G_OBJECT_CLASS (chorus_window_parent_class)->dispose (object);
}

static void
chorus_window_finalize (GObject *object)
{
  ChorusWindow *self = CHORUS_WINDOW (object);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (chorus_window_parent_class)->finalize (object);
}

static void
activate_app_action (ChorusWindow *self, const char *name, GVariant *parameter)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_action_group_activate_action (G_ACTION_GROUP (app), name, parameter);
}

static void
show_error (GtkLabel *label, const char *message)
{
  gtk_label_set_text (label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
}

static void
create_clicked (ChorusWindow *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  activate_app_action (self, "create-overlay", g_variant_new_string (name));
}

static void
join_clicked (ChorusWindow *self)
{
  const char *link = gtk_editable_get_text (GTK_EDITABLE (self->link_row));
  activate_app_action (self, "join", g_variant_new_string (link));
}

static void
scan_chosen (GtkNativeDialog *dialog, int response, ChorusWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path != NULL)
        activate_app_action (self, "join-from-image", g_variant_new_string (path));
    }
  g_object_unref (dialog);
}

/* an invitation's QR code in a picture (a photo, a screenshot) */
static void
scan_clicked (ChorusWindow *self)
{
  GtkFileChooserNative *dialog =
      gtk_file_chooser_native_new (_ ("Picture of an Invitation"), GTK_WINDOW (self),
                                   GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Read"), _ ("_Cancel"));
  g_autoptr (GtkFileFilter) images = gtk_file_filter_new ();
  gtk_file_filter_set_name (images, _ ("Pictures"));
  gtk_file_filter_add_pixbuf_formats (images);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), images);
  g_signal_connect (dialog, "response", G_CALLBACK (scan_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
dial_activated (ChorusWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->dial_entry));
  g_autoptr (GError) error = NULL;
  const char *overlay = self->session ? chorus_app_session_get_overlay (self->session) : NULL;
  g_autofree char *aor = chorus_aor_normalize (text, overlay, &error);
  if (aor == NULL)
    {
      show_error (self->dial_error, error->message);
      return;
    }
  show_error (self->dial_error, NULL);
  activate_app_action (self, "call", g_variant_new_string (aor));
}

static void
contacts_search_changed (ChorusWindow *self)
{
  gtk_string_filter_set_search (self->contacts_filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->contacts_search)));
}

static void
edit_contact_mode (ChorusWindow *self, ChorusContact *contact)
{
  self->editing_contact = contact ? chorus_contact_get_id (contact) : 0;
  gtk_editable_set_text (GTK_EDITABLE (self->contact_name_row),
                         contact ? chorus_contact_get_name (contact) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->contact_aor_row),
                         contact ? chorus_contact_get_aor (contact) : "");
  adw_preferences_group_set_title (self->contact_edit_group,
                                   contact ? _ ("Edit contact") : _ ("New contact"));
  gtk_button_set_label (self->contact_save_button,
                        contact ? _ ("_Save Contact") : _ ("_Add Contact"));
}

static void
add_contact_clicked (ChorusWindow *self)
{
  if (self->store == NULL)
    return;
  g_autoptr (GError) error = NULL;
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->contact_name_row));
  const char *aor = gtk_editable_get_text (GTK_EDITABLE (self->contact_aor_row));
  gboolean ok =
      self->editing_contact != 0
          ? chorus_app_store_update_contact (self->store, self->editing_contact, name, aor, &error)
          : chorus_app_store_add_contact (self->store, name, aor, &error) > 0;
  if (!ok)
    {
      show_error (self->contact_error, error->message);
      return;
    }
  show_error (self->contact_error, NULL);
  edit_contact_mode (self, NULL);
}

static void
contact_activated (AdwActionRow *row, ChorusWindow *self)
{
  ChorusContact *contact = g_object_get_data (G_OBJECT (row), "contact");
  if (contact != NULL)
    edit_contact_mode (self, contact);
}

static void
invite_clicked (ChorusWindow *self)
{
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->invite_user_row));
  activate_app_action (self, "invite", g_variant_new_string (user));
}

/* ---------------------------------------------------------------- calls */

static GtkWidget *
action_button (const char *icon, const char *label, const char *action, guint id, const char *style)
{
  GtkWidget *b = gtk_button_new_from_icon_name (icon);
  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (b, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (b), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (b), action);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (b), g_variant_new_uint32 (id));
  gtk_widget_add_css_class (b, "circular");
  if (style != NULL)
    gtk_widget_add_css_class (b, style);
  return b;
}

static char *
call_subtitle (JsonObject *c)
{
  const char *state = json_object_get_string_member_with_default (c, "state", "");
  gboolean outgoing =
      g_strcmp0 (json_object_get_string_member_with_default (c, "direction", ""), "outgoing") == 0;
  if (g_str_equal (state, "dialing"))
    return g_strdup (_ ("Calling…"));
  if (g_str_equal (state, "ringing"))
    return g_strdup (outgoing ? _ ("Ringing…") : _ ("Incoming call"));
  if (g_str_equal (state, "active"))
    {
      double d = json_object_get_double_member_with_default (c, "duration_s", 0);
      guint s = (guint) d;
      const char *codec = json_object_get_string_member_with_default (c, "codec", NULL);
      gboolean hold = json_object_get_boolean_member_with_default (c, "on_hold", FALSE);
      /* RTCP's view of the call (RFC 3550 §6.4) */
      double rtt = json_object_get_double_member_with_default (c, "rtt_ms", -1);
      double loss = json_object_get_double_member_with_default (c, "loss", 0);
      const char *quality = loss > 0.05 || rtt > 400   ? _ ("poor")
                            : loss > 0.01 || rtt > 200 ? _ ("fair")
                                                       : _ ("good");
      return g_strdup_printf (hold ? _ ("On hold · %u:%02u · %s") : _ ("%u:%02u · %s · quality %s"),
                              s / 60, s % 60, codec ? codec : "", quality);
    }
  const char *reason = json_object_get_string_member_with_default (c, "reason", NULL);
  return g_strdup_printf (_ ("Ended%s%s"), reason ? ": " : "", reason ? reason : "");
}

static gboolean
refresh_calls (gpointer user_data)
{
  ChorusWindow *self = user_data;
  if (self->session != NULL)
    chorus_app_session_refresh_calls (self->session);
  return G_SOURCE_CONTINUE;
}

/* The DTMF keypad of a call (RFC 4733 events, app.send-dtmf). */
static GtkWidget *
dtmf_button (guint id)
{
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
  static const char keys[] = "123456789*0#";
  for (guint i = 0; i < 12; i++)
    {
      char digit[2] = { keys[i], '\0' };
      GtkWidget *b = gtk_button_new_with_label (digit);
      gtk_widget_add_css_class (b, "circular");
      gtk_actionable_set_action_name (GTK_ACTIONABLE (b), "app.send-dtmf");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (b),
                                              g_variant_new ("(us)", id, digit));
      gtk_grid_attach (GTK_GRID (grid), b, (int) (i % 3), (int) (i / 3), 1, 1);
    }
  GtkWidget *popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (popover), grid);
  GtkWidget *menu = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu), "input-dialpad-symbolic");
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (menu), popover);
  gtk_widget_set_tooltip_text (menu, _ ("Keypad"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Keypad"), -1);
  gtk_widget_set_valign (menu, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (menu, "circular");
  return menu;
}

/* What a call's row looks like apart from its subtitle: when none of
 * these changed, the rows stay (an open keypad stays open) and only the
 * subtitles move. */
static char *
call_shape (JsonObject *c)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "|%s|%s|%d|%d",
                          json_object_get_int_member_with_default (c, "id", 0),
                          json_object_get_string_member_with_default (c, "state", ""),
                          json_object_get_string_member_with_default (c, "direction", ""),
                          json_object_get_boolean_member_with_default (c, "on_hold", FALSE),
                          json_object_get_boolean_member_with_default (c, "muted", FALSE));
}

static gboolean
update_subtitles (ChorusWindow *self, JsonArray *list)
{
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->calls_list));
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *c = json_array_get_object_element (list, i);
      if (g_str_equal (json_object_get_string_member_with_default (c, "state", ""), "ended"))
        continue;
      g_autofree char *shape = call_shape (c);
      if (child == NULL || g_strcmp0 (g_object_get_data (G_OBJECT (child), "shape"), shape) != 0)
        return FALSE;
      g_autofree char *subtitle = call_subtitle (c);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (child), subtitle);
      child = gtk_widget_get_next_sibling (child);
    }
  return child == NULL;
}

static void
session_calls_changed (ChorusAppSession *session, JsonNode *calls, ChorusWindow *self)
{
  guint active = 0;
  JsonArray *list = json_object_get_array_member (json_node_get_object (calls), "calls");
  if (update_subtitles (self, list))
    return;
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->calls_list))) != NULL)
    gtk_list_box_remove (self->calls_list, child);
  guint shown = 0;
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *c = json_array_get_object_element (list, i);
      const char *state = json_object_get_string_member_with_default (c, "state", "");
      /* the calls going on; the ended ones are in the history */
      if (g_str_equal (state, "ended"))
        continue;
      guint id = (guint) json_object_get_int_member_with_default (c, "id", 0);
      const char *remote = json_object_get_string_member_with_default (c, "remote", "");
      g_autoptr (ChorusContact) contact =
          self->store ? chorus_app_store_find_contact (self->store, remote) : NULL;
      GtkWidget *row = adw_action_row_new ();
      g_object_set_data_full (G_OBJECT (row), "shape", call_shape (c), g_free);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     contact ? chorus_contact_get_name (contact) : remote);
      g_autofree char *subtitle = call_subtitle (c);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gboolean outgoing =
          g_strcmp0 (json_object_get_string_member_with_default (c, "direction", ""), "outgoing")
          == 0;
      if (g_str_equal (state, "ringing") && !outgoing)
        {
          adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                     action_button ("call-start-symbolic", _ ("Answer"),
                                                    "app.answer-call", id, "suggested-action"));
          adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                     action_button ("call-stop-symbolic", _ ("Decline"),
                                                    "app.decline-call", id, "destructive-action"));
        }
      else
        {
          if (g_str_equal (state, "active"))
            {
              active++;
              gboolean muted = json_object_get_boolean_member_with_default (c, "muted", FALSE);
              adw_action_row_add_suffix (ADW_ACTION_ROW (row), dtmf_button (id));
              adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                         action_button (muted ? "microphone-disabled-symbolic"
                                                              : "audio-input-microphone-symbolic",
                                                        muted ? _ ("Unmute") : _ ("Mute"),
                                                        muted ? "app.unmute-call" : "app.mute-call",
                                                        id, NULL));
              gboolean hold = json_object_get_boolean_member_with_default (c, "on_hold", FALSE);
              adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                         action_button (hold ? "media-playback-start-symbolic"
                                                             : "media-playback-pause-symbolic",
                                                        hold ? _ ("Resume") : _ ("Hold"),
                                                        hold ? "app.resume-call" : "app.hold-call",
                                                        id, NULL));
            }
          adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                     action_button ("call-stop-symbolic", _ ("Hang Up"),
                                                    "app.hangup-call", id, "destructive-action"));
        }
      gtk_list_box_append (self->calls_list, row);
      shown++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->calls_list), shown > 0);
  if (active > 0 && self->calls_timer == 0)
    self->calls_timer = g_timeout_add_seconds (1, refresh_calls, self);
  else if (active == 0)
    g_clear_handle_id (&self->calls_timer, g_source_remove);
  if (shown > 0)
    adw_view_stack_set_visible_child_name (self->views, "calls");
}

/* ---------------------------------------------------------------- lists */

/* what the contacts' search matches: the name and the address */
static char *
contact_search_text (ChorusContact *contact, gpointer user_data)
{
  return g_strdup_printf ("%s %s", chorus_contact_get_name (contact),
                          chorus_contact_get_aor (contact));
}

static GtkWidget *
contact_row (gpointer item, gpointer user_data)
{
  ChorusContact *c = item;
  GtkWidget *row = adw_action_row_new ();
  /* activating the row edits the contact */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "contact", g_object_ref (c), g_object_unref);
  g_signal_connect (row, "activated", G_CALLBACK (contact_activated), user_data);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), chorus_contact_get_name (c));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), chorus_contact_get_aor (c));
  GtkWidget *call = gtk_button_new_from_icon_name ("call-start-symbolic");
  g_autofree char *label = g_strdup_printf (_ ("Call %s"), chorus_contact_get_name (c));
  gtk_widget_set_tooltip_text (call, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (call), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_widget_set_valign (call, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (call, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (call), "app.call");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (call),
                                          g_variant_new_string (chorus_contact_get_aor (c)));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), call);
  GtkWidget *del = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *del_label = g_strdup_printf (_ ("Delete %s"), chorus_contact_get_name (c));
  gtk_widget_set_tooltip_text (del, del_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (del), GTK_ACCESSIBLE_PROPERTY_LABEL, del_label,
                                  -1);
  gtk_widget_set_valign (del, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (del, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (del), "app.delete-contact");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (del),
                                          g_variant_new_int64 (chorus_contact_get_id (c)));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), del);
  return row;
}

/* a contact added, renamed or deleted: the history's rows follow */
static void
history_name_changed (ChorusHistoryEntry *e, GParamSpec *pspec, GtkWidget *row)
{
  const char *name = chorus_history_entry_get_name (e);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 name ? name : chorus_history_entry_get_remote (e));
  GtkWidget *add = g_object_get_data (G_OBJECT (row), "add-button");
  if (add != NULL)
    gtk_widget_set_visible (add, name == NULL);
  GtkWidget *call = g_object_get_data (G_OBJECT (row), "call-button");
  g_autofree char *label =
      g_strdup_printf (_ ("Call %s back"), name ? name : chorus_history_entry_get_remote (e));
  gtk_widget_set_tooltip_text (call, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (call), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static GtkWidget *
history_row (gpointer item, gpointer user_data)
{
  ChorusHistoryEntry *e = item;
  GtkWidget *row = adw_action_row_new ();
  const char *name = chorus_history_entry_get_name (e);
  const char *remote = chorus_history_entry_get_remote (e);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name ? name : remote);
  const char *what;
  const char *icon;
  switch (chorus_history_entry_get_direction (e))
    {
    case CHORUS_CALL_OUTGOING:
      what = _ ("Outgoing");
      icon = "call-outgoing-symbolic";
      break;
    case CHORUS_CALL_INCOMING:
      what = _ ("Incoming");
      icon = "call-incoming-symbolic";
      break;
    case CHORUS_CALL_MISSED:
    default:
      what = _ ("Missed");
      icon = "call-missed-symbolic";
      break;
    }
  GtkWidget *image = gtk_image_new_from_icon_name (icon);
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, what, -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), image);
  GDateTime *started = chorus_history_entry_get_started (e);
  g_autofree char *when = started ? g_date_time_format (started, "%x %X") : g_strdup ("");
  guint d = chorus_history_entry_get_duration_s (e);
  g_autofree char *subtitle = g_strdup_printf ("%s · %s · %u:%02u", what, when, d / 60, d % 60);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  GtkWidget *call = gtk_button_new_from_icon_name ("call-start-symbolic");
  g_autofree char *label = g_strdup_printf (_ ("Call %s back"), name ? name : remote);
  gtk_widget_set_tooltip_text (call, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (call), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_widget_set_valign (call, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (call, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (call), "app.call");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (call), g_variant_new_string (remote));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), call);
  g_object_set_data (G_OBJECT (row), "call-button", call);
  if (name == NULL)
    {
      /* add from history: the address's user part as the name, to edit */
      GtkWidget *add = gtk_button_new_from_icon_name ("contact-new-symbolic");
      g_autofree char *add_label = g_strdup_printf (_ ("Add %s to contacts"), remote);
      gtk_widget_set_tooltip_text (add, add_label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (add), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      add_label, -1);
      gtk_widget_set_valign (add, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (add, "flat");
      g_autofree char *user = chorus_aor_user (remote);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (add), "app.add-contact");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (add),
                                              g_variant_new ("(ss)", user ? user : remote, remote));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), add);
      g_object_set_data (G_OBJECT (row), "add-button", add);
    }
  g_signal_connect_object (e, "notify::name", G_CALLBACK (history_name_changed), row, 0);
  return row;
}

/* ---------------------------------------------------------------- status */

/* A Node-ID's place on the ring, as a fraction of it (128-bit ids in hex,
 * RFC 6940 §10.2). */
static gboolean
ring_position (const char *hex, long double *out)
{
  if (hex == NULL || strlen (hex) != 32)
    return FALSE;
  long double v = 0;
  for (guint i = 0; i < 32; i++)
    {
      int d = g_ascii_xdigit_value (hex[i]);
      if (d < 0)
        return FALSE;
      v = v * 16 + d;
    }
  *out = v / powl (2, 128);
  return TRUE;
}

/* How many peers the overlay has, from how densely the neighbours sit
 * around this one (the usual Chord estimate: k neighbours over a span s of
 * the ring, k / s peers); never fewer than the peers known. */
static guint
estimate_peers (JsonObject *status)
{
  JsonArray *pred = json_object_get_array_member (status, "predecessors");
  JsonArray *succ = json_object_get_array_member (status, "successors");
  guint np = pred ? json_array_get_length (pred) : 0;
  guint ns = succ ? json_array_get_length (succ) : 0;
  if (np == 0 || ns == 0)
    return 1 + np + ns;
  long double first, last;
  if (!ring_position (json_array_get_string_element (pred, np - 1), &first)
      || !ring_position (json_array_get_string_element (succ, ns - 1), &last))
    return 1 + MAX (np, ns);
  long double span = last - first;
  if (span <= 0)
    span += 1;
  g_autoptr (GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < np; i++)
    g_hash_table_add (known, (gpointer) json_array_get_string_element (pred, i));
  for (guint i = 0; i < ns; i++)
    g_hash_table_add (known, (gpointer) json_array_get_string_element (succ, i));
  guint distinct = g_hash_table_size (known) + 1;
  long double estimate = (np + ns) / span;
  return MAX (distinct, (guint) (estimate + 0.5L));
}

static void
status_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status =
      chorus_app_session_status_finish (CHORUS_APP_SESSION (source), result, &error);
  if (status == NULL)
    return;
  ChorusWindow *self = user_data;
  JsonObject *o = json_node_get_object (status);
  gboolean joined = json_object_get_boolean_member_with_default (o, "joined", FALSE);
  adw_action_row_set_subtitle (self->status_state_row, joined ? _ ("Joined") : _ ("Not joined"));
  adw_action_row_set_subtitle (self->status_overlay_row,
                               json_object_get_string_member_with_default (o, "overlay", ""));
  adw_action_row_set_subtitle (self->status_node_row,
                               json_object_get_string_member_with_default (o, "node_id", ""));
  JsonArray *pred = json_object_get_array_member (o, "predecessors");
  JsonArray *succ = json_object_get_array_member (o, "successors");
  JsonArray *links = json_object_get_array_member (o, "links");
  g_autofree char *neighbours = g_strdup_printf (_ ("%u predecessors, %u successors"),
                                                 pred ? json_array_get_length (pred) : 0,
                                                 succ ? json_array_get_length (succ) : 0);
  adw_action_row_set_subtitle (self->status_neighbours_row, neighbours);
  g_autofree char *nlinks = g_strdup_printf ("%u", links ? json_array_get_length (links) : 0);
  adw_action_row_set_subtitle (self->status_links_row, nlinks);
  g_autofree char *peers = g_strdup_printf ("%u", estimate_peers (o));
  adw_action_row_set_subtitle (self->status_peers_row, peers);
  g_autofree char *registrations = g_strdup_printf (
      "%" G_GINT64_FORMAT, json_object_get_int_member_with_default (o, "stored_registrations", 0));
  adw_action_row_set_subtitle (self->status_registrations_row, registrations);
  const char *turn = json_object_get_string_member_with_default (o, "turn_in_use", NULL);
  adw_action_row_set_subtitle (self->status_turn_row, turn ? turn : _ ("None"));
  g_autofree char *stored = g_strdup_printf (
      "%" G_GINT64_FORMAT, json_object_get_int_member_with_default (o, "stored_items", 0));
  adw_action_row_set_subtitle (self->status_stored_row, stored);
}

static gboolean
poll_status (gpointer user_data)
{
  ChorusWindow *self = user_data;
  if (self->session != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    chorus_app_session_status_async (self->session, self->cancellable, status_done, self);
  return G_SOURCE_CONTINUE;
}

static void
session_state_changed (ChorusAppSession *session, GParamSpec *pspec, ChorusWindow *self)
{
  gtk_label_set_text (self->state_label, chorus_app_session_get_state_label (session));
  const char *aor = chorus_app_session_get_aor (session);
  g_autofree char *me = aor ? g_strdup_printf (_ ("You are %s"), aor) : NULL;
  gtk_label_set_text (self->aor_label, me ? me : "");
  if (self->store != NULL && chorus_app_session_get_overlay (session) != NULL)
    chorus_app_store_set_default_domain (self->store, chorus_app_session_get_overlay (session));
}

static void
history_changed (GListModel *model, guint position, guint removed, guint added, ChorusWindow *self)
{
  guint missed = self->store ? chorus_app_store_get_unseen_missed (self->store) : 0;
  adw_view_stack_page_set_badge_number (self->history_page, missed);
  adw_view_stack_page_set_needs_attention (self->history_page, missed > 0);
}

static void
view_changed (ChorusWindow *self)
{
  const char *name = adw_view_stack_get_visible_child_name (self->views);
  if (self->store != NULL && g_strcmp0 (name, "history") == 0)
    {
      chorus_app_store_mark_missed_seen (self->store, NULL);
      history_changed (NULL, 0, 0, 0, self);
    }
  if (g_strcmp0 (name, "overlay") == 0)
    poll_status (self);
}

/* ---------------------------------------------------------------- public */

void
chorus_window_show_welcome (ChorusWindow *self)
{
  gtk_stack_set_visible_child_name (self->pages, "welcome");
  gtk_label_set_text (self->state_label, _ ("Not set up"));
}

void
chorus_window_show_welcome_error (ChorusWindow *self, const char *message)
{
  chorus_window_show_welcome (self);
  show_error (self->welcome_error, message);
}

void
chorus_window_show_busy (ChorusWindow *self, const char *title)
{
  adw_status_page_set_title (self->busy_page, title);
  show_error (self->welcome_error, NULL);
  gtk_stack_set_visible_child_name (self->pages, "busy");
}

void
chorus_window_show_main (ChorusWindow *self, ChorusAppSession *session, ChorusAppStore *store)
{
  g_set_object (&self->session, session);
  g_set_object (&self->store, store);
  g_signal_connect (session, "notify::state-label", G_CALLBACK (session_state_changed), self);
  g_signal_connect (session, "notify::aor", G_CALLBACK (session_state_changed), self);
  g_signal_connect (session, "notify::overlay", G_CALLBACK (session_state_changed), self);
  g_signal_connect (session, "calls-changed", G_CALLBACK (session_calls_changed), self);
  session_state_changed (session, NULL, self);
  gtk_widget_set_visible (GTK_WIDGET (self->calls_list), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->invite_group), chorus_app_session_is_creator (session));
  if (store != NULL)
    {
      /* search by name or address */
      GtkExpression *expr = gtk_cclosure_expression_new (
          G_TYPE_STRING, NULL, 0, NULL, G_CALLBACK (contact_search_text), NULL, NULL);
      self->contacts_filter = gtk_string_filter_new (expr);
      self->contacts_filtered = gtk_filter_list_model_new (
          g_object_ref (chorus_app_store_get_contacts (store)), GTK_FILTER (self->contacts_filter));
      gtk_list_box_bind_model (self->contacts_list, G_LIST_MODEL (self->contacts_filtered),
                               contact_row, self, NULL);
      GListModel *history = chorus_app_store_get_history (store);
      gtk_list_box_bind_model (self->history_list, history, history_row, self, NULL);
      g_signal_connect_object (history, "items-changed", G_CALLBACK (history_changed), self, 0);
      history_changed (NULL, 0, 0, 0, self);
    }
  self->status_timer = g_timeout_add_seconds (STATUS_POLL_S, poll_status, self);
  gtk_stack_set_visible_child_name (self->pages, "main");
}

void
chorus_window_show_invite (ChorusWindow *self, const char *link)
{
  gtk_label_set_text (self->invite_link, link);
  gtk_widget_set_visible (GTK_WIDGET (self->invite_link), TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) qr = chorus_invite_qr_pixbuf (link, 4, &error);
  if (qr != NULL)
    {
      g_autoptr (GdkTexture) texture = gdk_texture_new_for_pixbuf (qr);
      gtk_picture_set_paintable (self->invite_qr, GDK_PAINTABLE (texture));
      gtk_widget_set_visible (GTK_WIDGET (self->invite_qr), TRUE);
    }
  adw_view_stack_set_visible_child_name (self->views, "overlay");
}

void
chorus_window_show_page (ChorusWindow *self, const char *name)
{
  if (adw_view_stack_get_child_by_name (self->views, name) != NULL)
    adw_view_stack_set_visible_child_name (self->views, name);
}

gboolean
chorus_window_save_screenshot (ChorusWindow *self, const char *path, GError **error)
{
  GtkWidget *widget = GTK_WIDGET (self);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (self));
  if (width <= 0 || height <= 0 || renderer == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "the window is not shown");
      return FALSE;
    }
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  g_autoptr (GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "nothing drawn yet");
      return FALSE;
    }
  g_autoptr (GdkTexture) texture =
      gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s", path);
      return FALSE;
    }
  return TRUE;
}

void
chorus_window_set_dial (ChorusWindow *self, const char *aor)
{
  gtk_editable_set_text (GTK_EDITABLE (self->dial_entry), aor);
  adw_view_stack_set_visible_child_name (self->views, "calls");
}

static void
chorus_window_class_init (ChorusWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = chorus_window_dispose;
  object_class->finalize = chorus_window_finalize;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chorusp2p/Chorus/chorus-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, ChorusWindow, name)
  BIND (state_label);
  BIND (pages);
  BIND (views);
  BIND (name_row);
  BIND (link_row);
  BIND (welcome_error);
  BIND (busy_page);
  BIND (aor_label);
  BIND (dial_entry);
  BIND (dial_error);
  BIND (calls_list);
  BIND (contacts_search);
  BIND (contacts_list);
  BIND (contact_name_row);
  BIND (contact_aor_row);
  BIND (contact_error);
  BIND (contact_save_button);
  BIND (contact_edit_group);
  BIND (history_list);
  BIND (history_page);
  BIND (status_state_row);
  BIND (status_overlay_row);
  BIND (status_node_row);
  BIND (status_neighbours_row);
  BIND (status_links_row);
  BIND (status_stored_row);
  BIND (status_peers_row);
  BIND (status_turn_row);
  BIND (status_registrations_row);
  BIND (invite_group);
  BIND (invite_user_row);
  BIND (invite_qr);
  BIND (invite_link);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, create_clicked);
  gtk_widget_class_bind_template_callback (widget_class, join_clicked);
  gtk_widget_class_bind_template_callback (widget_class, scan_clicked);
  gtk_widget_class_bind_template_callback (widget_class, dial_activated);
  gtk_widget_class_bind_template_callback (widget_class, contacts_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, add_contact_clicked);
  gtk_widget_class_bind_template_callback (widget_class, invite_clicked);
}

static void
chorus_window_init (ChorusWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->views, "notify::visible-child", G_CALLBACK (view_changed), self);
}

ChorusWindow *
chorus_window_new (GtkApplication *app)
{
  return g_object_new (CHORUS_TYPE_WINDOW, "application", app, NULL);
}
