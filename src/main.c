/* pagoda: the command line. `pagoda run [options] [IMAGE]` builds a machine
 * and runs it until the guest stops; `pagoda` alone boots the bundled guest
 * kernel. Errors in the input are one line on stderr and exit status 2. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "machine/machine.h"
#include "machine/options.h"

#ifndef PAGODA_GUESTOS_PATH
#define PAGODA_GUESTOS_PATH "pagoda-guest.elf"
#endif

/* The one piece of global state: a signal handler can reach nothing else. */
static volatile sig_atomic_t signal_seen;

static void on_signal(int sig)
{
    signal_seen = sig;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;   /* no SA_RESTART: a sleeping run loop wakes up */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
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

static int run(int argc, char **argv)
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
    const char *kernel = cfg.kernel;
    if (!kernel && !cfg.bios) {
        kernel = PAGODA_GUESTOS_PATH;
        if (access(kernel, R_OK) != 0) {
            fprintf(stderr, "pagoda: no IMAGE given and the bundled guest kernel %s is not built "
                    "(build the project, or name an image: pagoda run IMAGE)\n", kernel);
            return 2;
        }
    }
    if (cfg.display_requested)
        fprintf(stderr, "pagoda: note: the window UI is not built yet; running headless\n");
    bool interactive = cfg.serial == SERIAL_STDIO && isatty(STDIN_FILENO);
    if (interactive)
        cfg.realtime = true;   /* a person is typing: keep guest time at wall time */
    if (cfg.serial == SERIAL_STDIO && isatty(STDOUT_FILENO))
        setvbuf(stdout, NULL, _IONBF, 0);   /* prompts without a newline show at once */

    struct machine *m = machine_create(&cfg, kernel, err, sizeof err);
    if (!m) {
        fprintf(stderr, "pagoda: %s\n", err);
        return 2;
    }
    catch_signals();
    struct term term = { 0 };
    if (interactive)
        term_raw(&term);
    struct machine_result res;
    machine_run(m, &signal_seen, &res);
    term_restore(&term);
    char line[512];
    machine_format_report(&res, line, sizeof line);
    fflush(stdout);
    fprintf(stderr, "%s\n", line);
    if (cfg.stats)
        machine_print_stats(m, &res, stderr);
    machine_destroy(m);
    return res.exit_status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return run(0, argv + 1);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(options_usage(), stdout);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return run(argc - 2, argv + 2);
    if (cmd[0] == '-')
        return run(argc - 1, argv + 1);   /* options without `run` mean run */
    fprintf(stderr, "pagoda: unknown command '%s' (try pagoda run %s, or pagoda --help)\n", cmd, cmd);
    return 2;
}
