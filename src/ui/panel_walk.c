/* Panel: how does this linear address translate, step by step? The
 * address split into its directory / table / offset fields (SDM Vol. 3
 * §4.3, figure 4-2), then the walk as paging_probe sees it: each entry's
 * address, value and flags, and the physical address or the #PF error
 * code with its reason. The walk is a probe: looking sets no A/D bit. */
#include <string.h>

#include "cpu/cpu.h"
#include "mmu/paging.h"
#include "ui/ui_impl.h"

uint32_t ui_walk_target(const struct ui *u, unsigned *access, bool *user)
{
    bool cpl3 = cpu_cpl(u->m->cpu) == 3;
    if (u->walk_pinned) {
        *access = MMU_READ;
        *user = cpl3;
        return u->walk_lin;
    }
    if (u->walk_miss) {
        *access = u->miss_access;
        *user = u->miss_user;
        return u->miss_lin;
    }
    if (u->nfaults) {
        const struct ui_fault *f = &u->faults[(u->nfaults - 1) % UI_FAULTS];
        *access = f->err & PF_W ? MMU_WRITE : MMU_READ;
        *user = f->err & PF_U;
        return f->lin;
    }
    *access = MMU_FETCH;
    *user = cpl3;
    return dbg_pc(&u->d);
}

static void draw_fields(struct ui *u, int x, int y, uint32_t lin)
{
    int cw = text_char_w(u->text), lh = text_line_h(u->text);
    struct { const char *name; uint32_t v; int bits; uint32_t col; } f[3] = {
        { "dir", lin >> 22, 10, COL_KTABLE },
        { "table", (lin >> 12) & 1023, 10, COL_UTABLE },
        { "offset", lin & 0xfff, 12, 0x6b5b95u },
    };
    for (int i = 0; i < 3; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s %03x (%d bits)", f[i].name, f[i].v, f[i].bits);
        int w = (int)strlen(buf) * cw + 10;
        draw_fill(u->r, x, y, w, lh + 2, f[i].col);
        text_draw(u->text, x + 5, y + 1, COL_TITLE, buf);
        x += w + 4;
    }
}

void panel_walk_draw(struct ui *u)
{
    const SDL_Rect *a = &u->lay.walk;
    int lh = text_line_h(u->text);
    unsigned access;
    bool user;
    uint32_t lin = ui_walk_target(u, &access, &user);
    const char *why = u->walk_pinned ? "chosen" : u->walk_miss ? "the step's TLB miss"
                    : u->nfaults ? "last page fault" : "next instruction";
    draw_title(u, a, "Translation of %08x (%s)", lin, why);
    int y = a->y + lh + 2;
    if (u->typing) {
        text_drawf(u->text, a->x, y, COL_OK, "walk address (hex, Enter): %s_", u->typed);
    } else {
        draw_fields(u, a->x, y, lin);
    }
    y += lh + 6;
    struct mmu *mmu = &u->m->mmu;
    struct paging_walk w;
    paging_probe_as(mmu, mmu->cr3, user, lin, access, &w);
    char buf[1024];
    paging_walk_format(&w, buf, sizeof buf);
    for (char *line = buf, *nl; *line && y + lh <= a->y + a->h; line = nl, y += lh) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = '\0';
        else
            nl = line + strlen(line);
        uint32_t col = strstr(line, "#PF") ? COL_FAULT : strstr(line, "-> phys") ? COL_OK : COL_TEXT;
        /* wrap long lines at a space, continuing indented */
        int cw = text_char_w(u->text), indent = 0;
        int cols = a->w / cw;
        while ((int)strlen(line) > cols - indent && cols > 24 && y + 2 * lh <= a->y + a->h) {
            int cut = cols - indent;
            while (cut > cols / 2 && line[cut] != ' ')
                cut--;
            char part[256];
            snprintf(part, sizeof part, "%.*s", cut, line);
            text_draw(u->text, a->x + indent * cw, y, col, part);
            y += lh;
            line += cut;
            while (*line == ' ')
                line++;
            indent = 6;
        }
        text_draw(u->text, a->x + indent * cw, y, col, line);
    }
    y += lh / 2;
    if (y + lh <= a->y + a->h) {
        char insn[128];
        dbg_disasm_pc(&u->d, insn, sizeof insn);
        int x = text_drawf(u->text, a->x, y, COL_DIM, "next at %08x: ", dbg_pc(&u->d));
        text_draw(u->text, x, y, COL_TITLE, insn);
        y += lh;
    }
    if (y + lh <= a->y + a->h)
        text_draw(u->text, a->x, y, COL_DIM, "g: type an address  f: follow faults / EIP");
}
