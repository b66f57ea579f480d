/* The CPU suites' machine: see cpu_fixture.h. */
#include "cpu_fixture.h"

#include <check.h>
#include <stdlib.h>

static uint32_t stub_in(void *ctx, uint16_t port, int size)
{
    (void)ctx;
    (void)size;
    return 0x1200u + port;
}

static void stub_out(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct vm *v = ctx;
    (void)size;
    v->last_port = port;
    v->last_out = val;
}

/* INTA: the line drops once the CPU takes the vector (edge-like device). */
static int stub_ack(void *ctx)
{
    struct vm *v = ctx;
    cpu_set_intr(v->c, false);
    return v->irq_vector;
}

struct vm *vm_new_with_events(struct events *ev)
{
    struct vm *v = calloc(1, sizeof *v);
    ck_assert_ptr_nonnull(v);
    char err[128];
    v->p = phys_create(4u << 20, err, sizeof err);
    ck_assert_ptr_nonnull(v->p);
    ck_assert_int_eq(mmu_init(&v->m, v->p, TLB_DEFAULT_SETS, TLB_DEFAULT_WAYS), 0);
    v->irq_vector = -1;
    struct cpu_bus bus = {stub_in, stub_out, stub_ack, v};
    v->c = cpu_create(&v->m, &bus, ev);
    ck_assert_ptr_nonnull(v->c);
    return v;
}

struct vm *vm_new(void) { return vm_new_with_events(NULL); }

struct vm *vm_new_protected(void)
{
    struct vm *v = vm_new();
    write_qword(v, GDT + 0x08, seg_descriptor(0, 0xfffff, 0x9b, 0xc));
    write_qword(v, GDT + 0x10, seg_descriptor(0, 0xfffff, 0x93, 0xc));
    write_qword(v, GDT + 0x18, seg_descriptor(0, 0xfffff, 0xfb, 0xc));
    write_qword(v, GDT + 0x20, seg_descriptor(0, 0xfffff, 0xf3, 0xc));
    write_qword(v, GDT + 0x28, seg_descriptor(TSS, 0x68 + 8192 / 8 + 1, 0x89, 0));
    write_qword(v, GDT + 0x30, seg_descriptor(0, 0xffff, 0x9b, 0));
    write_qword(v, GDT + 0x38, seg_descriptor(0, 0xfffff, 0x13, 0xc));
    write_qword(v, GDT + 0x40, gate_descriptor(K_CODE, CODE + 0x800, 0xec, 2));
    write_qword(v, GDT + 0x48, seg_descriptor(0x20000, 0xff, 0x93, 0x4));
    write_qword(v, GDT + 0x50, seg_descriptor(0, 0xfffff, 0x9f, 0xc));
    /* every vector: a 386 interrupt gate, DPL 0, to a HLT */
    for (int n = 0; n < 256; n++) {
        set_idt_gate(v, n, gate_descriptor(K_CODE, HANDLERS + 16u * (unsigned)n, 0x8e, 0));
        phys_write(v->p, HANDLERS + 16u * (unsigned)n, 0xf4, 1);
    }
    /* TSS: ring-0 stack, I/O bitmap at 0x68 allowing only port 0x80 */
    phys_write(v->p, TSS + 4, STACK0, 4);
    phys_write(v->p, TSS + 8, K_DATA, 4);
    phys_write(v->p, TSS + 0x66, 0x68, 2);
    for (unsigned k = 0; k < 8192 / 8 + 1; k++)
        phys_write(v->p, TSS + 0x68 + k, 0xff, 1);
    phys_write(v->p, TSS + 0x68 + 0x80 / 8, 0xfe, 1);

    cpu_set_gdtr(v->c, GDT, 0x57);
    cpu_set_idtr(v->c, IDT, 256 * 8 - 1);
    cpu_set_flat32(v->c);
    struct seg tr = {.sel = TSS_SEL, .base = TSS, .limit = 0x68 + 8192 / 8 + 1, .flags = 0x8b, .valid = true};
    cpu_set_seg(v->c, S_TR, tr);
    cpu_set_eip(v->c, CODE);
    cpu_set_reg(v->c, R_ESP, STACK0);
    return v;
}

void vm_free(struct vm *v)
{
    cpu_destroy(v->c);
    mmu_free(&v->m);
    phys_destroy(v->p);
    free(v);
}

uint64_t seg_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t gran)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(gran & 0xf) << 52) |
           ((uint64_t)(base >> 24) << 56);
}

uint64_t gate_descriptor(uint16_t sel, uint32_t off, uint8_t access, uint8_t params)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)params << 32) |
           ((uint64_t)access << 40) | ((uint64_t)(off >> 16) << 48);
}

void write_qword(struct vm *v, uint32_t pa, uint64_t x)
{
    phys_write(v->p, pa, (uint32_t)x, 4);
    phys_write(v->p, pa + 4, (uint32_t)(x >> 32), 4);
}

uint32_t read_dword(struct vm *v, uint32_t pa) { return phys_read(v->p, pa, 4); }

uint32_t read_guest(struct vm *v, uint32_t pa, int size) { return phys_read(v->p, pa, size); }

void set_idt_gate(struct vm *v, int vec, uint64_t g) { write_qword(v, IDT + 8u * (unsigned)vec, g); }

void load_bytes(struct vm *v, uint32_t pa, const void *b, size_t n)
{
    ck_assert_int_eq(phys_load(v->p, pa, b, (uint32_t)n), 0);
}

void enter_ring3(struct vm *v)
{
    struct seg cs = {.sel = U_CODE, .base = 0, .limit = 0xffffffffu, .flags = 0xc0fb, .valid = true};
    struct seg ds = {.sel = U_DATA, .base = 0, .limit = 0xffffffffu, .flags = 0xc0f3, .valid = true};
    cpu_set_seg(v->c, S_CS, cs);
    cpu_set_seg(v->c, S_SS, ds);
    cpu_set_seg(v->c, S_DS, ds);
    cpu_set_seg(v->c, S_ES, ds);
    cpu_set_reg(v->c, R_ESP, STACK3);
    ck_assert_uint_eq(cpu_cpl(v->c), 3);
}

int run_to_handler(struct vm *v)
{
    ck_assert_int_eq(cpu_run(v->c, cpu_icount(v->c) + 100000), CPU_STOP_HLT);
    uint32_t eip = cpu_get_eip(v->c) - 1;
    ck_assert_uint_ge(eip, HANDLERS);
    ck_assert_uint_lt(eip, HANDLERS + 16 * 256);
    return (int)((eip - HANDLERS) / 16);
}
