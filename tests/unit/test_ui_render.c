/* The UI's panels rendered headless (a software renderer on an SDL
 * surface, no window, no display) for the hand-built machine of
 * test_debug_fixture.h, checked pixel by pixel. */
#include <check.h>
#include <SDL.h>
#include <stdlib.h>

#include "test_debug_fixture.h"
#include "ui/ui_impl.h"

static struct machine *m;
static SDL_Surface *surf;
static SDL_Renderer *ren;
static struct ui *u;

static void setup(void)
{
    SDL_setenv("SDL_VIDEODRIVER", "dummy", 1);
    m = fixture_machine();
    ck_assert_ptr_nonnull(m);
    surf = SDL_CreateRGBSurfaceWithFormat(0, 1280, 800, 32, SDL_PIXELFORMAT_ARGB8888);
    ck_assert_ptr_nonnull(surf);
    ren = SDL_CreateSoftwareRenderer(surf);
    ck_assert_ptr_nonnull(ren);
    struct ui_config cfg;
    ui_config_defaults(&cfg);
    char err[256] = "";
    u = ui_create(m, ren, &cfg, err, sizeof err);
    ck_assert_msg(u != NULL, "ui_create: %s", err);
}

static void teardown(void)
{
    ui_destroy(u);
    SDL_DestroyRenderer(ren);
    SDL_FreeSurface(surf);
    machine_destroy(m);
}

static uint32_t pixel(int x, int y)
{
    const uint32_t *row = (const uint32_t *)((const uint8_t *)surf->pixels + y * surf->pitch);
    return row[x] & 0xffffffu;
}

/* top-left pixel of grid cell i, and of frame f in the frame map */
static void cell_xy(int i, int *x, int *y)
{
    *x = pgdir_grid_x(u) + (i % 32) * PGDIR_CELL;
    *y = pgdir_grid_y(u) + (i / 32) * PGDIR_CELL;
}

static uint32_t cell_center(int i)
{
    int x, y;
    cell_xy(i, &x, &y);
    return pixel(x + PGDIR_CELL / 2, y + PGDIR_CELL / 2 - 1);
}

static uint32_t frame_pixel(uint32_t f)
{
    struct frames_geom g;
    frames_geometry(u, &g);
    ck_assert_uint_eq(g.fpp, 1);
    uint32_t c = f;
    return pixel(frames_map_x(u) + (int)(c % (uint32_t)g.per_row) * g.px + g.px / 2,
                 frames_map_y(u) + (int)(c / (uint32_t)g.per_row) * g.px + g.px / 2);
}

static void click(int cell, int button)
{
    int x, y;
    cell_xy(cell, &x, &y);
    SDL_Event e = { 0 };
    e.type = SDL_MOUSEBUTTONDOWN;
    e.button.button = (Uint8)button;
    e.button.x = x + 5;
    e.button.y = y + 5;
    ui_handle_event(u, &e);
}

START_TEST(present_4mib_pde_cell_has_the_large_page_colour)
{
    ui_render(u);
    ck_assert_uint_eq(cell_center(0x300), COL_LARGE);
}
END_TEST

START_TEST(not_present_pde_cell_has_the_empty_colour)
{
    ui_render(u);
    ck_assert_uint_eq(cell_center(0x001), COL_EMPTY);
    ck_assert_uint_eq(cell_center(0x3ff), COL_EMPTY);
}
END_TEST

START_TEST(page_table_pdes_show_writable_bar_and_user_corner)
{
    ui_render(u);
    int x, y;
    ck_assert_uint_eq(cell_center(0x000), COL_KTABLE);
    cell_xy(0x000, &x, &y);
    ck_assert_uint_eq(pixel(x + 6, y + PGDIR_CELL - 2), COL_WBAR);   /* RW=1 */
    ck_assert_uint_eq(pixel(x + 1, y + 1), COL_KTABLE);              /* U/S=0 */
    cell_xy(0x020, &x, &y);
    ck_assert_uint_eq(pixel(x + 1, y + 1), COL_UCORNER);             /* U/S=1 */
}
END_TEST

