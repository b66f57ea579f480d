/* UI internals: the state the panels share, their layout and colours.
 * Panels draw through an SDL_Renderer, so tests render them into a
 * software surface without a window (tests/unit/test_ui_render.c). */
#ifndef PAGODA_UI_IMPL_H
#define PAGODA_UI_IMPL_H

#include <SDL.h>
#include <stdbool.h>
#include <stdint.h>

#include "debug/debugger.h"
#include "devices/iobus.h"
#include "ui/ui.h"

/* ---- colours (0xRRGGBB) ---- */
#define COL_BG          0x16181du
#define COL_TEXT        0xd8dce4u
#define COL_DIM         0x8a909cu
#define COL_TITLE       0xf0f2f6u
#define COL_EMPTY       0x23262eu   /* not present */
#define COL_KTABLE      0x1f6fb2u   /* PDE: 4 KiB table, supervisor */
#define COL_UTABLE      0x2b8f6au   /* PDE: 4 KiB table, user-accessible */
#define COL_LARGE       0xe8912au   /* PDE: 4 MiB page */
#define COL_WBAR        0xe8e8e8u   /* writable: white bar along the bottom */
#define COL_UCORNER     0xf2d024u   /* user: yellow corner */
#define COL_DIRTY       0xe0404au   /* PTE dirty: red corner */
#define COL_TLBDOT      0x7cfc5au   /* the TLB caches a page in this region */
#define COL_SELECT      0xffffffu
#define COL_FAULT       0xe0604au
#define COL_PROT_FAULT  0xf08a3cu
#define COL_OK          0x8fd18fu

/* frame map kinds. The architectural ones (what CR3 reaches) come in
 * increasing priority, a frame reached two ways showing the higher one;
 * the owner kinds come from the guest's struct page (guest-info ABI). */
enum frame_kind {
    FK_NOT_RAM,      /* ROM, MMIO, the legacy hole */
    FK_UNMAPPED,     /* RAM no translation reaches */
    FK_KERNEL,       /* mapped, supervisor only */
    FK_USER,         /* mapped, user-accessible */
    FK_CODE,         /* holds decoded instructions (the CPU ran from it) */
    FK_PAGE_TABLE,
    FK_PAGE_DIR,
    /* owner kinds */
    FK_RESERVED,     /* PG_reserved: firmware, kernel image, mem_map */
    FK_SLAB,
    FK_ALLOCATED,    /* refcount > 0, none of the above */
    FK_PCP,          /* free, on a per-CPU page list */
    FK_FREE0,        /* free in the buddy allocator, block of order 0 ... */
    FK_FREE10 = FK_FREE0 + 10,
    FK_COUNT
};
extern const uint32_t frame_kind_color[FK_COUNT];
extern const char *const frame_kind_name[FK_COUNT];

