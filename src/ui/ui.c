/* The window and its loop: the guest runs in slices through dbg_run while
 * about a frame's worth of host time is left, then every panel is drawn
 * once. Panels are drawn only at frame rate, so observation costs the
 * guest a few percent; pausing, stepping and quitting happen between
 * slices, never inside an instruction. */
#include <SDL.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "devices/uart.h"
#include "ui/ui_impl.h"

#define DEFAULT_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#define STEP_UNTIL_LIMIT 5000000u   /* `t` gives up after this many steps (about a second) */

void ui_config_defaults(struct ui_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->width = 1280;
    cfg->height = 800;
    cfg->font_size = 13;
    cfg->fps = 30;
}

static void layout(struct ui *u)
{
    int lh = text_line_h(u->text);
    int W = u->cfg.width, H = u->cfg.height;
    int left_w = 32 * PGDIR_CELL + 80;
    int rx = 10 + left_w + 14, rw = W - rx - 10;
    int status_y = H - lh - 6;
    int pgdir_h = lh + 6 + 32 * PGDIR_CELL + 8 + 6 * lh;
    u->lay.pgdir = (SDL_Rect){ 10, 8, left_w, pgdir_h };
    u->lay.walk = (SDL_Rect){ 10, 8 + pgdir_h + 10, left_w + 4, status_y - (8 + pgdir_h + 10) - 6 };
    u->lay.frames = (SDL_Rect){ rx, 8, rw, lh + 6 + 176 + 6 };
    int y = u->lay.frames.y + u->lay.frames.h + 6;
    u->lay.tlb = (SDL_Rect){ rx, y, rw, 9 * lh };
    y += u->lay.tlb.h + 6;
    u->lay.faults = (SDL_Rect){ rx, y, rw, 7 * lh };
    y += u->lay.faults.h + 6;
    u->lay.console = (SDL_Rect){ rx, y, rw, status_y - y - 6 };
    u->lay.status = (SDL_Rect){ 10, status_y, W - 20, lh };
}

struct ui *ui_create(struct machine *m, SDL_Renderer *r, const struct ui_config *cfg,
                     char *err, size_t errlen)
{
    struct ui *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    u->m = m;
    u->r = r;
    u->cfg = *cfg;
    if (u->cfg.width < 1180)
        u->cfg.width = 1180;
    if (u->cfg.height < 760)
        u->cfg.height = 760;
    if (!u->cfg.fps)
        u->cfg.fps = 30;
    if (!u->cfg.font_size)
        u->cfg.font_size = 13;
    dbg_init(&u->d, m);
    u->d.signal_seen = cfg->signal_seen;
    u->text = text_create(r, cfg->font_path ? cfg->font_path : DEFAULT_FONT, u->cfg.font_size,
                          err, errlen);
    if (!u->text) {
        dbg_free(&u->d);
        free(u);
        return NULL;
    }
    u->open_table = -1;
    u->hover = -1;
    u->hover_frame = -1;
    u->paused = cfg->start_paused;
    u->chunk = 200000;
    u->ev_since = 0;
    if (m->com1)
        console_attach(&u->con, m->com1);
    layout(u);
    snprintf(u->status, sizeof u->status, "%s", u->paused ? "paused" : "running");
    return u;
}

void ui_destroy(struct ui *u)
{
    if (!u)
        return;
    console_detach(&u->con);
    if (u->frames_tex)
        SDL_DestroyTexture(u->frames_tex);
    free(u->frames_px);
    free(u->frame);
    free(u->tlb_prev);
    free(u->tlb_now);
    free(u->cmd_out);
    text_destroy(u->text);
    dbg_free(&u->d);
    free(u);
}