START_TEST(click_on_a_pde_opens_its_page_table_with_dirty_marks)
{
    click(0x020, SDL_BUTTON_LEFT);
    ck_assert_int_eq(u->open_table, 0x20);
    ui_render(u);
    int x, y;
    ck_assert_uint_eq(cell_center(0x049), COL_KTABLE);
    cell_xy(0x049, &x, &y);
    ck_assert_uint_eq(pixel(x + PGDIR_CELL - 3, y + 1), COL_DIRTY);  /* D=1 */
    cell_xy(0x048, &x, &y);
    ck_assert_uint_eq(pixel(x + PGDIR_CELL - 3, y + 1), COL_KTABLE); /* D=0 */
    ck_assert_uint_eq(pixel(x + 6, y + PGDIR_CELL - 2), COL_KTABLE);  /* read-only: no bar */
    ck_assert_uint_eq(cell_center(0x047), COL_EMPTY);
    click(0, SDL_BUTTON_RIGHT);
    ck_assert_int_eq(u->open_table, -1);
}
END_TEST

START_TEST(click_on_a_4mib_pde_walks_it_instead_of_opening)
{
    click(0x300, SDL_BUTTON_LEFT);
    ck_assert_int_eq(u->open_table, -1);
    unsigned access;
    bool user;
    ck_assert_uint_eq(ui_walk_target(u, &access, &user), 0xc0000000u);
}
END_TEST

START_TEST(frame_map_colours_frames_by_what_reaches_them_from_cr3)
{
    ui_render(u);
    ck_assert_uint_eq(frame_pixel(FIX_PD >> 12), frame_kind_color[FK_PAGE_DIR]);
    ck_assert_uint_eq(frame_pixel(FIX_PT0 >> 12), frame_kind_color[FK_PAGE_TABLE]);
    ck_assert_uint_eq(frame_pixel(FIX_PTU >> 12), frame_kind_color[FK_PAGE_TABLE]);
    ck_assert_uint_eq(frame_pixel(0x300), frame_kind_color[FK_USER]);
    ck_assert_uint_eq(frame_pixel(0x301), frame_kind_color[FK_USER]);
    ck_assert_uint_eq(frame_pixel(0x005), frame_kind_color[FK_KERNEL]);
    ck_assert_uint_eq(frame_pixel(0x400), frame_kind_color[FK_KERNEL]);   /* 4 MiB page */
    ck_assert_uint_eq(frame_pixel(0x7ff), frame_kind_color[FK_KERNEL]);
    ck_assert_uint_eq(frame_pixel(0x800), frame_kind_color[FK_UNMAPPED]);
    ck_assert_uint_eq(frame_pixel(0x0a0), frame_kind_color[FK_NOT_RAM]);
    ck_assert_uint_eq(u->frame_count[FK_PAGE_DIR], 1);
    ck_assert_uint_eq(u->frame_count[FK_PAGE_TABLE], 2);
    ck_assert_uint_eq(u->frame_count[FK_USER], 2);
}
END_TEST

START_TEST(frame_holding_executed_code_gets_the_code_colour)
{
    ui_render(u);
    ck_assert_uint_eq(frame_pixel(0x100), frame_kind_color[FK_KERNEL]);
    struct machine_result res;
    ck_assert_int_eq(dbg_run(&u->d, 2, 0, &res, NULL), DBG_STOP_DONE);
    ui_render(u);
    ck_assert_uint_eq(frame_pixel(0x100), frame_kind_color[FK_CODE]);
}
END_TEST