/* ---- text (text.c): a monospace glyph atlas ---- */
struct text;
struct text *text_create(SDL_Renderer *r, const char *font_path, int size, char *err, size_t errlen);
void text_destroy(struct text *t);
int text_char_w(const struct text *t);
int text_line_h(const struct text *t);
/* Draw ASCII text; returns the x after the last glyph. */
int text_draw(struct text *t, int x, int y, uint32_t rgb, const char *s);
int text_drawf(struct text *t, int x, int y, uint32_t rgb, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- the serial console tap (console.c) ---- */
#define CONSOLE_RING 16384u
struct uart;
struct ui_console {
    struct uart *uart;         /* tapped UART, NULL if none */
    char ring[CONSOLE_RING];
    uint64_t head;             /* bytes ever captured */
};
/* Tap the UART's output so transmitted bytes are also copied into the ring. */
void console_attach(struct ui_console *c, struct uart *u);
void console_detach(struct ui_console *c);
void console_push(struct ui_console *c, const char *s, size_t n);

/* ---- the guest-info ABI (guestinfo.c, docs/guest-info.md) ---- */
#define GUESTINFO_PORT 0x0EF0
struct ui_guest_info {
    uint32_t page_offset, mem_map_phys, first_pfn, nr_pages, max_low_pfn, page_size;
    uint32_t off_flags, off_refcount, off_private, off_compound_head, off_slab_cache;
    uint32_t off_cache_name;
    uint32_t pg_reserved, pg_slab, pg_buddy, pg_tail, pg_pgtable, pg_pcp;
};
struct ui;
bool guestinfo_load(struct ui *u);     /* parse the block at u->gi_phys */
void guestinfo_classify(struct ui *u); /* owner kinds over the architectural map */

/* ---- the fault log (panel_faults.c) ---- */
#define UI_FAULTS 64u
struct ui_fault {
    uint64_t icount;
    uint32_t lin, err, eip;
};

struct ui_layout {
    SDL_Rect pgdir, frames, tlb, faults, walk, console, status;
};

struct ui {
    struct machine *m;
    struct debugger d;
    SDL_Renderer *r;
    struct text *text;
    struct ui_config cfg;
    struct ui_layout lay;

    /* page directory panel */
    int open_table;            /* -1: the directory; else the PDE whose table is shown */
    int hover;                 /* cell under the mouse, -1 none */
    int64_t hover_frame;       /* frame under the mouse, -1 none */
    int mouse_x, mouse_y;

    /* frame map */
    uint8_t *frame;            /* enum frame_kind per frame of RAM */
    uint32_t nframes;
    uint32_t cr3_seen[8];      /* address spaces seen in CR3 loads, newest first */
    unsigned ncr3;
    uint32_t frame_count[FK_COUNT];
    bool gi_seen;              /* the guest published a block at gi_phys */
    uint32_t gi_phys;
    bool gi_ok;                /* gi holds a valid block */
    struct ui_guest_info gi;
    bool arch_view;            /* show the architectural view even with guest info */
    SDL_Texture *frames_tex;
    int frames_tex_w, frames_tex_h;
    uint32_t *frames_px;

    /* TLB panel: the previous frame's entries, to mark new fills */
    struct tlb_snap *tlb_prev, *tlb_now;
    unsigned tlb_prev_n, tlb_cap;

    /* event log reader */
    uint64_t ev_since;
    struct ui_fault faults[UI_FAULTS];
    uint64_t nfaults;          /* faults ever collected */

    /* translation view */
    bool walk_pinned;          /* walk_lin was chosen by the user */
    uint32_t walk_lin;
    bool walk_miss;            /* the last step missed the TLB: walk that page */
    uint32_t miss_lin;
    unsigned miss_access;
    bool miss_user;
    bool typing;               /* entering a hex address for the walk */
    char typed[9];

    /* monitor commands typed into the window (':') */
    bool cmd_mode;
    bool swallow_text;         /* drop the text event of the key that opened it */
    char cmd[128];
    char *cmd_out;             /* the last command's output, shown over the console */
    char cmd_shown[160];

    struct ui_console con;
    bool console_input;        /* keys go to the guest's COM1 */

    /* run state */
    bool paused;
    bool stopped;              /* the machine stopped: *res is valid */
    bool idle;                 /* halted with IF=1 and nothing armed: waits for input */
    struct machine_result res;
    char status[200];
    uint64_t chunk;            /* instructions per dbg_run call while running */
    double mips;
    double render_ms;          /* average time to draw a frame */
    bool quit;
};

/* Build the UI's state for a machine around an existing renderer (a
 * window's, or a software renderer in tests). */
struct ui *ui_create(struct machine *m, SDL_Renderer *r, const struct ui_config *cfg,
                     char *err, size_t errlen);
void ui_destroy(struct ui *u);
/* Read new events, refresh derived state (frame map) and draw every panel. */
void ui_render(struct ui *u);
/* Handle one SDL event (keys, mouse). */
void ui_handle_event(struct ui *u, const SDL_Event *e);
/* The translation the walk panel shows: typed/clicked address, else the
 * last page fault, else the next instruction. */
uint32_t ui_walk_target(const struct ui *u, unsigned *access, bool *user);

/* ---- drawing helpers (draw.c) ---- */
void draw_fill(SDL_Renderer *r, int x, int y, int w, int h, uint32_t rgb);
void draw_frame(SDL_Renderer *r, int x, int y, int w, int h, uint32_t rgb);
void draw_title(struct ui *u, const SDL_Rect *area, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- panels ---- */
/* Page directory / page table grid: 32 x 32 cells. */
#define PGDIR_CELL 14
int pgdir_grid_x(const struct ui *u);
int pgdir_grid_y(const struct ui *u);
void panel_pgdir_draw(struct ui *u);
/* The cell (0..1023) at a point of the window, or -1. */
int panel_pgdir_hit(const struct ui *u, int x, int y);
/* Cell colour for an entry (PDE when level_pde, else PTE). */
uint32_t pgdir_cell_color(uint32_t entry, bool level_pde, bool pse);

/* Colour every frame of RAM by what reaches it from CR3 (and from the
 * address spaces seen in recent CR3 loads). */
void frames_classify(struct ui *u);
void panel_frames_draw(struct ui *u);
/* Frame map geometry: a square of px x px pixels shows fpp frames (the
 * highest kind among them); per_row squares a row, rows rows. */
struct frames_geom {
    int px, per_row, rows;
    uint32_t fpp;
};
void frames_geometry(const struct ui *u, struct frames_geom *g);
int frames_map_x(const struct ui *u);
int frames_map_y(const struct ui *u);
/* The first frame under a point of the window, or -1. */
int64_t frames_hit(const struct ui *u, int x, int y);
void panel_frames_tooltip(struct ui *u);
/* The name of the slab cache owning a frame ("" if unknown). */
void guestinfo_slab_name(struct ui *u, uint32_t pfn, char *buf, size_t len);

void panel_tlb_draw(struct ui *u);
/* The cell of TLB entry (set, way) in the TLB panel's map. */
void tlb_map_cell(const struct ui *u, unsigned set, unsigned way, SDL_Rect *cell);
void faults_collect(struct ui *u);
void panel_faults_draw(struct ui *u);
void panel_walk_draw(struct ui *u);
void panel_console_draw(struct ui *u);
/* Run a monitor command typed into the window; its output replaces the
 * console panel until Esc. Runs without a count are capped so the window
 * stays responsive. */
void ui_monitor_exec(struct ui *u, const char *line);

#endif
