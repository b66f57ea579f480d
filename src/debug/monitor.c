/* The monitor: one command line in, text out. Commands that show state
 * are pure functions of the machine (they live in mon_*.c); the run
 * commands here go through dbg_run. docs/monitor.md lists them all. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "debug/monitor_impl.h"

bool mon_parse_count(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || s[0] == '-')
        return false;
    *out = v;
    return true;
}

bool mon_parse_value(struct debugger *d, const char *s, uint32_t *out)
{
    static const struct { const char *name; enum cpu_reg r; } regs[] = {
        { "eax", R_EAX }, { "ecx", R_ECX }, { "edx", R_EDX }, { "ebx", R_EBX },
        { "esp", R_ESP }, { "ebp", R_EBP }, { "esi", R_ESI }, { "edi", R_EDI },
    };
    if (!s || !*s)
        return false;
    if (*s == '$')
        s++;
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++) {
        if (!strcasecmp(s, regs[i].name)) {
            *out = cpu_get_reg(d->m->cpu, regs[i].r);
            return true;
        }
    }
    if (!strcasecmp(s, "eip")) {
        *out = cpu_get_eip(d->m->cpu);
        return true;
    }
    if (!strcasecmp(s, "pc")) {   /* linear: CS.base + EIP */
        *out = dbg_pc(d);
        return true;
    }
    if (tolower((unsigned char)s[0]) == 'c' && tolower((unsigned char)s[1]) == 'r' &&
        (s[2] == '0' || s[2] == '2' || s[2] == '3' || s[2] == '4') && !s[3]) {
        *out = cpu_get_cr(d->m->cpu, s[2] - '0');
        return true;
    }
    char *end;
    unsigned long long v;
    if (*s == '#')
        v = strtoull(s + 1, &end, 10);
    else
        v = strtoull(s, &end, 16);
    if (*end || end == s || v > UINT32_MAX || *s == '-')
        return false;
    *out = (uint32_t)v;
    return true;
}

static void print_stop(struct debugger *d, enum dbg_stop why, const struct machine_result *res,
                       uint64_t executed, FILE *out)
{
    char buf[256];
    dbg_stop_format(d, why, res, buf, sizeof buf);
    fprintf(out, "%s (%" PRIu64 " instruction%s, icount %" PRIu64 ")\n", buf, executed,
            executed == 1 ? "" : "s", cpu_icount(d->m->cpu));
}

/* step [N], continue [N], until tlb|pf [N] */
static int mon_run(struct debugger *d, const struct mon_args *a, FILE *out, uint64_t deflt,
                   unsigned until, int count_arg)
{
    uint64_t n = deflt;
    if (a->argc > count_arg && !mon_parse_count(a->argv[count_arg], &n)) {
        fprintf(out, "%s: '%s' is not a count\n", a->argv[0], a->argv[count_arg]);
        return MON_ERROR;
    }
    struct machine_result res;
    uint64_t executed;
    enum dbg_stop why = dbg_run(d, n, until, &res, &executed);
    print_stop(d, why, &res, executed, out);
    return MON_OK;
}

static int mon_until(struct debugger *d, const struct mon_args *a, FILE *out)
{
    unsigned until = 0;
    if (a->argc >= 2 && !strcmp(a->argv[1], "tlb"))
        until = DBG_UNTIL_TLB_MISS;
    else if (a->argc >= 2 && !strcmp(a->argv[1], "pf"))
        until = DBG_UNTIL_PAGE_FAULT;
    else if (a->argc >= 2 && !strcmp(a->argv[1], "any"))
        until = DBG_UNTIL_TLB_MISS | DBG_UNTIL_PAGE_FAULT;
    if (!until) {
        fputs("usage: until tlb|pf|any [N]\n", out);
        return MON_ERROR;
    }
    return mon_run(d, a, out, 100000000, until, 2);
}

/* trace N: step N instructions, one line each, with the events each raised */
static int mon_trace(struct debugger *d, const struct mon_args *a, FILE *out)
{
    uint64_t n = 10;
    if (a->argc > 1 && !mon_parse_count(a->argv[1], &n)) {
        fprintf(out, "trace: '%s' is not a count\n", a->argv[1]);
        return MON_ERROR;
    }
    struct events *ev = &d->m->ev;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t pc = dbg_pc(d);
        uint64_t ic = cpu_icount(d->m->cpu);
        uint64_t since = ev->head;
        char text[128];
        dbg_disasm_pc(d, text, sizeof text);
        struct machine_result res;
        enum dbg_stop why = dbg_run(d, 1, 0, &res, NULL);
        fprintf(out, "%10" PRIu64 "  %08x  %s\n", ic, pc, text);
        struct event e;
        char line[160];
        while (events_read(ev, &since, &e, 1)) {
            dbg_event_format(&e, line, sizeof line);
            fprintf(out, "  %s\n", line);
        }
        if (why != DBG_STOP_DONE && why != DBG_STOP_BREAK) {
            print_stop(d, why, &res, 0, out);
            break;
        }
    }
    return MON_OK;
}