static void draw_status(struct ui *u)
{
    const SDL_Rect *a = &u->lay.status;
    draw_fill(u->r, 0, a->y - 3, u->cfg.width, a->h + 6, 0x20232au);
    uint32_t col = u->stopped ? COL_FAULT : u->paused ? COL_PROT_FAULT : COL_OK;
    if (u->cmd_mode) {
        text_drawf(u->text, a->x, a->y, COL_OK, ":%s_   (a monitor command: regs, translate LIN, tlb, "
                   "info mem, u, x/8d LIN, events, step, break ...; Enter runs, Esc cancels)", u->cmd);
        return;
    }
    const char *st = u->status;
    if (!strncmp(st, "pagoda: ", 8))
        st += 8;
    int x = text_drawf(u->text, a->x, a->y, col, "%s", st);
    char info[160];
    snprintf(info, sizeof info, "icount %llu  CPL %u  %.1f MIPS  draw %.1f ms",
             (unsigned long long)cpu_icount(u->m->cpu), cpu_cpl(u->m->cpu),
             u->paused || u->stopped ? 0.0 : u->mips, u->render_ms);
    x = text_draw(u->text, x + 16, a->y, COL_DIM, info);
    static const char keys[] = "space run/pause  s step  t to TLB miss/#PF  : monitor  q quit";
    int kx = a->x + a->w - (int)strlen(keys) * text_char_w(u->text);
    if (kx > x + 16)
        text_draw(u->text, kx, a->y, COL_DIM, keys);
}

void ui_render(struct ui *u)
{
    faults_collect(u);
    frames_classify(u);
    SDL_SetRenderDrawColor(u->r, COL_BG >> 16, (COL_BG >> 8) & 0xff, COL_BG & 0xff, 255);
    SDL_RenderClear(u->r);
    panel_frames_draw(u);
    panel_tlb_draw(u);
    panel_faults_draw(u);
    panel_console_draw(u);
    panel_walk_draw(u);
    draw_status(u);
    panel_pgdir_draw(u);   /* last: its tooltip overlaps the others */
    panel_frames_tooltip(u);
}

/* Run the guest once under the debugger and report the stop. */
static void run_some(struct ui *u, uint64_t n, unsigned until, bool slice)
{
    struct machine_result res;
    uint64_t done = 0;
    enum dbg_stop why = slice ? dbg_run_slice(&u->d, n, &res, &done)
                              : dbg_run(&u->d, n, until, &res, &done);
    if (why == DBG_STOP_DONE) {
        if (u->paused)
            snprintf(u->status, sizeof u->status, "paused after %llu instruction%s",
                     (unsigned long long)done, done == 1 ? "" : "s");
        return;
    }
    if (why == DBG_STOP_MACHINE && res.reason == MSTOP_HALT && (cpu_get_eflags(u->m->cpu) & F_IF)) {
        /* halted with interrupts on and nothing armed: only input (the
         * console) can wake it, so keep waiting rather than stop */
        u->idle = true;
        snprintf(u->status, sizeof u->status, "idle: halted, waiting for input");
        return;
    }
    char buf[200];
    dbg_stop_format(&u->d, why, &res, buf, sizeof buf);
    snprintf(u->status, sizeof u->status, "%s", buf);
    u->paused = true;
    if (why == DBG_STOP_MACHINE) {
        u->stopped = true;
        u->res = res;
    }
}

/* The TLB's valid pages (lin | 1 if dirty), for spotting a step's fills. */
static unsigned tlb_pages(struct ui *u, uint32_t **out)
{
    struct mmu *mmu = &u->m->mmu;
    unsigned cap = mmu->tlb.sets * mmu->tlb.ways;
    struct tlb_snap *s = malloc(cap * sizeof *s);
    *out = malloc(cap * sizeof **out);
    if (!s || !*out) {
        free(s);
        free(*out);
        *out = NULL;
        return 0;
    }
    unsigned n = tlb_snapshot(mmu, s, cap);
    if (n > cap)
        n = cap;
    for (unsigned i = 0; i < n; i++)
        (*out)[i] = s[i].lin | s[i].dirty;
    free(s);
    return n;
}

/* Step (or run to the next miss / fault), then point the translation
 * panel at what the step did: a page fault it raised, else a page it
 * brought into the TLB (the walk it made), else the next instruction. */
