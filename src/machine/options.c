/* Command-line options of `pagoda run`. Long options take `--name VALUE` or
 * `--name=VALUE`; QEMU's single-dash spellings (-m, -kernel, -initrd,
 * -append, -fda, -serial, -display, -bios, -rtc) mean the same thing. */
#include "machine/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmu/mmu.h"

enum opt_id {
    O_HELP, O_MEMORY, O_KERNEL, O_INITRD, O_APPEND, O_FDA, O_SERIAL,
    O_HEADLESS, O_DISPLAY, O_BIOS, O_DEBUGCON, O_POST_LOG, O_MAX_INSNS,
    O_MHZ, O_REALTIME, O_RTC, O_TLB, O_RESET_TRIPLE, O_STATS,
    O_GDB, O_TRACE, O_CLOSE_ON_STOP,
};

struct opt {
    const char *names[3];
    bool takes_value;
    enum opt_id id;
};

static const struct opt opts[] = {
    { { "--help", "-h", "-help" }, false, O_HELP },
    { { "-m", "--memory", NULL }, true, O_MEMORY },
    { { "-kernel", "--kernel", NULL }, true, O_KERNEL },
    { { "-initrd", "--initrd", NULL }, true, O_INITRD },
    { { "-append", "--append", NULL }, true, O_APPEND },
    { { "-fda", "--fda", NULL }, true, O_FDA },
    { { "-serial", "--serial", NULL }, true, O_SERIAL },
    { { "--headless", "-headless", NULL }, false, O_HEADLESS },
    { { "-display", "--display", NULL }, true, O_DISPLAY },
    { { "--bios", "-bios", NULL }, true, O_BIOS },
    { { "--debugcon", "-debugcon", NULL }, true, O_DEBUGCON },
    { { "--post-log", NULL, NULL }, true, O_POST_LOG },
    { { "--max-insns", NULL, NULL }, true, O_MAX_INSNS },
    { { "--mhz", NULL, NULL }, true, O_MHZ },
    { { "--realtime", NULL, NULL }, false, O_REALTIME },
    { { "--rtc", "-rtc", NULL }, true, O_RTC },
    { { "--tlb", NULL, NULL }, true, O_TLB },
    { { "--reset-on-triple-fault", NULL, NULL }, false, O_RESET_TRIPLE },
    { { "--stats", NULL, NULL }, false, O_STATS },
    { { "--gdb", NULL, NULL }, true, O_GDB },
    { { "--trace", NULL, NULL }, true, O_TRACE },
    { { "--close-on-stop", NULL, NULL }, false, O_CLOSE_ON_STOP },
};

