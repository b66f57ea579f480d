/* Small drawing helpers shared by the panels. */
#include <stdarg.h>
#include <stdio.h>

#include "ui/ui_impl.h"

static void set_color(SDL_Renderer *r, uint32_t rgb)
{
    SDL_SetRenderDrawColor(r, (Uint8)(rgb >> 16), (Uint8)(rgb >> 8), (Uint8)rgb, 255);
}

void draw_fill(SDL_Renderer *r, int x, int y, int w, int h, uint32_t rgb)
{
    set_color(r, rgb);
    SDL_Rect rc = { x, y, w, h };
    SDL_RenderFillRect(r, &rc);
}

void draw_frame(SDL_Renderer *r, int x, int y, int w, int h, uint32_t rgb)
{
    set_color(r, rgb);
    SDL_Rect rc = { x, y, w, h };
    SDL_RenderDrawRect(r, &rc);
}

void draw_title(struct ui *u, const SDL_Rect *area, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    text_draw(u->text, area->x, area->y, COL_TITLE, buf);
}
