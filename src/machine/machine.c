/* Wiring: who calls whom between the CPU, memory, devices and time.
 *   CPU --io_in/io_out--> I/O bus;  CPU --INTA--> PIC;  PIC --INTR--> CPU
 *   i8042 / port 0x92 --A20--> phys + MMU (TLB flush);  --reset--> machine
 *   vclock --earlier deadline--> CPU slice end;  exit port --> run loop */
#include "machine/machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "devices/cmos.h"
#include "devices/debugport.h"
#include "devices/guestinfo.h"
#include "devices/dma.h"
#include "devices/fdc.h"
#include "devices/i8042.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/uart.h"
#include "mmu/phys.h"

static uint32_t bus_in(void *ctx, uint16_t port, int size)
{
    struct machine *m = ctx;
    return iobus_in(&m->io, port, size);
}

static void bus_out(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct machine *m = ctx;
    iobus_out(&m->io, port, val, size);
}

static int bus_inta(void *ctx)
{
    struct machine *m = ctx;
    return pic_intr_ack(m->pic);
}

static void pic_intr_changed(void *ctx, bool level)
{
    struct machine *m = ctx;
    cpu_set_intr(m->cpu, level);
}

static void a20_changed(void *ctx, bool enabled)
{
    struct machine *m = ctx;
    if (phys_a20(m->phys) == enabled)
        return;
    phys_set_a20(m->phys, enabled);
    mmu_a20_changed(&m->mmu);   /* cached translations assumed the old wrap */
}

static void reset_requested(void *ctx)
{
    struct machine *m = ctx;
    m->reset_requested = true;
    cpu_request_stop(m->cpu);
}

static void exit_requested(void *ctx, int status)
{
    struct machine *m = ctx;
    if (!m->exit_requested) {
        m->exit_requested = true;
        m->exit_status = status;
    }
    cpu_request_stop(m->cpu);
}

/* A timer was armed earlier than any other: end the CPU's slice by then.
 * Deadlines are in ticks (icount + idle); the CPU counts instructions. */
