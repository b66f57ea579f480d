/* The native executor of the differential test: a 32-bit host program that
 * runs one x86 instruction at a time on the real CPU with exactly the inputs
 * a case gives (GPRs, EFLAGS, data-area bytes) and reports what came out.
 *
 * Protocol (stdin -> stdout): struct diff_batch_hdr, then count struct diff_in;
 * the reply is count struct diff_out. A batch is read whole before any reply
 * is written, so the writer never blocks against a full reply pipe.
 * count == 0 ends the program.
 *
 * Faults (#DE, #UD, #GP, ..., and the INT3 that every branch target holds)
 * arrive as signals on an alternate stack; the handler copies the register
 * state of the ucontext (the CPU's state at the exception, trap number and
 * error code included) and siglongjmps back to the case loop.
 *
 * `native32 --selftest` checks a few results against the SDM's definitions. */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "../diff_case.h"

#if !defined(__i386__)
#error "the native executor must be built with -m32"
#endif

struct native_ctx {
    uint32_t regs[8];
    uint32_t eflags;
    uint32_t host_esp;
    uint32_t es_sel;
    uint16_t sregs[6];       /* after the instruction: ES CS SS DS FS GS */
    uint16_t host_ds, host_es, host_fs, host_gs;
};
_Static_assert(sizeof(struct native_ctx) == 64, "layout used by native_entry.S");

void diff_native_enter(struct native_ctx *ctx);
void diff_native_exit(void);
extern uint32_t diff_native_code;   /* where diff_native_enter jumps */

/* Signal handlers cannot take arguments: the executor's state is global here
 * (this is a test helper process, not emulator state). */
static sigjmp_buf fault_jmp;
static struct diff_out *fault_out;
static uint16_t data_sel;        /* the data-area segment (FS, and ES on request) */
static uint16_t host_sregs[6];   /* ES CS SS DS FS GS as every case starts */
static uint8_t *code_page, *data_page;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
    /* The case may have left GS (glibc's thread pointer) null; the kernel
     * gives the handler flat DS/ES/SS but keeps FS/GS. Nothing here may use
     * GS before this (the native executor is built without stack protector). */
    __asm__ volatile("movw %0, %%gs" : : "r"(host_sregs[5]));
    /* ... and may have set AC (IRET, POPF), which the kernel passes on to the
     * handler: the host's own unaligned accesses would fault forever */
    __asm__ volatile("pushl $0x202\n\tpopfl" : : : "cc");
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    struct diff_out *o = fault_out;
    o->regs[0] = g[REG_EAX];
    o->regs[1] = g[REG_ECX];
    o->regs[2] = g[REG_EDX];
    o->regs[3] = g[REG_EBX];
    o->regs[4] = g[REG_UESP];
    o->regs[5] = g[REG_EBP];
    o->regs[6] = g[REG_ESI];
    o->regs[7] = g[REG_EDI];
    o->eflags = g[REG_EFL];
    o->eip = g[REG_EIP];
    o->vector = g[REG_TRAPNO];
    o->err = g[REG_ERR];
    o->cr2 = sig == SIGSEGV && o->vector == 14 ? (uint32_t)(uintptr_t)si->si_addr : 0;
    o->sregs[0] = (uint16_t)g[REG_ES];
    o->sregs[1] = (uint16_t)g[REG_CS];
    o->sregs[2] = (uint16_t)g[REG_SS];
    o->sregs[3] = (uint16_t)g[REG_DS];
    o->sregs[4] = (uint16_t)g[REG_FS];
    o->sregs[5] = (uint16_t)g[REG_GS];
    siglongjmp(fault_jmp, 1);
}

