/* The machine the CPU Check suites (tests/unit/test_cpu_*.c) run on: 4 MiB
 * of guest RAM, an MMU and a CPU on a stub I/O bus, and the protected-mode
 * layout most of them start from (a GDT, an IDT whose every vector halts in
 * its own handler, a TSS with a ring-0 stack and an I/O bitmap). Each suite
 * keeps the helpers only it needs in its own file. */
#ifndef PAGODA_TESTS_SUPPORT_CPU_FIXTURE_H
#define PAGODA_TESTS_SUPPORT_CPU_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "mmu/mmu.h"
#include "mmu/phys.h"

struct events;

/* Physical layout of vm_new_protected(). */
#define GDT 0x800u
#define IDT 0x1000u
#define TSS 0x3000u
#define HANDLERS 0x6000u   /* vector v's handler: HLT at HANDLERS + 16 * v */
#define CODE 0x10000u      /* EIP after vm_new_protected() */
#define STACK0 0x9000u     /* ring-0 ESP, also the TSS's ESP0 */
#define STACK3 0xa000u     /* ESP after enter_ring3() */

/* GDT selectors of vm_new_protected() (GDTR limit 0x57: entries 1-10). */
#define K_CODE 0x08
#define K_DATA 0x10
#define U_CODE 0x1b
#define U_DATA 0x23
#define TSS_SEL 0x28       /* available 386 TSS at TSS, loaded in TR */
#define CODE16 0x30
#define NP_DATA 0x38
#define CGATE 0x40         /* call gate, DPL 3, 2 dword parameters -> K_CODE:CODE+0x800 */
#define SMALL 0x48         /* data, limit 0xff */
#define CONF_CODE 0x50     /* conforming code, DPL 0 */

struct vm {
    struct phys *p;
    struct mmu m;
    struct cpu *c;
    int irq_vector;        /* what INTA returns (-1 after vm_new) */
    uint16_t last_port;    /* the last OUT's port and value */
    uint32_t last_out;
};

/* RAM, MMU and a CPU at reset on the stub bus: IN returns 0x1200 + port,
 * OUT records last_port and last_out, INTA drops INTR (an edge-like device)
 * and returns irq_vector. ev is the CPU's event log, or NULL. */
struct vm *vm_new_with_events(struct events *ev);
struct vm *vm_new(void);
/* vm_new() in flat 32-bit ring 0 at CODE with ESP = STACK0, the GDT above
 * loaded, every IDT vector a DPL-0 386 interrupt gate to a HLT at
 * HANDLERS + 16 * vector, TR = TSS_SEL whose bitmap allows only port 0x80. */
struct vm *vm_new_protected(void);
void vm_free(struct vm *v);

/* Descriptor images (SDM Vol. 3 §3.4.5 segment, §5.8.3 call gate, §6.11
 * IDT gate): access is the type/S/DPL/P byte, gran the G/D/L/AVL nibble. */
uint64_t seg_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t gran);
uint64_t gate_descriptor(uint16_t sel, uint32_t off, uint8_t access, uint8_t params);

void write_qword(struct vm *v, uint32_t pa, uint64_t x);
uint32_t read_dword(struct vm *v, uint32_t pa);
uint32_t read_guest(struct vm *v, uint32_t pa, int size);
void set_idt_gate(struct vm *v, int vec, uint64_t g);
/* Copy n bytes (code or data) into guest RAM at pa. */
void load_bytes(struct vm *v, uint32_t pa, const void *b, size_t n);

/* Switch a vm_new_protected() machine to ring 3 (U_CODE, U_DATA in SS, DS,
 * ES) with ESP = STACK3; EIP is left alone. */
void enter_ring3(struct vm *v);
/* Run to a HLT in one of the HANDLERS; returns the vector taken. */
int run_to_handler(struct vm *v);

#endif
