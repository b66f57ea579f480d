/* Panel: what does the current address space map? The page directory as a
 * 32 x 32 grid (one cell = one PDE = 4 MiB of linear addresses), or one
 * page table (one cell = one PTE = 4 KiB) after a click. Colour by kind,
 * markers for user / writable / dirty / cached in the TLB; hover decodes
 * the entry (SDM Vol. 3 §4.3, tables 4-4 to 4-6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "mmu/paging.h"
#include "mmu/phys.h"
#include "ui/ui_impl.h"

int pgdir_grid_x(const struct ui *u)
{
    return u->lay.pgdir.x;
}

int pgdir_grid_y(const struct ui *u)
{
    return u->lay.pgdir.y + text_line_h(u->text) + 6;
}

uint32_t pgdir_cell_color(uint32_t e, bool level_pde, bool pse)
{
    if (!(e & PG_P))
        return COL_EMPTY;
    if (level_pde && pse && (e & PG_PS))
        return COL_LARGE;
    return COL_KTABLE;
}

/* The 1024 entries of the table at pa (all zero if it is not RAM/ROM:
 * reading MMIO could disturb a device). */
static void read_table(struct ui *u, uint32_t pa, uint32_t *ent)
{
    enum phys_kind k = phys_kind_at(u->m->phys, pa & PG_FRAME);
    if (k == PHYS_RAM || k == PHYS_ROM)
        phys_read_block(u->m->phys, pa & PG_FRAME, ent, 4096);
    else
        memset(ent, 0, 4096);
}

int panel_pgdir_hit(const struct ui *u, int x, int y)
{
    int gx = x - pgdir_grid_x(u), gy = y - pgdir_grid_y(u);
    if (gx < 0 || gy < 0 || gx >= 32 * PGDIR_CELL || gy >= 32 * PGDIR_CELL)
        return -1;
    return (gy / PGDIR_CELL) * 32 + gx / PGDIR_CELL;
}

/* Which cells hold a page the TLB caches (a bitmap of 1024). */
static void tlb_cells(struct ui *u, uint8_t *cell)
{
    struct mmu *mmu = &u->m->mmu;
    unsigned cap = mmu->tlb.sets * mmu->tlb.ways;
    struct tlb_snap *s = malloc(cap * sizeof *s);
    memset(cell, 0, 1024);
    if (!s)
        return;
    unsigned n = tlb_snapshot(mmu, s, cap);
    for (unsigned i = 0; i < n && i < cap; i++) {
        if (u->open_table < 0)
            cell[s[i].lin >> 22] = 1;
        else if ((int)(s[i].lin >> 22) == u->open_table)
            cell[(s[i].lin >> 12) & 1023] = 1;
    }
    free(s);
}

static void draw_cell(struct ui *u, int i, uint32_t e, bool pde, bool pse, bool cached)
{
    int x = pgdir_grid_x(u) + (i % 32) * PGDIR_CELL, y = pgdir_grid_y(u) + (i / 32) * PGDIR_CELL;
    int s = PGDIR_CELL - 1;
    uint32_t base = pgdir_cell_color(e, pde, pse);
    draw_fill(u->r, x, y, s, s, base);
    if (!(e & PG_P))
        return;
    if (e & PG_RW)
        draw_fill(u->r, x, y + s - 2, s, 2, COL_WBAR);
    if (e & PG_US)
        draw_fill(u->r, x, y, 4, 4, COL_UCORNER);
    bool leaf = !pde || (pse && (e & PG_PS));
    if (leaf && (e & PG_D))
        draw_fill(u->r, x + s - 4, y, 4, 4, COL_DIRTY);
    if (cached)
        draw_fill(u->r, x + s - 4, y + 6, 3, 3, COL_TLBDOT);
}

static void outline_cell(struct ui *u, int i, uint32_t rgb)
{
    int x = pgdir_grid_x(u) + (i % 32) * PGDIR_CELL, y = pgdir_grid_y(u) + (i / 32) * PGDIR_CELL;
    draw_frame(u->r, x - 1, y - 1, PGDIR_CELL + 1, PGDIR_CELL + 1, rgb);
}

static void draw_tooltip(struct ui *u, const uint32_t *ent, bool pse, uint32_t table_pa)
{
    int i = u->hover;
    uint32_t e = ent[i];
    char l1[96], l2[128], l3[96], flags[64];
    bool dir = u->open_table < 0;
    paging_entry_format(e, dir ? PAGING_PDE : PAGING_PTE, pse, flags, sizeof flags);
    if (dir) {
        uint32_t lo = (uint32_t)i << 22;
        snprintf(l1, sizeof l1, "PDE[0x%03x] at %08x  lin %08x-%08x", i, table_pa + i * 4, lo, lo + 0x3fffffu);
        if (!(e & PG_P))
            snprintf(l2, sizeof l2, "= %08x  not present", e);
        else if (pse && (e & PG_PS))
            snprintf(l2, sizeof l2, "= %08x  %s -> 4 MiB page @ %08x", e, flags, e & PG_LARGE_FRAME);
        else
            snprintf(l2, sizeof l2, "= %08x  %s -> PT @ %08x", e, flags, e & PG_FRAME);
        snprintf(l3, sizeof l3, "%s", (e & PG_P) && !(pse && (e & PG_PS)) ?
                 "click: open page table   w: walk here" : "w: walk here");
    } else {
        uint32_t lin = (uint32_t)u->open_table << 22 | (uint32_t)i << 12;
        snprintf(l1, sizeof l1, "PTE[0x%03x] at %08x  lin %08x", i, table_pa + i * 4, lin);
        if (e & PG_P)
            snprintf(l2, sizeof l2, "= %08x  %s -> page @ %08x", e, flags, e & PG_FRAME);
        else
            snprintf(l2, sizeof l2, "= %08x  not present", e);
        snprintf(l3, sizeof l3, "click: walk here   right-click: back");
    }
    int cw = text_char_w(u->text), lh = text_line_h(u->text);
    size_t n = strlen(l1);
    if (strlen(l2) > n)
        n = strlen(l2);
    int w = (int)n * cw + 12, h = 3 * lh + 8;
    int x = u->mouse_x + 14, y = u->mouse_y + 14;
    if (x + w > u->cfg.width - 4)
        x = u->cfg.width - 4 - w;
    if (y + h > u->cfg.height - 4)
        y = u->mouse_y - h - 4;
    draw_fill(u->r, x, y, w, h, 0x262a33u);
    draw_frame(u->r, x, y, w, h, COL_DIM);
    text_draw(u->text, x + 6, y + 4, COL_TEXT, l1);
    text_draw(u->text, x + 6, y + 4 + lh, COL_TEXT, l2);
    text_draw(u->text, x + 6, y + 4 + 2 * lh, COL_DIM, l3);
}

