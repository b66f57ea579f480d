/* Panel: what is each physical frame used for, as the page tables say?
 * One square per 4 KiB frame of RAM, coloured by what reaches it from CR3
 * (and from the other address spaces seen in recent CR3 loads): page
 * directories, page tables, user pages, kernel pages, pages holding
 * decoded code, RAM nothing maps. Guests that publish their allocator
 * through the guest-info port could colour more; this is what the
 * architecture alone tells. */
#include <stdlib.h>
#include <string.h>

#include "mmu/paging.h"
#include "mmu/phys.h"
#include "ui/ui_impl.h"

const uint32_t frame_kind_color[FK_COUNT] = {
    [FK_NOT_RAM] = 0x2c2f38u,   [FK_UNMAPPED] = 0x3f434du, [FK_KERNEL] = 0x3d7cc9u,
    [FK_USER] = 0xe8a020u,      [FK_CODE] = 0xc45ab3u,     [FK_PAGE_TABLE] = 0x1fa37au,
    [FK_PAGE_DIR] = 0x7cfc5au,  [FK_RESERVED] = 0xd35f1cu, [FK_SLAB] = 0xd97fb0u,
    [FK_ALLOCATED] = 0x3d7cc9u, [FK_PCP] = 0x3f6f74u,
    /* free blocks: darker for small orders, lighter for large ones */
    [FK_FREE0] = 0x262b35u, 0x2a3039u, 0x2e353fu, 0x323a45u, 0x363f4bu, 0x3a4551u,
    0x3e4a57u, 0x42505eu, 0x465564u, 0x4a5b6bu, [FK_FREE10] = 0x4f6172u,
};
const char *const frame_kind_name[FK_COUNT] = {
    [FK_NOT_RAM] = "hole/not RAM", [FK_UNMAPPED] = "unmapped RAM",
    [FK_KERNEL] = "kernel page", [FK_USER] = "user page", [FK_CODE] = "decoded code",
    [FK_PAGE_TABLE] = "page table", [FK_PAGE_DIR] = "page dir",
    [FK_RESERVED] = "reserved", [FK_SLAB] = "slab", [FK_ALLOCATED] = "allocated",
    [FK_PCP] = "per-CPU free", [FK_FREE0] = "free order 0", "free order 1", "free order 2",
    "free order 3", "free order 4", "free order 5", "free order 6", "free order 7",
    "free order 8", "free order 9", [FK_FREE10] = "free order 10",
};

#define MAP_W 512
#define MAP_H_MAX 176

int frames_map_x(const struct ui *u)
{
    return u->lay.frames.x;
}

int frames_map_y(const struct ui *u)
{
    return u->lay.frames.y + text_line_h(u->text) + 6;
}

/* Rows hold a power of two of frames so that row starts are round
 * addresses; squares as large as fit, else several frames a pixel. */
static uint32_t pow2_at_least(uint32_t v)
{
    uint32_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

void frames_geometry(const struct ui *u, struct frames_geom *g)
{
    uint32_t n = u->nframes ? u->nframes : 1;
    for (int px = 4; px >= 1; px--) {
        uint32_t max_rows = MAP_H_MAX / (uint32_t)px, max_cols = MAP_W / (uint32_t)px;
        uint32_t per_row = pow2_at_least((n + max_rows - 1) / max_rows);
        if (per_row <= max_cols) {
            *g = (struct frames_geom){ .px = px, .per_row = (int)per_row,
                                       .rows = (int)((n + per_row - 1) / per_row), .fpp = 1 };
            return;
        }
    }
    uint32_t fpp = pow2_at_least((n + MAP_W * MAP_H_MAX - 1) / (MAP_W * MAP_H_MAX));
    uint32_t cells = (n + fpp - 1) / fpp;
    *g = (struct frames_geom){ .px = 1, .per_row = MAP_W, .rows = (int)((cells + MAP_W - 1) / MAP_W),
                               .fpp = fpp };
}

static void mark(struct ui *u, uint32_t pa, enum frame_kind k)
{
    uint32_t i = pa >> 12;
    if (i < u->nframes && u->frame[i] != FK_NOT_RAM && u->frame[i] < k)
        u->frame[i] = (uint8_t)k;
}

/* The table at pa as host memory, or NULL unless it is RAM. */
static const uint32_t *table_at(struct ui *u, uint32_t pa)
{
    if (phys_kind_at(u->m->phys, pa) != PHYS_RAM)
        return NULL;
    return (const uint32_t *)phys_host_page(u->m->phys, pa, false);
}

static void classify_space(struct ui *u, uint32_t cr3)
{
    bool pse = u->m->mmu.cr4 & CR4_PSE;
    uint32_t a20 = phys_a20_mask(u->m->phys);
    uint32_t pd_pa = cr3 & PG_FRAME & a20;
    const uint32_t *pd = table_at(u, pd_pa);
    if (!pd)
        return;
    mark(u, pd_pa, FK_PAGE_DIR);
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t pde = pd[i];
        if (!(pde & PG_P))
            continue;
        if (pse && (pde & PG_PS)) {
            uint32_t base = pde & PG_LARGE_FRAME & a20;
            for (uint32_t f = 0; f < 1024; f++)
                mark(u, base + f * 4096, pde & PG_US ? FK_USER : FK_KERNEL);
            continue;
        }
        uint32_t pt_pa = pde & PG_FRAME & a20;
        const uint32_t *pt = table_at(u, pt_pa);
        mark(u, pt_pa, FK_PAGE_TABLE);
        if (!pt)
            continue;
        for (uint32_t j = 0; j < 1024; j++) {
            uint32_t pte = pt[j];
            if (pte & PG_P)
                mark(u, pte & PG_FRAME & a20, pde & pte & PG_US ? FK_USER : FK_KERNEL);
        }
    }
}