int mon_events(struct debugger *d, const struct mon_args *a, FILE *out)
{
    uint64_t n = 20;
    if (a->argc > 1 && !mon_parse_count(a->argv[1], &n)) {
        fprintf(out, "events: '%s' is not a count\n", a->argv[1]);
        return MON_ERROR;
    }
    const struct events *ev = &d->m->ev;
    uint64_t since = ev->head > n ? ev->head - n : 0;
    struct event e;
    char line[160];
    unsigned shown = 0;
    while (events_read(ev, &since, &e, 1)) {
        if (!shown++)
            fputs("    icount  event        details\n", out);
        dbg_event_format(&e, line, sizeof line);
        fprintf(out, "%s\n", line);
    }
    if (!shown)
        fputs("no events recorded\n", out);
    return MON_OK;
}

static int mon_break(struct debugger *d, const struct mon_args *a, FILE *out)
{
    uint32_t lin;
    if (a->argc != 2 || !mon_parse_value(d, a->argv[1], &lin)) {
        fputs("usage: break LIN\n", out);
        return MON_ERROR;
    }
    int slot = dbg_break_add(d, lin);
    if (slot < 0) {
        fprintf(out, "break: all %d breakpoints in use\n", DBG_MAX_BREAKS);
        return MON_ERROR;
    }
    fprintf(out, "breakpoint %d at %08x\n", slot, lin);
    return MON_OK;
}

static int mon_watch(struct debugger *d, const struct mon_args *a, FILE *out)
{
    uint32_t pa;
    if (a->argc != 2 || !mon_parse_value(d, a->argv[1], &pa)) {
        fputs("usage: watch PHYS\n", out);
        return MON_ERROR;
    }
    int slot = dbg_watch_add(d, pa);
    if (slot < 0) {
        fprintf(out, "watch: phys %08x is not RAM, or all %d watches are in use\n", pa,
                DBG_MAX_WATCHES);
        return MON_ERROR;
    }
    fprintf(out, "watch %d on writes to phys page %08x\n", slot, pa & ~0xfffu);
    return MON_OK;
}

static int mon_delete(struct debugger *d, const struct mon_args *a, FILE *out, bool watch)
{
    uint64_t slot;
    if (a->argc != 2 || !mon_parse_count(a->argv[1], &slot) ||
        !(watch ? dbg_watch_delete(d, (int)slot) : dbg_break_delete(d, (int)slot))) {
        fprintf(out, "usage: %s N (an existing %s number)\n", a->argv[0],
                watch ? "watch" : "breakpoint");
        return MON_ERROR;
    }
    fprintf(out, "deleted %s %d\n", watch ? "watch" : "breakpoint", (int)slot);
    return MON_OK;
}

static int mon_info_break(struct debugger *d, FILE *out)
{
    unsigned n = 0;
    for (int i = 0; i < DBG_MAX_BREAKS; i++)
        if (d->brk[i].used)
            fprintf(out, "breakpoint %d at %08x, hit %" PRIu64 " times\n", i, d->brk[i].lin,
                    d->brk[i].hits), n++;
    for (int i = 0; i < DBG_MAX_WATCHES; i++)
        if (d->watch[i].used)
            fprintf(out, "watch %d on phys page %08x, hit %" PRIu64 " times\n", i,
                    d->watch[i].phys, d->watch[i].hits), n++;
    if (!n)
        fputs("no breakpoints or watches\n", out);
    return MON_OK;
}

static const char help_text[] =
    "regs                      registers, EFLAGS, segments (with caches), CR0-CR4, CPL\n"
    "x/N[bwd] LIN              memory at a linear address (b=8, w=16, d=32 bits)\n"
    "xp/N[bwd] PHYS            memory at a physical address\n"
    "u [LIN] [N]               disassemble N instructions (default: 10 at CS:EIP); also x/Ni\n"
    "translate LIN [r|w|x] [user|super]   the page walk step by step (alias: page)\n"
    "tlb                       TLB counters and valid entries\n"
    "info mem                  mapped linear ranges with rights (QEMU style)\n"
    "info tab                  linear -> physical runs (Bochs style)\n"
    "info break                breakpoints and watches\n"
    "events [N]                the last N events (page faults, CR3 loads, flushes, IRQs, DMA)\n"
    "step [N]                  execute N instructions (default 1)\n"
    "continue [N]              run until a breakpoint, watch or stop (at most N instructions)\n"
    "until tlb|pf|any [N]      run to the next TLB miss and/or page fault\n"
    "trace [N]                 step N instructions, printing each one and the events it raised\n"
    "break LIN / delete N      breakpoint on a linear address / remove it\n"
    "watch PHYS / unwatch N    stop when the 4 KiB physical page is written / remove it\n"
    "quit                      leave the monitor\n"
    "Numbers are hex (0x optional); #N is decimal; register names (eax, esp, eip, pc, cr3) work too.\n";