static void draw_legend(struct ui *u, int y)
{
    int x = pgdir_grid_x(u), lh = text_line_h(u->text), s = PGDIR_CELL - 1;
    struct { uint32_t e; bool pde; const char *what; } rows[] = {
        { PG_P, true, "4 KiB page table (or page), supervisor, read-only" },
        { PG_P | PG_RW, true, "... writable (white bar)" },
        { PG_P | PG_RW | PG_US, true, "... user (yellow corner)" },
        { PG_P | PG_PS, true, "4 MiB page (PS=1)" },
        { PG_P | PG_D, false, "dirty page (red corner);  green dot: in the TLB" },
        { 0, true, "not present" },
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++, y += lh) {
        uint32_t e = rows[k].e;
        int cy = y + (lh - s) / 2;
        draw_fill(u->r, x, cy, s, s, pgdir_cell_color(e, rows[k].pde, true));
        if (e & PG_RW)
            draw_fill(u->r, x, cy + s - 2, s, 2, COL_WBAR);
        if (e & PG_US)
            draw_fill(u->r, x, cy, 4, 4, COL_UCORNER);
        if (e & PG_D)
            draw_fill(u->r, x + s - 4, cy, 4, 4, COL_DIRTY);
        text_draw(u->text, x + s + 8, y, COL_TEXT, rows[k].what);
    }
}

void panel_pgdir_draw(struct ui *u)
{
    struct mmu *mmu = &u->m->mmu;
    bool pse = mmu->cr4 & CR4_PSE;
    uint32_t pd = mmu->cr3 & PG_FRAME;
    static uint32_t dir[1024], tab[1024];   /* scratch; the UI is single-threaded */
    read_table(u, pd, dir);
    if (u->open_table >= 0 && (!(dir[u->open_table] & PG_P) || (pse && (dir[u->open_table] & PG_PS))))
        u->open_table = -1;   /* the table went away under us */
    const uint32_t *ent = dir;
    uint32_t table_pa = pd;
    if (u->open_table >= 0) {
        table_pa = dir[u->open_table] & PG_FRAME;
        read_table(u, table_pa, tab);
        ent = tab;
    }
    const SDL_Rect *a = &u->lay.pgdir;
    bool pg = mmu->cr0 & CR0_PG;
    if (u->open_table < 0)
        draw_title(u, a, "Page directory  CR3=%08x%s  (32x32, one cell = 4 MiB)", mmu->cr3,
                   pg ? "" : " paging off");
    else
        draw_title(u, a, "Page table PDE[0x%03x] @%08x  lin %08x+ (one cell = 4 KiB)",
                   u->open_table, table_pa, (uint32_t)u->open_table << 22);

    uint8_t cached[1024];
    tlb_cells(u, cached);
    for (int i = 0; i < 1024; i++)
        draw_cell(u, i, ent[i], u->open_table < 0, pse, cached[i]);

    /* where the walk panel looks, and the last fault */
    unsigned access;
    bool user;
    uint32_t wl = ui_walk_target(u, &access, &user);
    if (u->open_table < 0)
        outline_cell(u, (int)(wl >> 22), COL_SELECT);
    else if ((int)(wl >> 22) == u->open_table)
        outline_cell(u, (int)((wl >> 12) & 1023), COL_SELECT);
    if (u->nfaults) {
        uint32_t fl = u->faults[(u->nfaults - 1) % UI_FAULTS].lin;
        if (u->open_table < 0)
            outline_cell(u, (int)(fl >> 22), COL_FAULT);
        else if ((int)(fl >> 22) == u->open_table)
            outline_cell(u, (int)((fl >> 12) & 1023), COL_FAULT);
    }

    /* row labels every 8 rows */
    int lx = pgdir_grid_x(u) + 32 * PGDIR_CELL + 6;
    for (int row = 0; row < 32; row += 8) {
        uint32_t lin = u->open_table < 0 ? (uint32_t)row << 27
                                         : ((uint32_t)u->open_table << 22) | (uint32_t)row << 17;
        text_drawf(u->text, lx, pgdir_grid_y(u) + row * PGDIR_CELL - 2, COL_DIM, "%08x", lin);
    }
    draw_legend(u, pgdir_grid_y(u) + 32 * PGDIR_CELL + 8);
    if (u->hover >= 0)
        draw_tooltip(u, ent, pse, table_pa);
}
