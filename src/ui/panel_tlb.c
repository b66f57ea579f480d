/* Panel: what does the TLB hold, and how well is it doing? Counters
 * (hits, misses, walks, page faults, flushes by cause, INVLPG) and the
 * valid entries; entries filled since the last frame come first, bright. */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_impl.h"

/* The entry map: one cell per (set, way), right of the list. */
#define TLB_MAP_W 160

void tlb_map_cell(const struct ui *u, unsigned set, unsigned way, SDL_Rect *cell)
{
    const struct tlb *t = &u->m->mmu.tlb;
    const SDL_Rect *a = &u->lay.tlb;
    unsigned cells = t->sets * t->ways;
    int lh = text_line_h(u->text), top = a->y + lh + 2, avail = a->h - lh - 2;
    int x0 = a->x + a->w - TLB_MAP_W;
    if (cells <= 64) {   /* small (the i386's 8 x 4): a row per set, a column per way */
        int w = TLB_MAP_W / (int)t->ways, h = avail / (int)t->sets;
        if (h > w)
            h = w;
        *cell = (SDL_Rect){ x0 + (int)way * w, top + (int)set * h, w - 2, h - 2 };
        return;
    }
    unsigned idx = set * t->ways + way, rows = (cells + 31) / 32;
    int w = TLB_MAP_W / 32, h = avail / (int)rows;
    if (h > w)
        h = w;
    if (h < 2)
        h = 2;
    *cell = (SDL_Rect){ x0 + (int)(idx % 32) * w, top + (int)(idx / 32) * h, w - 1, h - 1 };
}

static void draw_map(struct ui *u, unsigned n)
{
    const struct tlb *t = &u->m->mmu.tlb;
    SDL_Rect c;
    if (t->sets * t->ways > 4096)
        return;   /* too many to show one by one */
    for (unsigned s = 0; s < t->sets; s++)
        for (unsigned w = 0; w < t->ways; w++) {
            tlb_map_cell(u, s, w, &c);
            draw_fill(u->r, c.x, c.y, c.w, c.h, COL_EMPTY);
        }
    for (unsigned i = 0; i < n; i++) {
        const struct tlb_snap *e = &u->tlb_now[i];
        uint32_t col = e->large ? COL_LARGE : e->global ? 0x9b6fd6u : e->user_ok ? COL_UCORNER : 0x3d7cc9u;
        tlb_map_cell(u, e->set, e->way, &c);
        draw_fill(u->r, c.x, c.y, c.w, c.h, col);
    }
}

static bool was_cached(const struct ui *u, const struct tlb_snap *s)
{
    for (unsigned i = 0; i < u->tlb_prev_n; i++)
        if (u->tlb_prev[i].lin == s->lin && u->tlb_prev[i].phys == s->phys)
            return true;
    return false;
}

static void entry_text(const struct tlb_snap *s, char *buf, size_t len)
{
    snprintf(buf, len, "%4u.%u %08x->%08x %c%c%c%c%c%c", s->set, s->way, s->lin, s->phys,
             s->user_ok ? 'U' : '-', s->write_ok_user ? 'w' : '-', s->write_ok_super ? 'w' : '-',
             s->dirty ? 'D' : '-', s->global ? 'G' : '-', s->large ? 'L' : '-');
}

void panel_tlb_draw(struct ui *u)
{
    struct mmu *mmu = &u->m->mmu;
    const struct tlb_stats *st = &mmu->tlb.st;
    unsigned cap = mmu->tlb.sets * mmu->tlb.ways;
    if (cap != u->tlb_cap) {
        free(u->tlb_prev);
        free(u->tlb_now);
        u->tlb_prev = calloc(cap, sizeof *u->tlb_prev);
        u->tlb_now = calloc(cap, sizeof *u->tlb_now);
        u->tlb_cap = u->tlb_prev && u->tlb_now ? cap : 0;
        u->tlb_prev_n = 0;
    }
    if (!u->tlb_cap)
        return;
    unsigned n = tlb_snapshot(mmu, u->tlb_now, cap);
    if (n > cap)
        n = cap;
    const SDL_Rect *a = &u->lay.tlb;
    int lh = text_line_h(u->text), cw = text_char_w(u->text), y = a->y;
    draw_title(u, a, "TLB  %u sets x %u way%s  %u valid entries", mmu->tlb.sets, mmu->tlb.ways,
               mmu->tlb.ways == 1 ? "" : "s", n);
    y += lh;
    uint64_t looks = st->hits + st->misses;
    text_drawf(u->text, a->x, y, COL_TEXT,
               "hits %llu  misses %llu (%.3f%%)  walks %llu  #PF %llu  invlpg %llu",
               (unsigned long long)st->hits, (unsigned long long)st->misses,
               looks ? 100.0 * (double)st->misses / (double)looks : 0.0,
               (unsigned long long)st->walks, (unsigned long long)st->page_faults,
               (unsigned long long)st->invlpg);
    y += lh;
    text_drawf(u->text, a->x, y, COL_DIM,
               "flushes: CR3 %llu  CR0 %llu  CR4 %llu  A20 %llu  task %llu  other %llu",
               (unsigned long long)st->flushes[TLB_FLUSH_CR3], (unsigned long long)st->flushes[TLB_FLUSH_CR0],
               (unsigned long long)st->flushes[TLB_FLUSH_CR4], (unsigned long long)st->flushes[TLB_FLUSH_A20],
               (unsigned long long)st->flushes[TLB_FLUSH_TASK_SWITCH],
               (unsigned long long)st->flushes[TLB_FLUSH_EXPLICIT]);
    y += lh;
    int col_w = 33 * cw;
    int cols = (a->w - TLB_MAP_W - 8) / col_w;
    if (cols < 1)
        cols = 1;
    text_draw(u->text, a->x, y, COL_DIM, cols > 1 ? " set.w lin page->phys page Uwwdgl   (new fills bright)"
                                                  : " set.w lin page->phys page Uwwdgl");
    y += lh;
    int rows = (a->y + a->h - y) / lh - 1;   /* the last line says how many more */
    int slots = rows > 0 ? rows * cols : 0, shown = 0;
    char buf[64];
    /* two passes: new fills, then the rest */
    for (int pass = 0; pass < 2 && shown < slots; pass++) {
        for (unsigned i = 0; i < n && shown < slots; i++) {
            bool fresh = !was_cached(u, &u->tlb_now[i]);
            if (fresh != (pass == 0))
                continue;
            entry_text(&u->tlb_now[i], buf, sizeof buf);
            int x = a->x + (shown / rows) * col_w, yy = y + (shown % rows) * lh;
            text_draw(u->text, x, yy, fresh ? COL_OK : COL_TEXT, buf);
            shown++;
        }
    }
    if ((unsigned)shown < n)
        text_drawf(u->text, a->x, y + rows * lh, COL_DIM, "... and %u more (monitor: tlb)", n - (unsigned)shown);
    draw_map(u, n);
    for (unsigned i = 0; i < n; i++) {   /* new fills: a bright outline */
        if (was_cached(u, &u->tlb_now[i]))
            continue;
        SDL_Rect c;
        tlb_map_cell(u, u->tlb_now[i].set, u->tlb_now[i].way, &c);
        draw_frame(u->r, c.x, c.y, c.w, c.h, COL_OK);
    }
    memcpy(u->tlb_prev, u->tlb_now, n * sizeof *u->tlb_now);
    u->tlb_prev_n = n;
}