static const char usage[] =
    "usage: pagoda run [options] [IMAGE]\n"
    "       pagoda debug [options] [IMAGE]   the monitor on stdin/stdout (see docs/monitor.md)\n"
    "       pagoda --help\n"
    "\n"
    "Boots IMAGE (a multiboot ELF kernel or a Linux bzImage) on an emulated i386 PC.\n"
    "Without IMAGE (and without --bios) it boots the bundled guest kernel.\n"
    "\n"
    "Machine:\n"
    "  -m, --memory SIZE         guest RAM, e.g. 64M, 1G (plain number = MiB; default 128M, 1M..3G)\n"
    "  --mhz N                   nominal clock: N million instructions per virtual second (default 100)\n"
    "  --realtime                pace virtual time to the wall clock (interactive use)\n"
    "  --rtc BASE                RTC time at power-on: Unix seconds or YYYY-MM-DD[THH:MM:SS] (UTC)\n"
    "  --tlb SETSxWAYS|i386      TLB geometry (default 1024x1; i386 = 8x4, the real 32-entry TLB)\n"
    "  --max-insns N             stop after N instructions (exit status 124)\n"
    "  --reset-on-triple-fault   reset the machine on a triple fault instead of stopping (exit 3)\n"
    "  --stats                   print counters at exit (instructions, MIPS, TLB, page faults, DMA)\n"
    "\n"
    "Boot:\n"
    "  -kernel IMAGE             same as the IMAGE argument\n"
    "  -initrd, --initrd FILE    Linux initrd; for multiboot, modules: \"FILE [ARGS],FILE [ARGS]...\"\n"
    "  -append, --append TEXT    kernel command line\n"
    "  --bios ROM                map a raw 64 KiB or 128 KiB ROM below 1 MiB and 4 GiB and start\n"
    "                            at its reset vector (no IMAGE)\n"
    "\n"
    "Devices:\n"
    "  -fda, --fda FILE[,rw]     1.44 MB floppy image (read-only unless ,rw)\n"
    "  -serial stdio|file:PATH|none   where COM1 goes (default stdio)\n"
    "  --debugcon FILE           port 0xE9 output to FILE (default stderr)\n"
    "  --post-log FILE           append each POST code (ports 0x80, 0x190) to FILE\n"
    "  --headless, -display none no window, COM1 on the terminal (the default without DISPLAY\n"
    "                            or WAYLAND_DISPLAY); otherwise the window opens\n"
    "  --close-on-stop           with the window: close it and exit when the guest stops\n"
    "\n"
    "Debugging:\n"
    "  --gdb PORT                wait for gdb on 127.0.0.1:PORT (target remote :PORT)\n"
    "  --trace FILE[=KINDS]      write the event log to FILE while running; KINDS: all or\n"
    "                            pf,cr3,flush,invlpg,irq,dma,exc,triple,info\n"
    "\n"
    "Exit status: 0 guest halted; 2 bad input; 3 triple fault; 124 --max-insns reached;\n"
    "(v << 1) | 1 when the guest writes v to port 0xF4; 130/143 on SIGINT/SIGTERM.\n"
    "See docs/cli.md.\n";

const char *options_usage(void) { return usage; }

void options_defaults(struct machine_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->ram_bytes = OPT_DEFAULT_RAM;
    cfg->mhz = OPT_DEFAULT_MHZ;
    cfg->serial = SERIAL_STDIO;
    cfg->tlb_sets = TLB_DEFAULT_SETS;
    cfg->tlb_ways = TLB_DEFAULT_WAYS;
    const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    bool display = (d && *d) || (w && *w);
    cfg->headless = !display;          /* a window where one can open */
    cfg->display_requested = display;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int options_parse_size(const char *s, uint64_t *bytes)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    unsigned shift = 20;   /* QEMU: a plain number is MiB */
    switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    default: return -1;
    }
    if (*end == 'i')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return -1;
    *bytes = (uint64_t)v << shift;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int options_parse_rtc(const char *s, int64_t *unix_seconds)
{
    uint64_t v;
    if (parse_u64(s, &v) == 0) {
        if (v > (uint64_t)INT64_MAX)
            return -1;
        *unix_seconds = (int64_t)v;
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
        return -1;
    const char *rest = s + n;
    if (*rest == 'T' || *rest == ' ') {
        int n2 = 0;
        if (sscanf(rest + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &n2) != 3)
            return -1;
        rest += 1 + n2;
    }
    if (*rest || y < 1970 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        h > 23 || mi > 59 || se > 59 || h < 0 || mi < 0 || se < 0)
        return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = se };
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d)   /* timegm normalised an impossible date */
        return -1;
    *unix_seconds = (int64_t)t;
    return 0;
}