START_TEST(last_page_fault_is_outlined_and_walked)
{
    /* the CPU's #PF record may lack EIP; the exception record supplies it */
    events_push(&m->ev, EV_PAGE_FAULT, 0x09000004u, 2, 0, 0);
    events_push(&m->ev, EV_EXCEPTION, 14, 2, 0x0010000au, 0);
    ui_render(u);
    ck_assert_uint_eq(u->nfaults, 1);
    ck_assert_uint_eq(u->faults[0].eip, 0x0010000au);
    unsigned access;
    bool user;
    ck_assert_uint_eq(ui_walk_target(u, &access, &user), 0x09000004u);
    ck_assert_uint_eq(access, MMU_WRITE);
    int x, y;
    cell_xy(0x024, &x, &y);
    ck_assert_uint_eq(pixel(x - 1, y - 1), COL_FAULT);
    ck_assert_uint_eq(cell_center(0x024), COL_EMPTY);
}
END_TEST

START_TEST(console_tap_copies_transmitted_bytes_only)
{
    iobus_out(&m->io, 0x3f8, 'O', 1);
    iobus_out(&m->io, 0x3f8, 'K', 1);
    iobus_out(&m->io, 0x3fb, 0x83, 1);   /* DLAB=1: 0x3F8 is the divisor latch */
    iobus_out(&m->io, 0x3f8, 0x01, 1);
    iobus_out(&m->io, 0x3fb, 0x03, 1);
    iobus_out(&m->io, 0x3fc, 0x10, 1);   /* loopback: nothing leaves the UART */
    iobus_out(&m->io, 0x3f8, 'X', 1);
    ck_assert_uint_eq(u->con.head, 2);
    ck_assert_int_eq(u->con.ring[0], 'O');
    ck_assert_int_eq(u->con.ring[1], 'K');
    ck_assert_uint_eq(iobus_in(&m->io, 0x3fb, 1), 0x03);   /* reads pass through */
}
END_TEST

START_TEST(hover_finds_the_cell_under_the_mouse)
{
    int x, y;
    cell_xy(0x123, &x, &y);
    SDL_Event e = { 0 };
    e.type = SDL_MOUSEMOTION;
    e.motion.x = x + 3;
    e.motion.y = y + 3;
    ui_handle_event(u, &e);
    ck_assert_int_eq(u->hover, 0x123);
    e.motion.x = 5000;
    ui_handle_event(u, &e);
    ck_assert_int_eq(u->hover, -1);
}
END_TEST

START_TEST(tlb_map_shows_valid_entries_by_kind)
{
    struct machine_result res;
    ck_assert_int_eq(dbg_run(&u->d, 2, 0, &res, NULL), DBG_STOP_DONE);
    ui_render(u);   /* both entries are new: outlined */
    ui_render(u);   /* now old: plain cells */
    SDL_Rect c;
    tlb_map_cell(u, 0x100, 0, &c);   /* 0x100000: kernel page */
    ck_assert_uint_eq(pixel(c.x + c.w / 2, c.y + c.h / 2), 0x3d7cc9u);
    tlb_map_cell(u, 0x049, 0, &c);   /* 0x08049000: user page */
    ck_assert_uint_eq(pixel(c.x + c.w / 2, c.y + c.h / 2), COL_UCORNER);
    tlb_map_cell(u, 0x048, 0, &c);   /* never used */
    ck_assert_uint_eq(pixel(c.x + c.w / 2, c.y + c.h / 2), COL_EMPTY);
}
END_TEST

static void key(SDL_Keycode k)
{
    SDL_Event e = { 0 };
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = k;
    ui_handle_event(u, &e);
}

static void text(const char *t)
{
    SDL_Event e = { 0 };
    e.type = SDL_TEXTINPUT;
    snprintf(e.text.text, sizeof e.text.text, "%s", t);
    ui_handle_event(u, &e);
}

START_TEST(colon_runs_a_monitor_command_in_the_window)
{
    key(SDLK_COLON);
    text(":");   /* the key's own text is not part of the command */
    text("step 2");
    ck_assert(u->cmd_mode);
    key(SDLK_q);   /* typing, not quitting */
    ck_assert(!u->quit);
    key(SDLK_RETURN);
    ck_assert(!u->cmd_mode);
    ck_assert_uint_eq(cpu_icount(m->cpu), 2);
    ck_assert_str_eq(u->cmd_out, "stopped at 0010000a (2 instructions, icount 2)\n");
    ui_render(u);
    m->cfg.max_insns = 1000;   /* the guest spins: let the machine stop it soon */
    key(SDLK_COLON);
    text("c");   /* no count: capped so the window stays live */
    key(SDLK_RETURN);
    ck_assert_str_eq(u->cmd_shown, "continue 50000000");
    key(SDLK_ESCAPE);   /* back to the console */
    ck_assert_ptr_null(u->cmd_out);
    ck_assert(!u->quit);
}
END_TEST

