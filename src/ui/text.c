/* Monospace text: the printable ASCII glyphs of one TTF font rendered once
 * into a white atlas texture, then drawn glyph by glyph with a colour mod.
 * Text costs one texture copy per character and no TTF work per frame. */
#include <SDL.h>
#include <SDL_ttf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_impl.h"

#define GLYPH_FIRST 32
#define GLYPH_LAST  126
#define GLYPH_COUNT (GLYPH_LAST - GLYPH_FIRST + 1)

struct text {
    SDL_Renderer *r;
    SDL_Texture *atlas;
    int cw, lh;           /* advance and line height in pixels */
};

struct text *text_create(SDL_Renderer *r, const char *font_path, int size, char *err, size_t errlen)
{
    if (!TTF_WasInit() && TTF_Init() < 0) {
        snprintf(err, errlen, "SDL_ttf: %s", TTF_GetError());
        return NULL;
    }
    TTF_Font *font = TTF_OpenFont(font_path, size);
    if (!font) {
        snprintf(err, errlen, "%s: %s (install fonts-dejavu-core)", font_path, TTF_GetError());
        return NULL;
    }
    struct text *t = calloc(1, sizeof *t);
    SDL_Surface *atlas = NULL;
    if (!t)
        goto fail;
    t->r = r;
    int adv = 0;
    TTF_GlyphMetrics(font, 'M', NULL, NULL, NULL, NULL, &adv);
    t->cw = adv > 0 ? adv : size * 6 / 10;
    t->lh = TTF_FontLineSkip(font);
    atlas = SDL_CreateRGBSurfaceWithFormat(0, t->cw * GLYPH_COUNT, t->lh, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!atlas)
        goto fail;
    SDL_FillRect(atlas, NULL, SDL_MapRGBA(atlas->format, 255, 255, 255, 0));
    SDL_Color white = { 255, 255, 255, 255 };
    for (int c = GLYPH_FIRST; c <= GLYPH_LAST; c++) {
        SDL_Surface *g = TTF_RenderGlyph_Blended(font, (Uint16)c, white);
        if (!g)
            continue;
        SDL_SetSurfaceBlendMode(g, SDL_BLENDMODE_NONE);
        SDL_Rect dst = { (c - GLYPH_FIRST) * t->cw, 0, t->cw, t->lh };
        SDL_Rect src = { 0, 0, g->w < t->cw ? g->w : t->cw, g->h < t->lh ? g->h : t->lh };
        SDL_BlitSurface(g, &src, atlas, &dst);
        SDL_FreeSurface(g);
    }
    t->atlas = SDL_CreateTextureFromSurface(r, atlas);
    if (!t->atlas)
        goto fail;
    SDL_SetTextureBlendMode(t->atlas, SDL_BLENDMODE_BLEND);
    SDL_FreeSurface(atlas);
    TTF_CloseFont(font);
    return t;
fail:
    snprintf(err, errlen, "cannot build the glyph atlas: %s", SDL_GetError());
    if (atlas)
        SDL_FreeSurface(atlas);
    free(t);
    TTF_CloseFont(font);
    return NULL;
}

void text_destroy(struct text *t)
{
    if (!t)
        return;
    if (t->atlas)
        SDL_DestroyTexture(t->atlas);
    free(t);
}

int text_char_w(const struct text *t)
{
    return t ? t->cw : 8;
}

int text_line_h(const struct text *t)
{
    return t ? t->lh : 16;
}

int text_draw(struct text *t, int x, int y, uint32_t rgb, const char *s)
{
    if (!t)
        return x + 8 * (int)strlen(s);
    SDL_SetTextureColorMod(t->atlas, (Uint8)(rgb >> 16), (Uint8)(rgb >> 8), (Uint8)rgb);
    for (; *s; s++, x += t->cw) {
        unsigned char c = (unsigned char)*s;
        if (c <= GLYPH_FIRST || c > GLYPH_LAST)
            continue;   /* space and anything unprintable: just advance */
        SDL_Rect src = { (c - GLYPH_FIRST) * t->cw, 0, t->cw, t->lh };
        SDL_Rect dst = { x, y, t->cw, t->lh };
        SDL_RenderCopy(t->r, t->atlas, &src, &dst);
    }
    return x;
}

int text_drawf(struct text *t, int x, int y, uint32_t rgb, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return text_draw(t, x, y, rgb, buf);
}