static void deadline_changed(void *ctx, uint64_t when)
{
    struct machine *m = ctx;
    uint64_t ic = cpu_icount(m->cpu);
    uint64_t at = when > m->vc.idle ? when - m->vc.idle : 0;
    if (at < ic)
        at = ic;
    if (at < m->slice_end) {
        m->slice_end = at;
        cpu_set_run_until(m->cpu, at);
    }
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

static int open_outputs(struct machine *m, char *err, size_t errlen)
{
    const struct machine_config *c = &m->cfg;
    switch (c->serial) {
    case SERIAL_STDIO:
        m->serial_out = stdout;
        m->serial_input = !c->serial_no_stdin;
        break;
    case SERIAL_FILE:
        m->serial_out = fopen(c->serial_path, "w");
        if (!m->serial_out)
            return fail(err, errlen, "-serial file:%s: %s", c->serial_path, strerror(errno));
        m->own_serial_out = true;
        break;
    case SERIAL_NONE:
        break;
    }
    m->debugcon = stderr;
    if (c->debugcon) {
        m->debugcon = fopen(c->debugcon, "w");
        if (!m->debugcon)
            return fail(err, errlen, "--debugcon %s: %s", c->debugcon, strerror(errno));
        m->own_debugcon = true;
    }
    if (c->post_log) {
        m->post_log = fopen(c->post_log, "a");
        if (!m->post_log)
            return fail(err, errlen, "--post-log %s: %s", c->post_log, strerror(errno));
    }
    return 0;
}

static int create_devices(struct machine *m, char *err, size_t errlen)
{
    const struct machine_config *c = &m->cfg;
    m->pic = pic_create(&m->io, &m->ev, pic_intr_changed, m);
    if (!m->pic)
        return fail(err, errlen, "cannot create the interrupt controllers");
    struct irq_line irq = pic_irq_line(m->pic);
    m->pit = pit_create(&m->io, &m->vc, irq);
    m->com1 = uart_create(&m->io, UART_COM1_BASE, UART_COM1_IRQ, irq, &m->vc, m->serial_out,
                          m->serial_input ? STDIN_FILENO : -1);
    m->com2 = uart_create(&m->io, UART_COM2_BASE, UART_COM2_IRQ, irq, &m->vc, NULL, -1);
    /* without --rtc the clock starts at the host's time; --rtc makes runs
     * that read the RTC reproducible */
    m->cmos = cmos_create(&m->io, &m->vc, irq, c->rtc_set ? c->rtc_base : (int64_t)time(NULL));
    struct i8042_callbacks kcb = { .set_a20 = a20_changed, .reset = reset_requested, .ctx = m };
    m->kbc = i8042_create(&m->io, irq, &kcb);
    m->dma = dma_create(&m->io, m->phys, &m->ev);
    m->fdc = m->dma ? fdc_create(&m->io, irq, m->dma, &m->vc) : NULL;
    m->dbg = debugport_create(&m->io, m->debugcon, m->post_log, exit_requested, m);
    m->ginfo = guestinfo_create(&m->io, &m->ev);
    if (!m->pit || !m->com1 || !m->com2 || !m->cmos || !m->kbc || !m->dma || !m->fdc || !m->dbg ||
        !m->ginfo)
        return fail(err, errlen, "cannot create the PC devices (I/O port conflict or out of memory)");
    cmos_set_memory(m->cmos, c->ram_bytes);
    if (c->fda[0]) {
        if (fdc_insert(m->fdc, c->fda, c->fda_rw, err, errlen) < 0)
            return -1;
        cmos_set_byte(m->cmos, 0x10, 0x40);   /* drive A: 1.44 MB 3.5" */
        cmos_set_byte(m->cmos, 0x14, 0x01);   /* equipment: floppy drive(s) present */
    }
    return 0;
}

struct machine *machine_create(const struct machine_config *cfg, const char *kernel,
                               char *err, size_t errlen)
{
    struct machine *m = calloc(1, sizeof *m);
    if (!m) {
        fail(err, errlen, "out of host memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->kernel = cfg->bios ? NULL : kernel;
    m->slice_end = UINT64_MAX;
    events_init(&m->ev, &m->no_icount);
    iobus_init(&m->io);
    char perr[256];
    m->phys = phys_create(cfg->ram_bytes, perr, sizeof perr);
    if (!m->phys) {
        fail(err, errlen, "-m: %s", perr);
        goto fail;
    }
    if (mmu_init(&m->mmu, m->phys, cfg->tlb_sets, cfg->tlb_ways) < 0) {
        fail(err, errlen, "--tlb %ux%u: cannot allocate the TLB", cfg->tlb_sets, cfg->tlb_ways);
        goto fail;
    }
    m->mmu.ev = &m->ev;
    struct cpu_bus bus = { .io_in = bus_in, .io_out = bus_out, .intr_ack = bus_inta, .ctx = m };
    m->cpu = cpu_create(&m->mmu, &bus, &m->ev);
    if (!m->cpu) {
        fail(err, errlen, "cannot create the CPU");
        goto fail;
    }
    m->ev.icount = cpu_icount_ptr(m->cpu);
    vclock_init(&m->vc, cpu_icount_ptr(m->cpu), cfg->mhz);
    cpu_set_idle_ticks(m->cpu, &m->vc.idle);   /* the TSC counts HLT-skipped time too */
    m->vc.deadline_changed = deadline_changed;
    m->vc.deadline_ctx = m;
    if (open_outputs(m, err, errlen) < 0 || create_devices(m, err, errlen) < 0)
        goto fail;
    /* the ROM is mapped once; kernels are (re)loaded by every reset */
    if (cfg->bios && boot_load(m->phys, cfg, NULL, &m->boot, err, errlen) < 0)
        goto fail;
    if (machine_reset(m, err, errlen) < 0)
        goto fail;
    return m;
fail:
    machine_destroy(m);
    return NULL;
}

void machine_flush(struct machine *m)
{
    if (m->fdc)
        fdc_flush(m->fdc);
    if (m->serial_out)
        fflush(m->serial_out);
    if (m->debugcon)
        fflush(m->debugcon);
    if (m->post_log)
        fflush(m->post_log);
}

bool machine_guest_info(const struct machine *m, uint32_t *phys)
{
    return m->ginfo && guestinfo_phys(m->ginfo, phys);
}

void machine_destroy(struct machine *m)
{
    if (!m)
        return;
    machine_flush(m);
    guestinfo_destroy(m->ginfo);
    if (m->dbg)
        debugport_destroy(m->dbg);
    if (m->fdc)
        fdc_destroy(m->fdc);
    if (m->dma)
        dma_destroy(m->dma);
    if (m->kbc)
        i8042_destroy(m->kbc);
    if (m->cmos)
        cmos_destroy(m->cmos);
    if (m->com2)
        uart_destroy(m->com2);
    if (m->com1)
        uart_destroy(m->com1);
    if (m->pit)
        pit_destroy(m->pit);
    if (m->pic)
        pic_destroy(m->pic);
    if (m->cpu)
        cpu_destroy(m->cpu);
    if (m->mmu.tlb.ent)
        mmu_free(&m->mmu);
    phys_destroy(m->phys);
    if (m->own_serial_out)
        fclose(m->serial_out);
    if (m->own_debugcon)
        fclose(m->debugcon);
    if (m->post_log)
        fclose(m->post_log);
    free(m);
}

static void apply_boot_state(struct machine *m)
{
    const struct boot_state *bs = &m->boot;
    if (bs->reset_vector)
        return;
    /* what a boot loader does before jumping: A20 on, through the
     * controller so that the device model agrees with phys ... */
    i8042_set_a20(m->kbc, true);
    /* ... then protected mode with flat segments from its GDT */
    for (int r = R_EAX; r <= R_EDI; r++)
        cpu_set_reg(m->cpu, (enum cpu_reg)r, bs->reg[r]);
    cpu_set_gdtr(m->cpu, bs->gdt_base, bs->gdt_limit);
    cpu_set_cr(m->cpu, 0, cpu_get_cr(m->cpu, 0) | bs->cr0_set);
    struct seg cs = { .sel = bs->cs.sel, .base = bs->cs.base, .limit = bs->cs.limit,
                      .flags = bs->cs.flags, .valid = true };
    struct seg ds = { .sel = bs->ds.sel, .base = bs->ds.base, .limit = bs->ds.limit,
                      .flags = bs->ds.flags, .valid = true };
    cpu_set_seg(m->cpu, S_CS, cs);
    cpu_set_seg(m->cpu, S_SS, ds);
    cpu_set_seg(m->cpu, S_DS, ds);
    cpu_set_seg(m->cpu, S_ES, ds);
    cpu_set_seg(m->cpu, S_FS, ds);
    cpu_set_seg(m->cpu, S_GS, ds);
    cpu_set_eflags(m->cpu, bs->eflags);
    cpu_set_eip(m->cpu, bs->eip);
}

int machine_reset(struct machine *m, char *err, size_t errlen)
{
    m->reset_requested = false;
    pic_reset(m->pic);
    pit_reset(m->pit);
    uart_reset(m->com1);
    uart_reset(m->com2);
    cmos_reset(m->cmos);
    i8042_reset(m->kbc);    /* A20 off, as at power-on */
    dma_reset(m->dma);
    fdc_reset(m->fdc);
    debugport_reset(m->dbg);
    guestinfo_reset(m->ginfo);
    cpu_reset(m->cpu);
    mmu_flush(&m->mmu, TLB_FLUSH_EXPLICIT);
    if (!m->cfg.bios) {
        /* a kernel image is what firmware would load on every boot; RAM
         * keeps its other contents across a reset, as on a real PC */
        if (boot_load(m->phys, &m->cfg, m->kernel, &m->boot, err, errlen) < 0)
            return -1;
    }
    apply_boot_state(m);
    m->resets++;
    return 0;
}
