/* CPU benchmark (not a test): guest MIPS of the interpreter on a CPU-bound
 * 32-bit loop of ALU operations, loads and stores, a conditional branch and
 * a near CALL/RET with a stack frame, in flat protected mode, paging off.
 *
 * Measurement: instructions retired (the CPU's icount) divided by host
 * wall-clock time (CLOCK_MONOTONIC) around cpu_run; the guest program is
 * run for --insns instructions (default 200 million) after a short warm-up.
 * Usage: bench_cpu [--insns N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "mmu/mmu.h"
#include "mmu/phys.h"

#define CODE 0x10000u
#define DATA 0x20000u

/* The guest loop (NASM syntax):
 *   10000: mov esi, 20000h
 *          xor eax, eax
 *          mov ebx, 1
 *   loop:  add eax, ebx            ; ALU
 *          xor edx, eax
 *          mov [esi+ecx*4], eax    ; store (ecx & 255 below keeps it in range)
 *          mov ebx, [esi+4]        ; load
 *          inc ebx
 *          call fn
 *          inc ecx
 *          and ecx, 255
 *          cmp eax, edx
 *          jne loop
 *          jmp loop
 *   fn:    push ebp
 *          mov ebp, esp
 *          lea eax, [eax+ebx*2]
 *          pop ebp
 *          ret
 */
static const uint8_t guest[] = {
    0xbe, 0x00, 0x00, 0x02, 0x00,       /* mov esi, 0x20000 */
    0x31, 0xc0,                         /* xor eax, eax */
    0xbb, 0x01, 0x00, 0x00, 0x00,       /* mov ebx, 1 */
    /* loop = 0x1000c */
    0x01, 0xd8,                         /* add eax, ebx */
    0x31, 0xc2,                         /* xor edx, eax */
    0x89, 0x04, 0x8e,                   /* mov [esi+ecx*4], eax */
    0x8b, 0x5e, 0x04,                   /* mov ebx, [esi+4] */
    0x43,                               /* inc ebx */
    0xe8, 0x0d, 0x00, 0x00, 0x00,       /* call fn (0x10029) */
    0x41,                               /* inc ecx */
    0x81, 0xe1, 0xff, 0x00, 0x00, 0x00, /* and ecx, 255 */
    0x39, 0xd0,                         /* cmp eax, edx */
    0x75, 0xe5,                         /* jne loop */
    0xeb, 0xe3,                         /* jmp loop */
    /* fn = 0x10029 */
    0x55,                               /* push ebp */
    0x89, 0xe5,                         /* mov ebp, esp */
    0x8d, 0x04, 0x58,                   /* lea eax, [eax+ebx*2] */
    0x5d,                               /* pop ebp */
    0xc3,                               /* ret */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    uint64_t insns = 200000000ull;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insns") == 0 && i + 1 < argc)
            insns = strtoull(argv[++i], NULL, 0);
        else {
            fprintf(stderr, "usage: %s [--insns N]\n", argv[0]);
            return 2;
        }
    }
    char err[128];
    struct phys *p = phys_create(16u << 20, err, sizeof err);
    if (!p) {
        fprintf(stderr, "bench_cpu: %s\n", err);
        return 1;
    }
    struct mmu m;
    if (mmu_init(&m, p, TLB_DEFAULT_SETS, TLB_DEFAULT_WAYS) != 0) {
        fprintf(stderr, "bench_cpu: mmu_init failed\n");
        return 1;
    }
    struct cpu *c = cpu_create(&m, NULL, NULL);
    if (!c || phys_load(p, CODE, guest, sizeof guest) != 0) {
        fprintf(stderr, "bench_cpu: set-up failed\n");
        return 1;
    }
    (void)DATA;
    cpu_set_flat32(c);
    cpu_set_eip(c, CODE);
    cpu_set_reg(c, R_ESP, 0x80000);

    cpu_run(c, 1000000);   /* warm-up: decode, TLB fill */
    uint64_t start = cpu_icount(c);
    double t0 = now();
    enum cpu_stop st = cpu_run(c, start + insns);
    double t1 = now();
    uint64_t done = cpu_icount(c) - start;
    if (st != CPU_STOP_BUDGET) {
        fprintf(stderr, "bench_cpu: guest stopped early (%d) at eip %#x\n", (int)st, cpu_get_eip(c));
        return 1;
    }
    double secs = t1 - t0;
    printf("bench_cpu: %llu guest instructions in %.3f s = %.1f MIPS\n",
           (unsigned long long)done, secs, done / secs / 1e6);
    printf("  guest: 15-instruction loop (ALU, load/store, CALL/RET, Jcc), flat 32-bit, paging off\n");
    printf("  measured: icount / CLOCK_MONOTONIC wall time around cpu_run, after a 1M-instruction warm-up\n");
    cpu_destroy(c);
    mmu_free(&m);
    phys_destroy(p);
    return 0;
}