static int copy_path(char *dst, const char *src, size_t n, const char *flag,
                     char *err, size_t errlen)
{
    if (!*src)
        return fail(err, errlen, "%s: empty file name", flag);
    if (strlen(src) >= OPT_PATH_MAX)
        return fail(err, errlen, "%s: file name too long", flag);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

static int apply(struct machine_config *cfg, enum opt_id id, const char *flag,
                 const char *v, char *err, size_t errlen)
{
    uint64_t n;
    switch (id) {
    case O_HELP:
        cfg->help = true;
        return 0;
    case O_MEMORY:
        if (options_parse_size(v, &n) < 0)
            return fail(err, errlen, "%s %s: not a size (use e.g. 64M or 1G)", flag, v);
        if (n < OPT_MIN_RAM || n > OPT_MAX_RAM)
            return fail(err, errlen, "%s %s: memory size must be between 1M and 3G", flag, v);
        cfg->ram_bytes = n;
        return 0;
    case O_KERNEL:
        if (cfg->kernel)
            return fail(err, errlen, "%s %s: a kernel image was already given (%s)", flag, v, cfg->kernel);
        if (!*v)
            return fail(err, errlen, "%s: empty file name", flag);
        cfg->kernel = v;
        return 0;
    case O_INITRD:
        if (!*v)
            return fail(err, errlen, "%s: empty file name", flag);
        cfg->initrd = v;
        return 0;
    case O_APPEND:
        cfg->append = v;
        return 0;
    case O_FDA: {
        size_t len = strlen(v);
        cfg->fda_rw = false;
        const char *comma = strrchr(v, ',');
        if (comma) {
            if (strcmp(comma, ",rw") == 0) {
                cfg->fda_rw = true;
                len = (size_t)(comma - v);
            } else if (strcmp(comma, ",ro") == 0) {
                len = (size_t)(comma - v);
            } else {
                return fail(err, errlen, "%s %s: unknown floppy option '%s' (use FILE or FILE,rw)",
                            flag, v, comma + 1);
            }
        }
        if (len == 0)
            return fail(err, errlen, "%s %s: empty file name", flag, v);
        return copy_path(cfg->fda, v, len, flag, err, errlen);
    }
    case O_SERIAL:
        if (strcmp(v, "stdio") == 0) {
            cfg->serial = SERIAL_STDIO;
        } else if (strcmp(v, "none") == 0 || strcmp(v, "null") == 0) {
            cfg->serial = SERIAL_NONE;
        } else if (strncmp(v, "file:", 5) == 0) {
            if (copy_path(cfg->serial_path, v + 5, strlen(v + 5), flag, err, errlen) < 0)
                return -1;
            cfg->serial = SERIAL_FILE;
        } else {
            return fail(err, errlen, "%s %s: expected stdio, file:PATH or none", flag, v);
        }
        return 0;
    case O_GDB:
        if (parse_u64(v, &n) < 0 || n == 0 || n > 65535)
            return fail(err, errlen, "%s %s: expected a TCP port from 1 to 65535", flag, v);
        cfg->gdb_port = (uint16_t)n;
        return 0;
    case O_TRACE: {
        /* FILE=KINDS: the kinds follow the last '=' (file names rarely hold one) */
        const char *eq = strrchr(v, '=');
        size_t len = eq ? (size_t)(eq - v) : strlen(v);
        if (len == 0)
            return fail(err, errlen, "%s %s: empty file name", flag, v);
        if (eq && !eq[1])
            return fail(err, errlen, "%s %s: no event kinds after '='", flag, v);
        cfg->trace_kinds = eq ? eq + 1 : NULL;
        return copy_path(cfg->trace_path, v, len, flag, err, errlen);
    }
    case O_CLOSE_ON_STOP:
        cfg->close_on_stop = true;
        return 0;
    case O_HEADLESS:
        cfg->headless = true;
        cfg->display_requested = false;
        return 0;
    case O_DISPLAY:
        if (strcmp(v, "none") == 0) {
            cfg->headless = true;
            cfg->display_requested = false;
        } else if (strcmp(v, "sdl") == 0) {
            cfg->headless = false;
            cfg->display_requested = true;
        } else {
            return fail(err, errlen, "%s %s: expected none or sdl", flag, v);
        }
        return 0;
    case O_BIOS:
        if (!*v)
            return fail(err, errlen, "%s: empty file name", flag);
        cfg->bios = v;
        return 0;
    case O_DEBUGCON:
        if (!*v)
            return fail(err, errlen, "%s: empty file name", flag);
        cfg->debugcon = v;
        return 0;
    case O_POST_LOG:
        if (!*v)
            return fail(err, errlen, "%s: empty file name", flag);
        cfg->post_log = v;
        return 0;
    case O_MAX_INSNS:
        if (parse_u64(v, &n) < 0 || n == 0)
            return fail(err, errlen, "%s %s: expected a positive instruction count", flag, v);
        cfg->max_insns = n;
        return 0;
    case O_MHZ:
        if (parse_u64(v, &n) < 0 || n == 0 || n > OPT_MAX_MHZ)
            return fail(err, errlen, "%s %s: expected a clock rate from 1 to %u MHz", flag, v, OPT_MAX_MHZ);
        cfg->mhz = (uint32_t)n;
        return 0;
    case O_REALTIME:
        cfg->realtime = true;
        return 0;
    case O_RTC:
        if (options_parse_rtc(v, &cfg->rtc_base) < 0)
            return fail(err, errlen, "%s %s: expected Unix seconds or YYYY-MM-DD[THH:MM:SS]", flag, v);
        cfg->rtc_set = true;
        return 0;
    case O_TLB:
        if (mmu_parse_tlb_geometry(v, &cfg->tlb_sets, &cfg->tlb_ways) < 0)
            return fail(err, errlen, "%s %s: expected SETSxWAYS (sets a power of two from 2 to 65536, ways 1 to 64) or i386", flag, v);
        return 0;
    case O_RESET_TRIPLE:
        cfg->reset_on_triple_fault = true;
        return 0;
    case O_STATS:
        cfg->stats = true;
        return 0;
    }
    return fail(err, errlen, "%s: internal error", flag);
}

static const struct opt *find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        for (int k = 0; k < 3 && opts[i].names[k]; k++)
            if (strlen(opts[i].names[k]) == len && strncmp(opts[i].names[k], name, len) == 0)
                return &opts[i];
    return NULL;
}