static void step_once(struct ui *u, unsigned until)
{
    if (u->stopped)
        return;
    u->paused = true;
    uint32_t *before = NULL, *after = NULL;
    unsigned nb = tlb_pages(u, &before);
    uint32_t pc = dbg_pc(&u->d) & ~0xfffu;
    bool user = cpu_cpl(u->m->cpu) == 3;
    uint64_t faults = u->m->mmu.tlb.st.page_faults;
    run_some(u, until ? STEP_UNTIL_LIMIT : 1, until, false);
    faults_collect(u);
    u->walk_miss = false;
    unsigned na = tlb_pages(u, &after);
    if (u->m->mmu.tlb.st.page_faults == faults) {
        for (unsigned i = 0; i < na && !u->walk_miss; i++) {
            bool old = false;
            for (unsigned j = 0; j < nb && !old; j++)
                old = before[j] == after[i];
            if (old)
                continue;
            /* a new entry: fetched from if it is the instruction's page,
             * written if it came in dirty, else read */
            uint32_t lin = after[i] & ~0xfffu;
            u->walk_miss = true;
            u->miss_lin = lin;
            u->miss_user = user;
            u->miss_access = lin == pc ? MMU_FETCH : after[i] & 1 ? MMU_WRITE : MMU_READ;
        }
    }
    free(before);
    free(after);
}

static void toggle_pause(struct ui *u)
{
    if (u->stopped)
        return;
    u->paused = !u->paused;
    u->walk_miss = false;   /* running: follow faults again */
    snprintf(u->status, sizeof u->status, "%s", u->paused ? "paused" : "running");
}

static void console_key(struct ui *u, const char *bytes, size_t n)
{
    if (u->m->com1)
        uart_inject(u->m->com1, bytes, n);
    u->idle = false;
}

static void handle_key(struct ui *u, const SDL_KeyboardEvent *k)
{
    SDL_Keycode key = k->keysym.sym;
    if (u->cmd_mode) {
        size_t n = strlen(u->cmd);
        if (key == SDLK_RETURN || key == SDLK_KP_ENTER) {
            u->cmd_mode = false;
            if (n)
                ui_monitor_exec(u, u->cmd);
        } else if (key == SDLK_ESCAPE) {
            u->cmd_mode = false;
        } else if (key == SDLK_BACKSPACE && n) {
            u->cmd[n - 1] = '\0';
        }
        return;   /* characters arrive as SDL_TEXTINPUT */
    }
    if (u->cmd_out && key == SDLK_ESCAPE) {
        free(u->cmd_out);   /* back to the console */
        u->cmd_out = NULL;
        return;
    }
    if (u->typing) {
        size_t n = strlen(u->typed);
        if (key == SDLK_RETURN || key == SDLK_KP_ENTER) {
            u->typing = false;
            if (n) {
                u->walk_lin = (uint32_t)strtoul(u->typed, NULL, 16);
                u->walk_pinned = true;
            }
        } else if (key == SDLK_ESCAPE) {
            u->typing = false;
        } else if (key == SDLK_BACKSPACE && n) {
            u->typed[n - 1] = '\0';
        }
        return;   /* digits arrive as SDL_TEXTINPUT */
    }
    if (u->console_input) {
        if (key == SDLK_ESCAPE) {
            u->console_input = false;
        } else if (key == SDLK_RETURN || key == SDLK_KP_ENTER) {
            console_key(u, "\r", 1);
        } else if (key == SDLK_BACKSPACE) {
            console_key(u, "\x7f", 1);
        } else if ((k->keysym.mod & KMOD_CTRL) && key >= SDLK_a && key <= SDLK_z) {
            char c = (char)(key - SDLK_a + 1);
            console_key(u, &c, 1);
        }
        return;
    }
    switch (key) {
    case SDLK_q:
    case SDLK_ESCAPE:
        u->quit = true;
        break;
    case SDLK_SPACE:
        toggle_pause(u);
        break;
    case SDLK_s:
        step_once(u, 0);
        break;
    case SDLK_t:
        step_once(u, DBG_UNTIL_TLB_MISS | DBG_UNTIL_PAGE_FAULT);
        break;
    case SDLK_g:
        u->typing = true;
        u->typed[0] = '\0';
        break;
    case SDLK_f:
        u->walk_pinned = false;
        u->walk_miss = false;
        break;
    case SDLK_w:
        if (u->hover >= 0) {
            u->walk_lin = u->open_table < 0 ? (uint32_t)u->hover << 22
                                            : (uint32_t)u->open_table << 22 | (uint32_t)u->hover << 12;
            u->walk_pinned = true;
        }
        break;
    case SDLK_BACKSPACE:
        u->open_table = -1;
        break;
    case SDLK_o:
        u->arch_view = !u->arch_view;
        break;
    case SDLK_TAB:
        u->console_input = true;
        free(u->cmd_out);
        u->cmd_out = NULL;
        break;
    case SDLK_COLON:
    case SDLK_SEMICOLON:   /* ':' on layouts where it needs Shift */
        u->cmd_mode = true;
        u->cmd[0] = '\0';
        u->swallow_text = true;   /* the ':' itself arrives as text too */
        break;
    default:
        break;
    }
}

