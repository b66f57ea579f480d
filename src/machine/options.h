/* `pagoda run` options: what the user asked for, parsed and validated before
 * any machine exists. Parsing is separate from main.c so that tests can feed
 * it argument vectors and check the exact error messages. */
#ifndef PAGODA_OPTIONS_H
#define PAGODA_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPT_DEFAULT_RAM   (128ull << 20)
#define OPT_MIN_RAM       (1ull << 20)
#define OPT_MAX_RAM       (3ull << 30)
#define OPT_DEFAULT_MHZ   100u
#define OPT_MAX_MHZ       100000u
#define OPT_PATH_MAX      4096

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };

struct machine_config {
    uint64_t ram_bytes;
    const char *kernel;           /* IMAGE or -kernel; NULL: the bundled guest */
    const char *initrd;           /* comma-separated list (multiboot modules) */
    const char *append;           /* kernel command line */
    char fda[OPT_PATH_MAX];       /* floppy image path ("" = none) */
    bool fda_rw;
    enum serial_mode serial;
    char serial_path[OPT_PATH_MAX];
    bool serial_no_stdin;         /* COM1 stdio: output only (pagoda debug reads stdin) */
    bool headless;                /* no window: no display, --headless or -display none */
    bool display_requested;       /* a display exists and the user did not ask for none */
    bool close_on_stop;           /* the window closes when the machine stops */
    uint16_t gdb_port;            /* --gdb PORT (0: none) */
    char trace_path[OPT_PATH_MAX]; /* --trace FILE ("" = none) */
    const char *trace_kinds;      /* the KINDS of --trace FILE=KINDS (NULL: all) */
    const char *bios;             /* raw ROM image */
    const char *debugcon;         /* port 0xE9 output file (NULL: stderr) */
    const char *post_log;         /* POST-code log file */
    uint64_t max_insns;           /* 0: no limit */
    uint32_t mhz;
    bool realtime;
    bool rtc_set;
    int64_t rtc_base;             /* Unix seconds of the RTC at power-on */
    unsigned tlb_sets, tlb_ways;
    bool reset_on_triple_fault;
    bool stats;
    bool help;
};

void options_defaults(struct machine_config *cfg);

/* Parse the arguments after `run` (argv[0] is the first option). Returns 0,
 * or -1 with a one-line message naming the flag and the problem in err. The
 * config keeps pointers into argv. */
int options_parse(int argc, char **argv, struct machine_config *cfg,
                  char *err, size_t errlen);

/* Helpers, exposed for tests. */
int options_parse_size(const char *s, uint64_t *bytes);     /* "128M", "1G", "512" (MiB) */
int options_parse_rtc(const char *s, int64_t *unix_seconds); /* seconds or ISO date */

/* The text of `pagoda --help`. */
const char *options_usage(void);

#endif