static void die(const char *what)
{
    fprintf(stderr, "native32: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void setup(void)
{
    code_page = mmap((void *)DIFF_CODE_PAGE, DIFF_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (code_page != (void *)DIFF_CODE_PAGE)
        die("mmap code page at 0x100000");
    data_page = mmap((void *)DIFF_DATA_PAGE, 8192, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (data_page != (void *)DIFF_DATA_PAGE)
        die("mmap data pages at 0x200000");
    data_page += DIFF_DATA_ADDR - DIFF_DATA_PAGE;
    memset(code_page, 0xcc, DIFF_CODE_SIZE);

    /* A GDT TLS slot with base = data area: 16-bit addresses reach it via FS. */
    struct user_desc ud = {
        .entry_number = (unsigned)-1, .base_addr = DIFF_DATA_ADDR, .limit = 0xfffff,
        .seg_32bit = 1, .contents = 0, .read_exec_only = 0, .limit_in_pages = 1,
        .seg_not_present = 0, .useable = 1,
    };
    if (syscall(SYS_set_thread_area, &ud) != 0)
        die("set_thread_area");
    data_sel = (uint16_t)(ud.entry_number * 8 + 3);
    __asm__ volatile("movw %0, %%fs" : : "r"(data_sel));
    __asm__ volatile("movw %%es, %0\n\tmovw %%cs, %1\n\tmovw %%ss, %2\n\t"
                     "movw %%ds, %3\n\tmovw %%fs, %4\n\tmovw %%gs, %5"
                     : "=m"(host_sregs[0]), "=m"(host_sregs[1]), "=m"(host_sregs[2]),
                       "=m"(host_sregs[3]), "=m"(host_sregs[4]), "=m"(host_sregs[5]));

    static uint8_t altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0)
        die("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    /* NODEFER: we leave by siglongjmp without restoring a mask */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0)
            die("sigaction");
}

static void run_case(const struct diff_in *in, struct diff_out *out)
{
    uint32_t at = in->code_addr ? in->code_addr : DIFF_CODE_ADDR;
    uint8_t *ins = code_page + (at - DIFF_CODE_PAGE);
    unsigned len = in->code_len;
    diff_native_code = at;
    memcpy(ins, in->code, len);
    /* JMP rel32 to the exit stub right after the instruction */
    uint32_t next = at + len + 5;
    int32_t rel = (int32_t)((uint32_t)(uintptr_t)diff_native_exit - next);
    ins[len] = 0xe9;
    memcpy(ins + len + 1, &rel, 4);
    memcpy(data_page, in->data, DIFF_DATA_SIZE);
    /* this case's page protections (undone below, before the data is read) */
    uint8_t *data2 = (uint8_t *)(DIFF_DATA_PAGE + 0x1000), *code2 = code_page + 0x1000;
    if (in->flags & DIFF_F_DATA2_RO)
        mprotect(data2, 4096, PROT_READ);
    if (in->flags & DIFF_F_DATA2_NP)
        mprotect(data2, 4096, PROT_NONE);
    if (in->flags & DIFF_F_CODE2_NP)
        mprotect(code2, 4096, PROT_NONE);

    struct native_ctx ctx;
    memcpy(ctx.regs, in->regs, sizeof ctx.regs);
    ctx.eflags = in->eflags;
    ctx.es_sel = (in->flags & DIFF_F_ES_ALT) ? data_sel : 0;
    fault_out = out;
    out->vector = -1;
    out->err = 0;
    out->cr2 = 0;
    if (sigsetjmp(fault_jmp, 0) == 0) {
        diff_native_enter(&ctx);
        memcpy(out->regs, ctx.regs, sizeof ctx.regs);
        memcpy(out->sregs, ctx.sregs, sizeof ctx.sregs);
        out->eflags = ctx.eflags;
        out->eip = next - 5;
    } else {
        /* back from the signal handler: the segment registers we rely on */
        __asm__ volatile("cld\n\tmovw %0, %%ds\n\tmovw %1, %%es\n\tmovw %2, %%fs\n\t"
                         "movw %3, %%gs\n\tmovw %4, %%ss"
                         : : "r"(host_sregs[3]), "r"(host_sregs[0]), "r"(host_sregs[4]),
                             "r"(host_sregs[5]), "r"(host_sregs[2]) : "memory");
        /* An INT3 outside the instruction is the landing pad of a branch:
         * the instruction completed and EIP is where the pad was. */
        if (out->vector == 3 &&
            (out->eip - 1 < at || out->eip - 1 >= at + len)) {
            out->vector = -1;
            out->err = 0;
            out->eip -= 1;
        } else if (out->vector == 14 && (out->eip < at || out->eip >= at + len)) {
            /* A #PF is a fault, reported at its instruction: outside ours it
             * is the fetch of what follows (a landing pad or the exit JMP in
             * a page made absent for this case). Ours completed. */
            out->vector = -1;
            out->err = 0;
            out->cr2 = 0;
            out->eflags &= ~0x10000u;   /* RF came with that fault's frame */
        } else if (out->vector != 8 && out->vector != 10 && out->vector != 11 &&
                   out->vector != 12 && out->vector != 13 && out->vector != 14 &&
                   out->vector != 17) {
            out->err = 0;
        }
    }
    if (in->flags & (DIFF_F_DATA2_RO | DIFF_F_DATA2_NP))
        mprotect(data2, 4096, PROT_READ | PROT_WRITE);
    if (in->flags & DIFF_F_CODE2_NP)
        mprotect(code2, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    memcpy(out->data, data_page, DIFF_DATA_SIZE);
    memset(ins, 0xcc, len + 5);
}

static int read_full(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = read(0, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_full(const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t r = write(1, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* ---- self test: a few results the SDM pins down exactly ---- */

static int check(const char *what, uint32_t got, uint32_t want)
{
    if (got == want)
        return 0;
    fprintf(stderr, "selftest %s: got %#x want %#x\n", what, got, want);
    return 1;
}

static int selftest(void)
{
    int bad = 0;
    struct diff_in in;
    struct diff_out out;
    const uint32_t arith = 0x8d5;  /* OF SF ZF AF PF CF */

    /* add eax, ecx: 0x7fffffff + 1 = 0x80000000, OF=1 SF=1 AF=1 PF=1 (low byte 0) */
    memset(&in, 0, sizeof in);
    in.code[0] = 0x01; in.code[1] = 0xc8; in.code_len = 2;
    in.regs[0] = 0x7fffffff; in.regs[1] = 1; in.regs[4] = 0x12345678;
    in.eflags = 0x202;
    run_case(&in, &out);
    bad += check("add result", out.regs[0], 0x80000000u);
    bad += check("add flags", out.eflags & arith, 0x800 | 0x80 | 0x10 | 0x4);
    bad += check("add eip", out.eip, DIFF_CODE_ADDR + 2);
    bad += check("add esp untouched", out.regs[4], 0x12345678);
    bad += check("add no fault", (uint32_t)out.vector, (uint32_t)-1);

    /* sub al, 1 with AL = 0: 0xff, CF=1 AF=1 SF=1 PF=1 */
    memset(&in, 0, sizeof in);
    in.code[0] = 0x2c; in.code[1] = 0x01; in.code_len = 2;
    in.regs[0] = 0xabcdef00; in.eflags = 0x202 | 0x8d5;
    run_case(&in, &out);
    bad += check("sub result", out.regs[0], 0xabcdefffu);
    bad += check("sub flags", out.eflags & arith, 0x80 | 0x10 | 0x4 | 0x1);

    /* div ecx with ECX = 0: #DE (vector 0), registers and EIP as before */
    memset(&in, 0, sizeof in);
    in.code[0] = 0xf7; in.code[1] = 0xf1; in.code_len = 2;
    in.regs[0] = 5; in.regs[1] = 0; in.regs[4] = 0xdeadbeef; in.eflags = 0x202;
    run_case(&in, &out);
    bad += check("div0 vector", (uint32_t)out.vector, 0);
    bad += check("div0 eip", out.eip, DIFF_CODE_ADDR);
    bad += check("div0 eax", out.regs[0], 5);
    bad += check("div0 esp", out.regs[4], 0xdeadbeef);

    /* ud2: #UD (vector 6) */
    memset(&in, 0, sizeof in);
    in.code[0] = 0x0f; in.code[1] = 0x0b; in.code_len = 2; in.eflags = 0x202;
    run_case(&in, &out);
    bad += check("ud2 vector", (uint32_t)out.vector, 6);

    /* stosb with DF=1 through a 67 prefix and ES = data segment:
     * es:[di] with DI = 0x10 -> data[0x10] */
    memset(&in, 0, sizeof in);
    in.code[0] = 0x67; in.code[1] = 0xaa; in.code_len = 2; in.flags = DIFF_F_ES_ALT;
    in.regs[0] = 0x5a; in.regs[7] = 0xffff0010; in.eflags = 0x202 | 0x400;
    run_case(&in, &out);
    bad += check("stos data", out.data[0x10], 0x5a);
    bad += check("stos di", out.regs[7], 0xffff000f);
    bad += check("stos df kept", out.eflags & 0x400, 0x400);

    /* jmp short +0x10: lands on the INT3 pad, reported as EIP = target */
    memset(&in, 0, sizeof in);
    in.code[0] = 0xeb; in.code[1] = 0x10; in.code_len = 2; in.eflags = 0x202;
    run_case(&in, &out);
    bad += check("jmp eip", out.eip, DIFF_CODE_ADDR + 2 + 0x10);
    bad += check("jmp no fault", (uint32_t)out.vector, (uint32_t)-1);

    /* push eax with ESP inside the data area */
    memset(&in, 0, sizeof in);
    in.code[0] = 0x50; in.code_len = 1; in.eflags = 0x202;
    in.regs[0] = 0x11223344; in.regs[4] = DIFF_DATA_ADDR + 0x80;
    run_case(&in, &out);
    bad += check("push esp", out.regs[4], DIFF_DATA_ADDR + 0x7c);
    bad += check("push data", out.data[0x7c] | out.data[0x7f] << 24, 0x11000044);

    /* int3 itself: trap, EIP after it */
    memset(&in, 0, sizeof in);
    in.code[0] = 0xcc; in.code_len = 1; in.eflags = 0x202;
    run_case(&in, &out);
    bad += check("int3 vector", (uint32_t)out.vector, 3);
    bad += check("int3 eip", out.eip, DIFF_CODE_ADDR + 1);

    /* an instruction across the code-page boundary, a dword across the data one */
    memset(&in, 0, sizeof in);
    in.code[0] = 0x89; in.code[1] = 0x05; in.code_len = 6;   /* mov [disp32], eax */
    uint32_t ea = DIFF_DATA_ADDR + DIFF_DATA_SPLIT - 2;
    memcpy(&in.code[2], &ea, 4);
    in.code_addr = DIFF_CODE_PAGE + 0xffd;
    in.regs[0] = 0xa1b2c3d4; in.eflags = 0x202;
    run_case(&in, &out);
    bad += check("straddle eip", out.eip, DIFF_CODE_PAGE + 0x1003);
    bad += check("straddle store", out.data[DIFF_DATA_SPLIT - 2] | out.data[DIFF_DATA_SPLIT + 1] << 24, 0xa10000d4);

    /* a dword store across into a read-only page: #PF, err P|W|U, nothing written */
    memset(&in, 0, sizeof in);
    in.code[0] = 0x89; in.code[1] = 0x05; in.code_len = 6;
    memcpy(&in.code[2], &ea, 4);
    in.regs[0] = 0xa1b2c3d4; in.eflags = 0x202; in.flags = DIFF_F_DATA2_RO;
    run_case(&in, &out);
    bad += check("ro vector", (uint32_t)out.vector, 14);
    bad += check("ro err", out.err, 7);
    bad += check("ro cr2", out.cr2, DIFF_DATA_PAGE + 0x1000);
    bad += check("ro nothing written", out.data[DIFF_DATA_SPLIT - 2], 0);

    /* pop ds with a null selector: DS reads back 0, the next case still runs */
    memset(&in, 0, sizeof in);
    in.code[0] = 0x1f; in.code_len = 1; in.eflags = 0x202;
    in.regs[4] = DIFF_DATA_ADDR + 0x40;
    run_case(&in, &out);
    bad += check("pop ds vector", (uint32_t)out.vector, (uint32_t)-1);
    bad += check("pop ds selector", out.sregs[3], 0);
    bad += check("pop ds esp", out.regs[4], DIFF_DATA_ADDR + 0x44);
    memset(&in, 0, sizeof in);
    in.code[0] = 0x0f; in.code[1] = 0x0b; in.code_len = 2; in.eflags = 0x202;
    run_case(&in, &out);
    bad += check("ud2 after pop ds", (uint32_t)out.vector, 6);
    bad += check("ds restored", out.sregs[3], host_sregs[3]);

    printf("native32 selftest: %s\n", bad ? "FAILED" : "ok");
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    setup();
    if (argc > 1 && strcmp(argv[1], "--selftest") == 0)
        return selftest();

    struct diff_in *in = NULL;
    struct diff_out *out = NULL;
    uint32_t cap = 0;
    for (;;) {
        struct diff_batch_hdr h;
        if (read_full(&h, sizeof h) != 0)
            return 0;
        if (h.magic != DIFF_MAGIC) {
            fprintf(stderr, "native32: bad batch header\n");
            return 2;
        }
        if (h.count == 0)
            return 0;
        if (h.count == DIFF_HELLO) {
            struct diff_hello hello = { { 0 }, { 0 } };
            memcpy(hello.sregs, host_sregs, sizeof hello.sregs);
            if (write_full(&hello, sizeof hello) != 0)
                return 2;
            continue;
        }
        if (h.count > cap) {
            free(in);
            free(out);
            cap = h.count;
            in = malloc(sizeof *in * cap);
            out = malloc(sizeof *out * cap);
            if (!in || !out)
                die("malloc");
        }
        if (read_full(in, sizeof *in * h.count) != 0)
            return 2;
        for (uint32_t i = 0; i < h.count; i++)
            run_case(&in[i], &out[i]);
        if (write_full(out, sizeof *out * h.count) != 0)
            return 2;
    }
}