int options_parse(int argc, char **argv, struct machine_config *cfg,
                  char *err, size_t errlen)
{
    bool only_images = false;
    const char *image = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!only_images && strcmp(a, "--") == 0) {
            only_images = true;
            continue;
        }
        if (only_images || a[0] != '-' || a[1] == '\0') {
            if (image)
                return fail(err, errlen, "%s: unexpected argument (the image is already %s)", a, image);
            image = a;
            continue;
        }
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const struct opt *o = find(a, nlen);
        if (!o)
            return fail(err, errlen, "%.*s: unknown option (see pagoda --help)", (int)nlen, a);
        const char *flag = o->names[0];
        const char *v = NULL;
        if (o->takes_value) {
            if (eq) {
                v = eq + 1;
            } else if (i + 1 < argc) {
                v = argv[++i];
            } else {
                return fail(err, errlen, "%s: needs a value (see pagoda --help)", a);
            }
        } else if (eq) {
            return fail(err, errlen, "%s: takes no value", flag);
        }
        /* name the flag as the user spelled it */
        char spelled[64];
        snprintf(spelled, sizeof spelled, "%.*s", (int)nlen, a);
        if (apply(cfg, o->id, spelled, v, err, errlen) < 0)
            return -1;
    }
    if (image) {
        if (cfg->kernel)
            return fail(err, errlen, "%s: a kernel image was already given (-kernel %s)", image, cfg->kernel);
        cfg->kernel = image;
    }
    if (cfg->bios && cfg->kernel)
        return fail(err, errlen, "--bios %s: cannot be combined with a kernel image (%s)", cfg->bios, cfg->kernel);
    if (cfg->bios && (cfg->initrd || cfg->append))
        return fail(err, errlen, "--bios %s: -initrd and -append need a kernel image", cfg->bios);
    return 0;
}
