/* pagoda: the command line. `pagoda run [options] [IMAGE]` builds a machine
 * and runs it until the guest stops, in the window when a display exists;
 * `pagoda` alone boots the bundled guest kernel; `pagoda debug` gives the
 * monitor on stdin/stdout. Errors in the input are one line on stderr and
 * exit status 2. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "debug/debugger.h"
#include "debug/gdbstub.h"
#include "debug/trace.h"
#include "devices/debugport.h"
#include "machine/machine.h"
#include "machine/options.h"
#include "ui/ui.h"

/* Where the installed tree keeps the guest kernel, relative to the binary. */
#define PAGODA_GUEST_INSTALLED "../share/pagoda/pagoda-guest.elf"

#ifndef PAGODA_GUESTOS_PATH
#define PAGODA_GUESTOS_PATH "pagoda-guest.elf"
#endif

/* The bundled guest kernel: an installed pagoda finds it at
 * ../share/pagoda/ beside its own binary; the one in the build tree falls
 * back to where the build put it (PAGODA_GUESTOS_PATH). */
static const char *find_bundled_guest(char *buf, size_t len)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash)
        return NULL;
    slash[1] = 0;
    if ((size_t)snprintf(buf, len, "%s%s", self, PAGODA_GUEST_INSTALLED) >= len)
        return NULL;
    if (access(buf, R_OK) == 0)
        return buf;
    return access(PAGODA_GUESTOS_PATH, R_OK) == 0 ? PAGODA_GUESTOS_PATH : NULL;
}

/* The one piece of global state: a signal handler can reach nothing else. */
static volatile sig_atomic_t signal_seen;

static void on_signal(int sig)
{
    signal_seen = sig;
}

/* monitor: a Ctrl-C at the monitor's prompt must not end the session
 * (the read restarts; the monitor clears the flag before the next
 * command), while during a run it stops the run, polled between slices. */
static void catch_signals(bool monitor)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;   /* no SA_RESTART: a sleeping run loop wakes up */
    sigaction(SIGTERM, &sa, NULL);
    if (monitor)
        sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
}

/* An interactive COM1: characters reach the guest as typed, and the guest
 * echoes them; Ctrl-C still stops pagoda (ISIG stays on). */
struct term {
    bool raw;
    struct termios saved;
};

static void term_raw(struct term *t)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
        return;
    struct termios r = t->saved;
    r.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    r.c_iflag &= ~(tcflag_t)ICRNL;
    r.c_cc[VMIN] = 1;
    r.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &r) == 0)
        t->raw = true;
}