START_TEST(hover_over_a_frame_shows_its_tooltip)
{
    ui_render(u);
    struct frames_geom g;
    frames_geometry(u, &g);
    int x = frames_map_x(u) + (0x301 % g.per_row) * g.px + 1;
    int y = frames_map_y(u) + (0x301 / g.per_row) * g.px + 1;
    ck_assert_int_eq(frames_hit(u, x, y), 0x301);
    ck_assert_int_eq(frames_hit(u, frames_map_x(u) - 1, y), -1);
    SDL_Event e = { 0 };
    e.type = SDL_MOUSEMOTION;
    e.motion.x = x;
    e.motion.y = y;
    ui_handle_event(u, &e);
    ui_render(u);
    ck_assert_uint_eq(pixel(x + 15, y + 15), 0x262a33u);   /* the tooltip's box */
}
END_TEST

START_TEST(step_keys_execute_and_show_the_walk_they_made)
{
    SDL_Event e = { 0 };
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = SDLK_s;
    ui_handle_event(u, &e);
    ck_assert_uint_eq(cpu_icount(m->cpu), 1);
    ck_assert_uint_eq(cpu_get_eip(m->cpu), 0x100005u);
    ck_assert(u->paused);
    /* the translation panel shows the walk the step made: the fetch */
    unsigned access;
    bool user;
    ck_assert_uint_eq(ui_walk_target(u, &access, &user), 0x100000u);
    ck_assert_uint_eq(access, MMU_FETCH);
    e.key.keysym.sym = SDLK_t;   /* next TLB miss: the write to 0x08049010 */
    ui_handle_event(u, &e);
    ck_assert_uint_eq(cpu_get_eip(m->cpu), 0x10000au);
    ck_assert_uint_eq(ui_walk_target(u, &access, &user), 0x08049000u);
    ck_assert_uint_eq(access, MMU_WRITE);
}
END_TEST

/* A guest-info block (docs/guest-info.md, version 1) at 0x50000 and a
 * struct page array of 36-byte entries at 0x60000 for all 4096 frames. */
#define GI 0x50000u
#define MEMMAP 0x60000u
static void page_set(uint32_t pfn, uint32_t off, uint32_t v)
{
    phys_write(m->phys, MEMMAP + pfn * 36 + off, v, 4);
}

static void publish_guest_info(void)
{
    static const uint32_t head[] = {
        0x4E494750u, 1, 308, 1, 0xc0000000u, MEMMAP, 0, 4096, 4096, 36,
        0 /* flags */, 4 /* refcount */, 8 /* mapcount */, 12 /* private */, 16 /* lru */,
        24 /* slab_cache */, 28 /* compound_head */, 24, 3,
        0 /* reserved */, 1 /* slab */, 2 /* buddy */, 3 /* head */, 4 /* tail */,
        5 /* pgtable */, 6 /* pcp */,
    };
    for (unsigned i = 0; i < sizeof head / sizeof head[0]; i++)
        phys_write(m->phys, GI + i * 4, head[i], 4);
    page_set(0x010, 0, 1u << 0);                  /* reserved */
    page_set(0x800, 0, 1u << 2);                  /* free block of order 3 */
    page_set(0x800, 12, 3);
    page_set(0x900, 0, 1u << 1 | 1u << 3);        /* slab head ... */
    page_set(0x901, 0, 1u << 4);                  /* ... and its tail */
    page_set(0x901, 28, 0xc0000000u + MEMMAP + 0x900 * 36 + 1);
    page_set(0x900, 24, 0xc0070000u);             /* its struct kmem_cache */
    phys_write_block(m->phys, 0x70000, "kmalloc-64", 11);
    page_set(0x950, 4, 1);                        /* allocated */
    page_set(0x960, 0, 1u << 6);                  /* per-CPU list */
    page_set(0x300, 4, 1);                        /* allocated, and mapped to user */
    iobus_out(&m->io, GUESTINFO_PORT, GI, 4);
}