void frames_classify(struct ui *u)
{
    struct phys *p = u->m->phys;
    uint32_t n = phys_ram_size(p) >> 12;
    if (n != u->nframes) {
        free(u->frame);
        u->frame = calloc(n ? n : 1, 1);
        u->nframes = u->frame ? n : 0;
    }
    for (uint32_t i = 0; i < u->nframes; i++) {
        bool hole = i >= 0xa0 && i < 0x100;   /* VGA memory and the BIOS area */
        u->frame[i] = hole || phys_kind_at(p, i << 12) != PHYS_RAM ? FK_NOT_RAM : FK_UNMAPPED;
    }
    if (u->m->mmu.cr0 & CR0_PG) {
        classify_space(u, u->m->mmu.cr3);
        for (unsigned k = 0; k < u->ncr3; k++)
            if (u->cr3_seen[k] != (u->m->mmu.cr3 & PG_FRAME))
                classify_space(u, u->cr3_seen[k]);
    }
    u->gi_ok = guestinfo_load(u);
    if (u->gi_ok && !u->arch_view)
        guestinfo_classify(u);
    else
        for (uint32_t i = 0; i < u->nframes; i++)
            if (u->frame[i] != FK_NOT_RAM && phys_is_code(p, i << 12))
                mark(u, i << 12, FK_CODE);
    memset(u->frame_count, 0, sizeof u->frame_count);
    for (uint32_t i = 0; i < u->nframes; i++)
        u->frame_count[u->frame[i]]++;
}

static bool ensure_texture(struct ui *u, int w, int h)
{
    if (u->frames_tex && u->frames_tex_w == w && u->frames_tex_h == h)
        return true;
    if (u->frames_tex)
        SDL_DestroyTexture(u->frames_tex);
    free(u->frames_px);
    u->frames_tex = SDL_CreateTexture(u->r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, w, h);
    u->frames_px = malloc((size_t)w * (size_t)h * 4);
    if (!u->frames_tex || !u->frames_px)
        return false;
    u->frames_tex_w = w;
    u->frames_tex_h = h;
    return true;
}

void panel_frames_draw(struct ui *u)
{
    const SDL_Rect *a = &u->lay.frames;
    struct frames_geom g;
    frames_geometry(u, &g);
    uint32_t mib = u->nframes / 256;
    unsigned spaces = 1;
    for (unsigned k = 0; k < u->ncr3; k++)
        spaces += u->cr3_seen[k] != (u->m->mmu.cr3 & PG_FRAME);
    char tail[64] = "";
    if (u->gi_ok && !u->arch_view)
        snprintf(tail, sizeof tail, "  lowmem ends at %u MiB", u->gi.max_low_pfn / 256);
    else
        snprintf(tail, sizeof tail, "  %u address space%s", spaces, spaces > 1 ? "s" : "");
    if (g.fpp == 1)
        draw_title(u, a, "Physical frames 0-%u MiB  (1 square = 4 KiB, row = %u KiB)%s",
                   mib, (unsigned)g.per_row * 4, tail);
    else
        draw_title(u, a, "Physical frames 0-%u MiB  (1 px = %u KiB, row = %u MiB)%s", mib,
                   g.fpp * 4, (unsigned)(g.per_row * g.fpp / 256), tail);
    if (!u->nframes || !ensure_texture(u, g.per_row, g.rows))
        return;
    for (int c = 0; c < g.per_row * g.rows; c++) {
        uint32_t first = (uint32_t)c * g.fpp, k = FK_NOT_RAM;
        if (first >= u->nframes) {
            u->frames_px[c] = 0xff000000u | COL_BG;
            continue;
        }
        if (u->gi_ok && !u->arch_view)
            k = u->frame[first];   /* owner kinds have no order of importance */
        else
            for (uint32_t f = first; f < first + g.fpp && f < u->nframes; f++)
                if (u->frame[f] > k && u->frame[f] <= FK_PAGE_DIR)
                    k = u->frame[f];
        u->frames_px[c] = 0xff000000u | frame_kind_color[k];
    }
    SDL_UpdateTexture(u->frames_tex, NULL, u->frames_px, g.per_row * 4);
    SDL_Rect dst = { frames_map_x(u), frames_map_y(u), g.per_row * g.px, g.rows * g.px };
    SDL_RenderCopy(u->r, u->frames_tex, NULL, &dst);

    /* legend with counts, right of the map */
    int lx = frames_map_x(u) + MAP_W + 12, ly = frames_map_y(u), lh = text_line_h(u->text);
    bool owner = u->gi_ok && !u->arch_view;
    text_drawf(u->text, lx, ly, COL_DIM, "%-16s%6s", owner ? "owner" : "kind", "frames");
    ly += lh;
    static const uint8_t arch_rows[] = { FK_PAGE_DIR, FK_PAGE_TABLE, FK_CODE, FK_USER, FK_KERNEL,
                                         FK_UNMAPPED, FK_NOT_RAM };
    static const uint8_t owner_rows[] = { FK_PAGE_TABLE, FK_SLAB, FK_RESERVED, FK_ALLOCATED,
                                          FK_USER, FK_PCP, FK_FREE0, FK_NOT_RAM };
    const uint8_t *rows = owner ? owner_rows : arch_rows;
    size_t nrows = owner ? sizeof owner_rows : sizeof arch_rows;
    for (size_t r = 0; r < nrows; r++, ly += lh) {
        int k = rows[r];
        uint32_t count = u->frame_count[k];
        const char *name = frame_kind_name[k];
        if (k == FK_FREE0) {
            /* one row for all orders, a swatch per order */
            count = 0;
            for (int o = 0; o <= 10; o++) {
                count += u->frame_count[FK_FREE0 + o];
                draw_fill(u->r, lx + o, ly + (lh - 10) / 2, 1, 10, frame_kind_color[FK_FREE0 + o]);
            }
            name = "free by order";
        } else {
            draw_fill(u->r, lx, ly + (lh - 10) / 2, 10, 10, frame_kind_color[k]);
        }
        text_drawf(u->text, lx + 16, ly, COL_TEXT, "%-13s%7u", name, count);
    }
    if (u->gi_ok)
        text_draw(u->text, lx, ly, COL_DIM, owner ? "o: architectural view" : "o: owner view");
}