static void term_restore(struct term *t)
{
    if (t->raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
}

/* The report line and --stats at the end of a run that reached a stop. */
static int report(struct machine *m, const struct machine_result *res)
{
    char line[512];
    machine_format_report(res, line, sizeof line);
    fflush(stdout);
    fprintf(stderr, "%s\n", line);
    if (m->cfg.stats)
        machine_print_stats(m, res, stderr);
    return res->exit_status;
}

/* A run the window or gdb gave up on because of SIGINT/SIGTERM: report
 * it as machine_run would have. */
static int report_signal(struct machine *m)
{
    struct machine_result res;
    memset(&res, 0, sizeof res);
    res.reason = MSTOP_SIGNAL;
    res.signal = signal_seen;
    res.exit_status = 128 + signal_seen;
    res.eip = cpu_get_eip(m->cpu);
    res.icount = cpu_icount(m->cpu);
    res.last_post = debugport_last_post(m->dbg);
    return report(m, &res);
}

/* The window was closed on a running guest: still one report line. */
static int report_closed(struct machine *m)
{
    int post = debugport_last_post(m->dbg);
    char code[16] = "none";
    if (post >= 0)
        snprintf(code, sizeof code, "0x%02x", post);
    fflush(stdout);
    fprintf(stderr, "pagoda: window closed at EIP 0x%08x after %llu instructions, last POST code %s\n",
            cpu_get_eip(m->cpu), (unsigned long long)cpu_icount(m->cpu), code);
    return 0;
}

/* The window: UI_ERROR falls back to a headless run (the caller's). */
static bool run_window(struct machine *m, int *status)
{
    /* Only a real display counts: SDL would otherwise fall back to its
     * invisible offscreen driver when DISPLAY names no server, and the
     * run would go on with nobody able to see or close the window. */
    const char *wl = getenv("WAYLAND_DISPLAY"), *x = getenv("DISPLAY");
    bool has_wl = wl && *wl, has_x = x && *x;
    setenv("SDL_VIDEODRIVER", has_wl && has_x ? "wayland,x11" : has_wl ? "wayland" : "x11", 0);
    struct ui_config uc;
    ui_config_defaults(&uc);
    uc.signal_seen = &signal_seen;
    uc.close_on_stop = m->cfg.close_on_stop;
    struct machine_result res;
    char err[512];
    enum ui_outcome o = ui_run(m, &uc, &res, err, sizeof err);
    switch (o) {
    case UI_ERROR:
        fprintf(stderr, "pagoda: %s (DISPLAY=%s, WAYLAND_DISPLAY=%s); running headless\n", err,
                x ? x : "", wl ? wl : "");
        return false;
    case UI_MACHINE_STOPPED:
        *status = report(m, &res);
        return true;
    case UI_CLOSED:
        *status = signal_seen ? report_signal(m) : report_closed(m);
        return true;
    }
    return false;
}

/* --gdb PORT: serve one gdb session; after a detach the guest runs on. */
static bool run_gdb(struct debugger *d, int *status)
{
    struct machine *m = d->m;
    char err[512];
    uint16_t port = 0;
    struct gdbstub *g = gdbstub_listen(d, m->cfg.gdb_port, &port, err, sizeof err);
    if (!g) {
        fprintf(stderr, "pagoda: --gdb %u: %s\n", m->cfg.gdb_port, err);
        *status = 2;
        return true;
    }
    fprintf(stderr, "pagoda: waiting for gdb on 127.0.0.1:%u (target remote :%u)\n", port, port);
    struct machine_result res;
    enum gdbstub_end end = gdbstub_serve(g, &res);
    gdbstub_close(g);
    switch (end) {
    case GDB_DETACHED:
        return false;   /* the caller runs the guest on */
    case GDB_MACHINE_STOPPED:
        *status = report(m, &res);
        return true;
    case GDB_KILLED:
        fprintf(stderr, "pagoda: killed by gdb at EIP 0x%08x after %llu instructions\n",
                cpu_get_eip(m->cpu), (unsigned long long)cpu_icount(m->cpu));
        *status = 0;
        return true;
    case GDB_DISCONNECTED:
    case GDB_ERROR:
        break;
    }
    if (signal_seen) {
        *status = report_signal(m);
        return true;
    }
    fprintf(stderr, "pagoda: gdb %s; the guest runs on\n",
            end == GDB_DISCONNECTED ? "disconnected" : "connection failed");
    return false;
}

/* --trace FILE[=KINDS]: run to the stop, streaming the event log. */
static int run_trace(struct debugger *d, uint32_t kinds)
{
    struct machine *m = d->m;
    FILE *f = fopen(m->cfg.trace_path, "w");
    if (!f) {
        fprintf(stderr, "pagoda: --trace %s: %s\n", m->cfg.trace_path, strerror(errno));
        return 2;
    }
    struct machine_result res;
    dbg_trace_run(d, f, kinds, &res);
    if (fclose(f) != 0)
        fprintf(stderr, "pagoda: --trace %s: %s\n", m->cfg.trace_path, strerror(errno));
    return report(m, &res);
}

enum mode { MODE_RUN, MODE_DEBUG };

static int run(int argc, char **argv, enum mode mode)
{
    struct machine_config cfg;
    char err[1024];
    options_defaults(&cfg);
    if (options_parse(argc, argv, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "pagoda: %s\n", err);
        return 2;
    }
    if (cfg.help) {
        fputs(options_usage(), stdout);
        return 0;
    }
    uint32_t trace_kinds = 0;
    if (cfg.trace_path[0] && cfg.trace_kinds &&
        dbg_trace_parse_kinds(cfg.trace_kinds, &trace_kinds, err, sizeof err) < 0) {
        fprintf(stderr, "pagoda: --trace %s=%s: %s\n", cfg.trace_path, cfg.trace_kinds, err);
        return 2;
    }
    const char *kernel = cfg.kernel;
    char guest_path[4096];
    if (!kernel && !cfg.bios) {
        kernel = find_bundled_guest(guest_path, sizeof guest_path);
        if (!kernel) {
            fprintf(stderr, "pagoda: no IMAGE given and the bundled guest kernel is not built: "
                    "looked for %s and %s beside the pagoda binary "
                    "(build the project, or name an image: pagoda run IMAGE)\n",
                    PAGODA_GUESTOS_PATH, PAGODA_GUEST_INSTALLED);
            return 2;
        }
    }
    /* The monitor reads commands from stdin; so does gdb's terminal, and
     * a trace is a batch run: only a plain run or the window is a console. */
    bool monitor = mode == MODE_DEBUG && !cfg.gdb_port && !cfg.trace_path[0];
    bool window = !cfg.headless && !cfg.gdb_port && !cfg.trace_path[0] && mode == MODE_RUN;
    if (monitor && cfg.serial == SERIAL_STDIO)
        cfg.serial_no_stdin = true;
    bool interactive = cfg.serial == SERIAL_STDIO && !cfg.serial_no_stdin && isatty(STDIN_FILENO);
    if (interactive && !window)
        cfg.realtime = true;   /* a person is typing: keep guest time at wall time */
    if (cfg.serial == SERIAL_STDIO && isatty(STDOUT_FILENO))
        setvbuf(stdout, NULL, _IONBF, 0);   /* prompts without a newline show at once */

    struct machine *m = machine_create(&cfg, kernel, err, sizeof err);
    if (!m) {
        fprintf(stderr, "pagoda: %s\n", err);
        return 2;
    }
    catch_signals(monitor);
    int status = 0;
    struct debugger d;
    dbg_init(&d, m);
    d.signal_seen = &signal_seen;
    if (monitor) {
        monitor_repl(&d, stdin, stdout, isatty(STDIN_FILENO));
        fflush(stdout);
        goto out;
    }
    if (window && run_window(m, &status))
        goto out;
    if (cfg.gdb_port && run_gdb(&d, &status))
        goto out;
    if (cfg.trace_path[0]) {
        status = run_trace(&d, trace_kinds);
        goto out;
    }
    struct term term = { 0 };
    if (interactive)
        term_raw(&term);
    struct machine_result res;
    machine_run(m, &signal_seen, &res);
    term_restore(&term);
    status = report(m, &res);
out:
    dbg_free(&d);
    machine_destroy(m);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return run(0, argv + 1, MODE_RUN);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(options_usage(), stdout);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return run(argc - 2, argv + 2, MODE_RUN);
    if (strcmp(cmd, "debug") == 0)
        return run(argc - 2, argv + 2, MODE_DEBUG);
    if (cmd[0] == '-')
        return run(argc - 1, argv + 1, MODE_RUN);   /* options without `run` mean run */
    fprintf(stderr, "pagoda: unknown command '%s' (try pagoda run %s, or pagoda --help)\n", cmd, cmd);
    return 2;
}