static void handle_click(struct ui *u, const SDL_MouseButtonEvent *b)
{
    int cell = panel_pgdir_hit(u, b->x, b->y);
    if (b->button == SDL_BUTTON_RIGHT) {
        u->open_table = -1;
        return;
    }
    if (cell < 0 || b->button != SDL_BUTTON_LEFT)
        return;
    struct mmu *mmu = &u->m->mmu;
    if (u->open_table < 0) {
        uint32_t pde = phys_read(u->m->phys, (mmu->cr3 & 0xfffff000u) + (uint32_t)cell * 4, 4);
        bool large = (mmu->cr4 & CR4_PSE) && (pde & 0x80u);
        if ((pde & 1u) && !large)
            u->open_table = cell;
        else {
            u->walk_lin = (uint32_t)cell << 22;
            u->walk_pinned = true;
        }
    } else {
        u->walk_lin = (uint32_t)u->open_table << 22 | (uint32_t)cell << 12;
        u->walk_pinned = true;
    }
}

void ui_handle_event(struct ui *u, const SDL_Event *e)
{
    switch (e->type) {
    case SDL_QUIT:
        u->quit = true;
        break;
    case SDL_KEYDOWN:
        handle_key(u, &e->key);
        break;
    case SDL_TEXTINPUT:
        if (u->swallow_text) {
            u->swallow_text = false;
            if (!strcmp(e->text.text, ":") || !strcmp(e->text.text, ";"))
                break;
        }
        if (u->cmd_mode) {
            size_t n = strlen(u->cmd);
            snprintf(u->cmd + n, sizeof u->cmd - n, "%s", e->text.text);
        } else if (u->typing) {
            for (const char *p = e->text.text; *p; p++) {
                size_t n = strlen(u->typed);
                bool hex = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F');
                if (hex && n + 1 < sizeof u->typed) {
                    u->typed[n] = *p;
                    u->typed[n + 1] = '\0';
                }
            }
        } else if (u->console_input) {
            console_key(u, e->text.text, strlen(e->text.text));
        }
        break;
    case SDL_MOUSEMOTION:
        u->mouse_x = e->motion.x;
        u->mouse_y = e->motion.y;
        u->hover = panel_pgdir_hit(u, e->motion.x, e->motion.y);
        u->hover_frame = frames_hit(u, e->motion.x, e->motion.y);
        break;
    case SDL_MOUSEBUTTONDOWN:
        handle_click(u, &e->button);
        break;
    default:
        break;
    }
}

/* Run the guest for about `budget_ms` of host time, in chunks sized so
 * each takes a few milliseconds. */
