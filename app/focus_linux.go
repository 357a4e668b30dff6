//go:build desktop && linux

package app

/*
#cgo pkg-config: gtk+-3.0
#include <gtk/gtk.h>

// gtk_window_present stamps its focus request with this app's last user
// input; a second launch is input to another process, so the X server
// (or the window manager) refuses the stale request. GDK_CURRENT_TIME asks
// for the focus now.
static gboolean focus_toplevels(gpointer data) {
	GList *all = gtk_window_list_toplevels();
	for (GList *l = all; l != NULL; l = l->next) {
		GtkWidget *w = GTK_WIDGET(l->data);
		if (gtk_widget_get_visible(w) && gtk_window_get_window_type(GTK_WINDOW(w)) == GTK_WINDOW_TOPLEVEL && gtk_widget_get_window(w) != NULL) {
			gdk_window_focus(gtk_widget_get_window(w), GDK_CURRENT_TIME);
		}
	}
	g_list_free(all);
	return G_SOURCE_REMOVE;
}

static void focus_window(void) { g_idle_add(focus_toplevels, NULL); }
*/
import "C"

// focusWindow gives the window the keyboard focus (on GTK's thread).
func focusWindow() { C.focus_window() }
