/* A plain GTK 3 drag source for the desktop test: a small window at the
 * screen's top left that offers the files named on its command line as
 * text/uri-list, the way a file manager does. It prints "ready" once it is
 * on screen and "drag-end" when a drag is over, so the test can pace
 * xdotool. */
#include <gtk/gtk.h>
#include <stdio.h>

static gchar **uris;

static void on_get(GtkWidget *w, GdkDragContext *ctx, GtkSelectionData *sel, guint info, guint time, gpointer data) {
    gtk_selection_data_set_uris(sel, uris);
}

static void on_end(GtkWidget *w, GdkDragContext *ctx, gpointer data) {
    printf("drag-end\n");
    fflush(stdout);
}

static gboolean on_failed(GtkWidget *w, GdkDragContext *ctx, GtkDragResult result, gpointer data) {
    printf("drag-failed %d\n", result);
    fflush(stdout);
    return FALSE;
}

static gboolean on_map(GtkWidget *w, GdkEvent *ev, gpointer data) {
    printf("ready\n");
    fflush(stdout);
    return FALSE;
}

int main(int argc, char **argv) {
    gtk_init(&argc, &argv);
    if (argc < 2) {
        fprintf(stderr, "usage: dragsource FILE...\n");
        return 2;
    }
    uris = g_new0(gchar *, argc);
    for (int i = 1; i < argc; i++) {
        GError *err = NULL;
        uris[i - 1] = g_filename_to_uri(argv[i], NULL, &err);
        if (uris[i - 1] == NULL) {
            fprintf(stderr, "dragsource: %s\n", err->message);
            return 2;
        }
    }
    GtkWidget *win = gtk_window_new(GTK_WINDOW_TOPLEVEL);
    gtk_window_set_title(GTK_WINDOW(win), "dragsource");
    gtk_window_set_default_size(GTK_WINDOW(win), 160, 160);
    gtk_window_move(GTK_WINDOW(win), 0, 0);
    GtkWidget *box = gtk_event_box_new();
    gtk_container_add(GTK_CONTAINER(box), gtk_label_new("drag me"));
    gtk_container_add(GTK_CONTAINER(win), box);
    GtkTargetEntry target = {"text/uri-list", 0, 0};
    gtk_drag_source_set(box, GDK_BUTTON1_MASK, &target, 1, GDK_ACTION_COPY);
    g_signal_connect(box, "drag-data-get", G_CALLBACK(on_get), NULL);
    g_signal_connect(box, "drag-end", G_CALLBACK(on_end), NULL);
    g_signal_connect(box, "drag-failed", G_CALLBACK(on_failed), NULL);
    g_signal_connect(win, "map-event", G_CALLBACK(on_map), NULL);
    g_signal_connect(win, "destroy", G_CALLBACK(gtk_main_quit), NULL);
    gtk_widget_show_all(win);
    gtk_main();
    return 0;
}