static void run_frame(struct ui *u, Uint32 budget_ms)
{
    Uint64 freq = SDL_GetPerformanceFrequency(), t0 = SDL_GetPerformanceCounter();
    Uint64 end = t0 + freq * budget_ms / 1000;
    uint64_t ic0 = cpu_icount(u->m->cpu);
    while (!u->paused && !u->stopped && !u->idle) {
        Uint64 c0 = SDL_GetPerformanceCounter();
        run_some(u, u->chunk, 0, true);
        faults_collect(u);   /* before the event ring wraps (IRQs fill it fast) */
        Uint64 c1 = SDL_GetPerformanceCounter();
        double ms = (double)(c1 - c0) * 1000.0 / (double)freq;
        /* aim at ~4 ms a chunk: short enough to keep frames on time */
        if (ms < 2.0 && u->chunk < (1ull << 26))
            u->chunk *= 2;
        else if (ms > 8.0 && u->chunk > 20000)
            u->chunk /= 2;
        if (c1 >= end || (u->d.signal_seen && *u->d.signal_seen))
            break;
    }
    double secs = (double)(SDL_GetPerformanceCounter() - t0) / (double)freq;
    uint64_t ran = cpu_icount(u->m->cpu) - ic0;
    if (ran && secs > 0)
        u->mips = 0.8 * u->mips + 0.2 * ((double)ran / secs / 1e6);
}

enum ui_outcome ui_run(struct machine *m, const struct ui_config *cfg,
                       struct machine_result *res, char *err, size_t errlen)
{
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        snprintf(err, errlen, "cannot open a window: %s", SDL_GetError());
        return UI_ERROR;
    }
    struct ui_config c = *cfg;
    SDL_Window *win = SDL_CreateWindow("Pagoda", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                       c.width < 1180 ? 1180 : c.width, c.height < 760 ? 760 : c.height, 0);
    SDL_Renderer *r = win ? SDL_CreateRenderer(win, -1, 0) : NULL;
    if (!r) {
        snprintf(err, errlen, "cannot open a window: %s", SDL_GetError());
        if (win)
            SDL_DestroyWindow(win);
        SDL_Quit();
        return UI_ERROR;
    }
    struct ui *u = ui_create(m, r, &c, err, errlen);
    if (!u) {
        SDL_DestroyRenderer(r);
        SDL_DestroyWindow(win);
        SDL_Quit();
        return UI_ERROR;
    }
    SDL_StartTextInput();
    Uint32 period = 1000 / u->cfg.fps;
    while (!u->quit) {
        Uint32 frame0 = SDL_GetTicks();
        SDL_Event e;
        while (SDL_PollEvent(&e))
            ui_handle_event(u, &e);
        if (u->cfg.signal_seen && *u->cfg.signal_seen)
            break;
        if (u->idle && !u->paused)
            u->idle = false;   /* retry: input or a timer may have come */
        Uint32 render_ms = (Uint32)u->render_ms + 1;
        /* while the guest runs, drawing gets at most ~1/5 of the host's
         * time: a slow renderer (software, Xvfb) lowers the frame rate
         * rather than the guest's speed */
        Uint32 frame = period > 5 * render_ms ? period : 5 * render_ms;
        if (!u->paused && !u->stopped)
            run_frame(u, frame - render_ms);
        if (u->stopped && u->cfg.close_on_stop)
            break;
        Uint64 r0 = SDL_GetPerformanceCounter();
        ui_render(u);
        SDL_RenderPresent(r);
        double ms = (double)(SDL_GetPerformanceCounter() - r0) * 1000.0 / (double)SDL_GetPerformanceFrequency();
        u->render_ms = u->render_ms ? 0.9 * u->render_ms + 0.1 * ms : ms;
        Uint32 spent = SDL_GetTicks() - frame0;
        if (spent < period && (u->paused || u->stopped || u->idle))
            SDL_WaitEventTimeout(NULL, (int)(period - spent));
    }
    enum ui_outcome out = u->stopped ? UI_MACHINE_STOPPED : UI_CLOSED;
    if (u->stopped && res)
        *res = u->res;
    ui_destroy(u);
    SDL_DestroyRenderer(r);
    SDL_DestroyWindow(win);
    TTF_Quit();
    SDL_Quit();
    return out;
}