START_TEST(guest_info_colours_frames_by_owner)
{
    publish_guest_info();
    ui_render(u);
    ck_assert(u->gi_ok);
    ck_assert_uint_eq(frame_pixel(0x010), frame_kind_color[FK_RESERVED]);
    for (uint32_t f = 0x800; f < 0x808; f++)
        ck_assert_uint_eq(frame_pixel(f), frame_kind_color[FK_FREE0 + 3]);
    ck_assert_uint_eq(frame_pixel(0x808), frame_kind_color[FK_FREE0]);   /* refcount 0 */
    ck_assert_uint_eq(frame_pixel(0x900), frame_kind_color[FK_SLAB]);
    ck_assert_uint_eq(frame_pixel(0x901), frame_kind_color[FK_SLAB]);
    ck_assert_uint_eq(frame_pixel(0x950), frame_kind_color[FK_ALLOCATED]);
    ck_assert_uint_eq(frame_pixel(0x960), frame_kind_color[FK_PCP]);
    ck_assert_uint_eq(frame_pixel(0x300), frame_kind_color[FK_USER]);
    ck_assert_uint_eq(frame_pixel(0x0a0), frame_kind_color[FK_NOT_RAM]);
    ck_assert_uint_eq(u->frame_count[FK_FREE0 + 3], 8);
    char name[32];
    guestinfo_slab_name(u, 0x901, name, sizeof name);   /* a tail: named by its head */
    ck_assert_str_eq(name, "kmalloc-64");
    /* o: back to what the page tables say */
    SDL_Event e = { 0 };
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = SDLK_o;
    ui_handle_event(u, &e);
    ui_render(u);
    ck_assert_uint_eq(frame_pixel(0x800), frame_kind_color[FK_UNMAPPED]);
    ck_assert_uint_eq(frame_pixel(FIX_PD >> 12), frame_kind_color[FK_PAGE_DIR]);
}
END_TEST

START_TEST(guest_info_port_reads_float_high_like_an_unclaimed_port)
{
    ck_assert_uint_eq(iobus_in(&m->io, GUESTINFO_PORT, 4), 0xffffffffu);
    ck_assert_uint_eq(iobus_in(&m->io, GUESTINFO_PORT, 1), 0xffu);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ui_render");
    TCase *tc = tcase_create("panels");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, present_4mib_pde_cell_has_the_large_page_colour);
    tcase_add_test(tc, not_present_pde_cell_has_the_empty_colour);
    tcase_add_test(tc, page_table_pdes_show_writable_bar_and_user_corner);
    tcase_add_test(tc, click_on_a_pde_opens_its_page_table_with_dirty_marks);
    tcase_add_test(tc, click_on_a_4mib_pde_walks_it_instead_of_opening);
    tcase_add_test(tc, frame_map_colours_frames_by_what_reaches_them_from_cr3);
    tcase_add_test(tc, frame_holding_executed_code_gets_the_code_colour);
    tcase_add_test(tc, last_page_fault_is_outlined_and_walked);
    tcase_add_test(tc, console_tap_copies_transmitted_bytes_only);
    tcase_add_test(tc, hover_finds_the_cell_under_the_mouse);
    tcase_add_test(tc, step_keys_execute_and_show_the_walk_they_made);
    tcase_add_test(tc, hover_over_a_frame_shows_its_tooltip);
    tcase_add_test(tc, tlb_map_shows_valid_entries_by_kind);
    tcase_add_test(tc, colon_runs_a_monitor_command_in_the_window);
    tcase_add_test(tc, guest_info_colours_frames_by_owner);
    tcase_add_test(tc, guest_info_port_reads_float_high_like_an_unclaimed_port);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
