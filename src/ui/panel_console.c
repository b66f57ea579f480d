/* Panel: what has the guest printed? The tail of COM1's output, as a
 * terminal would show it (CR, LF, backspace; other control bytes
 * dropped), wrapped to the panel's width. Tab sends keys to COM1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_impl.h"

#define CON_MAX_COLS 160
#define CON_MAX_ROWS 64

/* The monitor's output in place of the console. */
static void draw_monitor_output(struct ui *u)
{
    const SDL_Rect *a = &u->lay.console;
    int lh = text_line_h(u->text), cw = text_char_w(u->text);
    text_drawf(u->text, a->x, a->y, COL_OK, "monitor: %s   (Esc: back to the console)", u->cmd_shown);
    draw_frame(u->r, a->x - 2, a->y + lh + 1, a->w + 4, a->h - lh - 1, COL_OK);
    int y = a->y + lh + 3, cols = a->w / cw;
    const char *p = u->cmd_out;
    while (*p && y + lh <= a->y + a->h) {
        size_t n = strcspn(p, "\n");
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(n < (size_t)cols ? n : (size_t)cols), p);
        uint32_t col = strstr(line, "#PF") || strstr(line, "not readable") || strstr(line, "unknown")
                       ? COL_FAULT : COL_TEXT;
        text_draw(u->text, a->x, y, col, line);
        y += lh;
        p += n;
        if (*p == '\n')
            p++;
    }
}

void ui_monitor_exec(struct ui *u, const char *line)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "%s", line);
    /* a run with no count would hold the window until the guest stops:
     * continue gets 5*10^7 instructions at most, until 5*10^6 steps */
    char w1[16] = "", w2[16] = "", w3[16] = "";
    int words = sscanf(cmd, "%15s %15s %15s", w1, w2, w3);
    if ((!strcmp(w1, "c") || !strcmp(w1, "continue")) && words == 1)
        snprintf(cmd, sizeof cmd, "continue 50000000");
    else if (!strcmp(w1, "until") && words == 2)
        snprintf(cmd, sizeof cmd, "until %s 5000000", w2);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    if (monitor_exec(&u->d, cmd, f) == MON_QUIT)
        u->quit = true;
    fclose(f);
    free(u->cmd_out);
    u->cmd_out = text;
    snprintf(u->cmd_shown, sizeof u->cmd_shown, "%s", cmd);
}

void panel_console_draw(struct ui *u)
{
    if (u->cmd_out) {
        draw_monitor_output(u);
        return;
    }
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
