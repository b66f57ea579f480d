/* Panel: which accesses faulted, and why? The page faults of the event
 * log with their error codes decoded (SDM Vol. 3 §4.7). Reading the log
 * also keeps the list of address spaces (CR3 values) the frame map walks. */
#include <string.h>

#include "debug/debugger.h"
#include "mmu/mmu.h"
#include "ui/ui_impl.h"

static void note_cr3(struct ui *u, uint32_t cr3)
{
    const unsigned cap = sizeof u->cr3_seen / sizeof u->cr3_seen[0];
    unsigned i;
    for (i = 0; i < u->ncr3 && u->cr3_seen[i] != cr3; i++)
        ;
    if (i == u->ncr3) {          /* new: the oldest goes if the list is full */
        if (u->ncr3 < cap)
            u->ncr3++;
        i = u->ncr3 - 1;
    }
    memmove(&u->cr3_seen[1], &u->cr3_seen[0], i * sizeof u->cr3_seen[0]);
    u->cr3_seen[0] = cr3;
}

void faults_collect(struct ui *u)
{
    struct event ev[256];
    unsigned n;
    while ((n = events_read(&u->m->ev, &u->ev_since, ev, 256)) > 0) {
        for (unsigned i = 0; i < n; i++) {
            const struct event *e = &ev[i];
            if (e->kind == EV_CR3_LOAD && (e->a & 0xfffff000u)) {   /* 0: reset, not a space */
                note_cr3(u, e->a & 0xfffff000u);
            } else if (e->kind == EV_GUEST_INFO) {
                u->gi_seen = true;
                u->gi_phys = e->a;
                u->gi_ok = false;   /* re-read on the next classification */
            } else if (e->kind == EV_PAGE_FAULT) {
                struct ui_fault *f = &u->faults[u->nfaults++ % UI_FAULTS];
                *f = (struct ui_fault){ .icount = e->icount, .lin = e->a, .err = e->b, .eip = e->c };
            } else if (e->kind == EV_EXCEPTION && e->a == 14 && u->nfaults) {
                /* the #PF's delivery names the faulting instruction when the
                 * page-fault record could not */
                struct ui_fault *f = &u->faults[(u->nfaults - 1) % UI_FAULTS];
                if (!f->eip && f->icount == e->icount)
                    f->eip = e->c;
            }
        }
    }
}

void panel_faults_draw(struct ui *u)
{
    const SDL_Rect *a = &u->lay.faults;
    int lh = text_line_h(u->text);
    draw_title(u, a, "Page faults  (%llu total; red outline in the grid: the last one)",
               (unsigned long long)u->m->mmu.tlb.st.page_faults);
    int rows = a->h / lh - 1;
    if (rows < 1)
        return;
    uint64_t have = u->nfaults < UI_FAULTS ? u->nfaults : UI_FAULTS;
    uint64_t show = have < (uint64_t)rows ? have : (uint64_t)rows;
    if (!show) {
        text_draw(u->text, a->x, a->y + lh, COL_DIM, "none yet");
        return;
    }
    int y = a->y + lh;
    for (uint64_t k = u->nfaults - show; k < u->nfaults; k++, y += lh) {
        const struct ui_fault *f = &u->faults[k % UI_FAULTS];
        char err[32];
        dbg_pf_err_format(f->err, err, sizeof err);
        text_drawf(u->text, a->x, y, f->err & PF_P ? COL_PROT_FAULT : COL_TEXT,
                   "t=%-8llu #PF %08x  err=%x (%-9s) eip=%08x  %s", (unsigned long long)f->icount,
                   f->lin, f->err, err, f->eip,
                   f->err & PF_RSVD ? "reserved bit" : f->err & PF_P ? "protection" : "not present");
    }
}