int64_t frames_hit(const struct ui *u, int x, int y)
{
    struct frames_geom g;
    frames_geometry(u, &g);
    int gx = x - frames_map_x(u), gy = y - frames_map_y(u);
    if (gx < 0 || gy < 0 || gx >= g.per_row * g.px || gy >= g.rows * g.px)
        return -1;
    int64_t f = ((int64_t)(gy / g.px) * g.per_row + gx / g.px) * g.fpp;
    return f < u->nframes ? f : -1;
}

/* Where the current address space maps a frame: the first linear page. */
struct find_map {
    uint32_t phys;
    bool found;
    struct paging_mapping map;
};

static int find_map_fn(void *ctx, const struct paging_mapping *map)
{
    struct find_map *f = ctx;
    if (f->phys >= map->phys && f->phys - map->phys < map->size) {
        f->map = *map;
        f->found = true;
        return 1;
    }
    return 0;
}

void panel_frames_tooltip(struct ui *u)
{
    if (u->hover_frame < 0 || u->hover_frame >= u->nframes)
        return;
    uint32_t pfn = (uint32_t)u->hover_frame;
    char l1[96], l2[96], l3[96] = "";
    snprintf(l1, sizeof l1, "pfn 0x%05x  phys %08x-%08x", pfn, pfn << 12, (pfn << 12) | 0xfff);
    int k = u->frame[pfn];
    char slab[32] = "";
    if (k == FK_SLAB)
        guestinfo_slab_name(u, pfn, slab, sizeof slab);
    snprintf(l2, sizeof l2, "%s%s%s", frame_kind_name[k], slab[0] ? ": " : "", slab);
    struct mmu *mmu = &u->m->mmu;
    if (mmu->cr0 & CR0_PG) {
        struct find_map f = { .phys = pfn << 12 };
        paging_enumerate(mmu, mmu->cr3, find_map_fn, &f);
        if (f.found)
            snprintf(l3, sizeof l3, "mapped at %08x (%s %s)", f.map.lin + (f.phys - f.map.phys),
                     f.map.user_ok ? "user" : "kernel", f.map.write_ok ? "RW" : "RO");
        else
            snprintf(l3, sizeof l3, "not mapped in CR3's address space");
    }
    int cw = text_char_w(u->text), lh = text_line_h(u->text);
    size_t n = strlen(l1);
    if (strlen(l2) > n)
        n = strlen(l2);
    if (strlen(l3) > n)
        n = strlen(l3);
    int w = (int)n * cw + 12, h = 3 * lh + 8;
    int x = u->mouse_x + 14, y = u->mouse_y + 14;
    if (x + w > u->cfg.width - 4)
        x = u->cfg.width - 4 - w;
    draw_fill(u->r, x, y, w, h, 0x262a33u);
    draw_frame(u->r, x, y, w, h, COL_DIM);
    text_draw(u->text, x + 6, y + 4, COL_TEXT, l1);
    text_draw(u->text, x + 6, y + 4 + lh, frame_kind_color[k], l2);
    text_draw(u->text, x + 6, y + 4 + 2 * lh, COL_DIM, l3);
}