int monitor_exec(struct debugger *d, const char *line, FILE *out)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    struct mon_args a = { 0 };
    for (char *save = NULL, *t = strtok_r(buf, " \t\r\n", &save); t && a.argc < MON_MAX_ARGS;
         t = strtok_r(NULL, " \t\r\n", &save))
        a.argv[a.argc++] = t;
    if (!a.argc)
        return MON_OK;
    const char *cmd = a.argv[0];
    size_t base = strcspn(cmd, "/");   /* x/8b: the word before the format */

    if (!strcmp(cmd, "regs") || !strcmp(cmd, "r"))
        return mon_regs(d, &a, out);
    if (base == 1 && cmd[0] == 'x')
        return mon_examine(d, &a, out, false);
    if (base == 2 && !strncmp(cmd, "xp", 2))
        return mon_examine(d, &a, out, true);
    if (!strcmp(cmd, "translate") || !strcmp(cmd, "page"))
        return mon_translate(d, &a, out);
    if (!strcmp(cmd, "tlb"))
        return mon_tlb(d, &a, out);
    if (!strcmp(cmd, "info")) {
        const char *what = a.argc > 1 ? a.argv[1] : "";
        if (!strcmp(what, "mem"))
            return mon_info_mem(d, out);
        if (!strcmp(what, "tab"))
            return mon_info_tab(d, out);
        if (!strcmp(what, "break") || !strcmp(what, "breakpoints"))
            return mon_info_break(d, out);
        if (!strcmp(what, "regs") || !strcmp(what, "registers"))
            return mon_regs(d, &a, out);
        if (!strcmp(what, "tlb"))
            return mon_tlb(d, &a, out);
        fputs("usage: info mem|tab|break|regs|tlb\n", out);
        return MON_ERROR;
    }
    if (!strcmp(cmd, "u")) {
        uint32_t lin = dbg_pc(d);
        uint64_t n = 10;
        if ((a.argc > 1 && !mon_parse_value(d, a.argv[1], &lin)) ||
            (a.argc > 2 && !mon_parse_count(a.argv[2], &n))) {
            fputs("usage: u [LIN] [N]\n", out);
            return MON_ERROR;
        }
        return mon_unassemble(d, lin, n, out);
    }
    if (!strcmp(cmd, "events"))
        return mon_events(d, &a, out);
    if (!strcmp(cmd, "step") || !strcmp(cmd, "s") || !strcmp(cmd, "stepi") || !strcmp(cmd, "si"))
        return mon_run(d, &a, out, 1, 0, 1);
    if (!strcmp(cmd, "continue") || !strcmp(cmd, "c"))
        return mon_run(d, &a, out, 0, 0, 1);
    if (!strcmp(cmd, "until"))
        return mon_until(d, &a, out);
    if (!strcmp(cmd, "trace"))
        return mon_trace(d, &a, out);
    if (!strcmp(cmd, "break") || !strcmp(cmd, "b"))
        return mon_break(d, &a, out);
    if (!strcmp(cmd, "delete") || !strcmp(cmd, "d"))
        return mon_delete(d, &a, out, false);
    if (!strcmp(cmd, "watch"))
        return mon_watch(d, &a, out);
    if (!strcmp(cmd, "unwatch"))
        return mon_delete(d, &a, out, true);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "?")) {
        fputs(help_text, out);
        return MON_OK;
    }
    if (!strcmp(cmd, "quit") || !strcmp(cmd, "q"))
        return MON_QUIT;
    fprintf(out, "unknown command '%s' (try help)\n", cmd);
    return MON_ERROR;
}

int monitor_repl(struct debugger *d, FILE *in, FILE *out, bool prompt)
{
    char line[512], last[512] = "";
    for (;;) {
        if (prompt) {
            fputs("(pagoda) ", out);
            fflush(out);
        }
        if (!fgets(line, sizeof line, in))
            return MON_OK;
        /* a Ctrl-C ended the last run, not the session */
        if (d->signal_seen)
            *d->signal_seen = 0;
        /* an empty line repeats a step or a trace, as in gdb */
        if (strspn(line, " \t\r\n") == strlen(line)) {
            if (strncmp(last, "s", 1) && strncmp(last, "trace", 5))
                continue;
            snprintf(line, sizeof line, "%s", last);
        }
        snprintf(last, sizeof last, "%s", line);
        if (monitor_exec(d, line, out) == MON_QUIT)
            return MON_QUIT;
        fflush(out);
    }
}
