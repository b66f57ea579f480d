/* Panel: what has the guest printed? The tail of COM1's output, as a
 * terminal would show it (CR, LF, backspace; other control bytes
 * dropped), wrapped to the panel's width. Tab sends keys to COM1. */
#include <string.h>

#include "ui/ui_impl.h"

#define CON_MAX_COLS 160
#define CON_MAX_ROWS 64

void panel_console_draw(struct ui *u)
{
    const SDL_Rect *a = &u->lay.console;
    int lh = text_line_h(u->text), cw = text_char_w(u->text);
    if (u->console_input)
        text_draw(u->text, a->x, a->y, COL_OK, "Serial console COM1  [typing to the guest: Esc stops]");
    else
        draw_title(u, a, "Serial console COM1  (Tab: type to the guest)");
    draw_frame(u->r, a->x - 2, a->y + lh + 1, a->w + 4, a->h - lh - 1,
               u->console_input ? COL_OK : 0x30343du);
    int rows = (a->h - lh - 4) / lh, cols = a->w / cw;
    if (rows > CON_MAX_ROWS)
        rows = CON_MAX_ROWS;
    if (cols > CON_MAX_COLS)
        cols = CON_MAX_COLS;
    if (rows < 1 || cols < 1)
        return;

    /* replay the tail of the ring into a circular array of rows */
    static char line[CON_MAX_ROWS][CON_MAX_COLS + 1];
    int cur = 0, len = 0, used = 1;
    memset(line[0], 0, sizeof line[0]);
    const struct ui_console *c = &u->con;
    uint64_t span = 8192 < CONSOLE_RING ? 8192 : CONSOLE_RING;
    uint64_t from = c->head > span ? c->head - span : 0;
    for (uint64_t i = from; i < c->head; i++) {
        char ch = c->ring[i % CONSOLE_RING];
        if (ch == '\r') {
            len = 0;
            continue;
        }
        if (ch == '\b') {
            if (len > 0)
                line[cur][--len] = '\0';
            continue;
        }
        if (ch == '\n' || len >= cols) {
            cur = (cur + 1) % rows;
            len = 0;
            memset(line[cur], 0, sizeof line[cur]);
            if (used < rows)
                used++;
            if (ch == '\n')
                continue;
        }
        if ((unsigned char)ch < 32 || (unsigned char)ch > 126)
            continue;
        line[cur][len++] = ch;
        line[cur][len] = '\0';
    }
    int y = a->y + lh + 3;
    for (int k = used - 1; k >= 0; k--, y += lh)
        text_draw(u->text, a->x, y, COL_TEXT, line[(cur - k + rows) % rows]);
}
