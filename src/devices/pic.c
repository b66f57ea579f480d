/* The 8259A pair. Facts from the Intel 8259A datasheet (order 231468):
 * ICW1 resets the chip's edge sense, IMR, special mask mode and read
 * register selection; priority is fully nested with optional rotation; an
 * IRQ that is gone by INTA time yields the IR7 vector without setting ISR
 * (a "spurious" IRQ 7). The master's IR2 input follows the slave's INT
 * output as a level, which is what the cascade wire is, and both halves of
 * INTA happen in one call: so a slave request dropped before INTA drops
 * IR2 too and gives the master's spurious IRQ 7, never the slave's IRQ 15
 * (docs/devices.md). ack() keeps the slave-spurious branch for safety. */
#include "devices/pic.h"

#include <stdlib.h>

#include "devices/iobus.h"
#include "machine/events.h"

struct pic_chip {
    uint8_t irr, isr, imr;
    uint8_t level;        /* live input levels */
    uint8_t elcr;         /* per-IR level-trigger select (0x4D0/0x4D1) */
    uint8_t elcr_mask;    /* ELCR bits that exist */
    uint8_t vector_base;  /* ICW2 & 0xF8 */
    uint8_t icw3;
    uint8_t lowest;       /* IR with the lowest priority (rotation) */
    uint8_t init_step;    /* 0 = ready, 2..4 = next ICW expected */
    bool icw4_needed, single, ltim, auto_eoi, rotate_on_aeoi, sfnm;
    bool read_isr, poll, special_mask;
};

struct pic {
    struct pic_chip chip[2];
    struct events *ev;
    void (*intr)(void *ctx, bool level);
    void *intr_ctx;
    bool intr_level;
};

#define CASCADE_IR 2

/* Highest-priority set bit of mask under the chip's rotation, or -1. */
static int highest(const struct pic_chip *c, uint8_t mask)
{
    for (int i = 1; i <= 8; i++) {
        int ir = (c->lowest + i) & 7;
        if (mask & (1u << ir))
            return ir;
    }
    return -1;
}

/* Priority rank: 0 is the highest. */
static int rank(const struct pic_chip *c, int ir)
{
    return (ir - c->lowest - 1) & 7;
}

/* The IR this chip would present to INTA now, or -1 (SFNM and special
 * mask mode change which in-service levels block). */
static int pending(const struct pic_chip *c, bool is_master)
{
    int req = highest(c, c->irr & ~c->imr);
    if (req < 0)
        return -1;
    uint8_t isr = c->isr;
    if (c->special_mask)
        isr &= ~c->imr;
    /* Special fully nested: the cascade level in service does not block
     * further, higher-priority requests from the slave. */
    if (is_master && c->sfnm)
        isr &= ~(1u << CASCADE_IR);
    int svc = highest(c, isr);
    if (svc >= 0 && rank(c, svc) <= rank(c, req))
        return -1;
    return req;
}

static bool level_mode(const struct pic_chip *c, int ir)
{
    return c->ltim || (c->elcr & (1u << ir));
}

static void update(struct pic *p)
{
    struct pic_chip *m = &p->chip[0];
    bool slave_int = pending(&p->chip[1], false) >= 0;
    /* Cascade input: a level wire from the slave's INT pin. */
    if (slave_int) {
        m->level |= 1u << CASCADE_IR;
        m->irr |= 1u << CASCADE_IR;
    } else {
        m->level &= ~(1u << CASCADE_IR);
        m->irr &= ~(1u << CASCADE_IR);
    }
    bool out = pending(m, true) >= 0;
    if (out != p->intr_level) {
        p->intr_level = out;
        if (p->intr)
            p->intr(p->intr_ctx, out);
    }
}

void pic_set_irq(struct pic *p, int irq, bool level)
{
    if (irq < 0 || irq > 15 || irq == CASCADE_IR)
        return;
    struct pic_chip *c = &p->chip[irq >> 3];
    int ir = irq & 7;
    uint8_t bit = (uint8_t)(1u << ir);
    bool was = c->level & bit;
    if (level) {
        c->level |= bit;
        /* Edge mode latches a request on the rising edge only; level mode
         * requests for as long as the line is high. */
        if (!was || level_mode(c, ir))
            c->irr |= bit;
    } else {
        c->level &= ~bit;
        /* Datasheet: the request must stay high until INTA, or it is lost
         * (and a late INTA sees IR7). */
        c->irr &= ~bit;
    }
    update(p);
}

static void irq_line_set(void *ctx, int irq, bool level)
{
    pic_set_irq(ctx, irq, level);
}

struct irq_line pic_irq_line(struct pic *p)
{
    return (struct irq_line){ .set = irq_line_set, .ctx = p };
}

bool pic_intr(const struct pic *p)
{
    return p->intr_level;
}

/* One chip's half of INTA: returns the IR acknowledged, or -1 (spurious). */
static int ack_chip(struct pic_chip *c, bool is_master)
{
    int ir = pending(c, is_master);
    if (ir < 0)
        return -1;
    uint8_t bit = (uint8_t)(1u << ir);
    /* Edge mode: the request is consumed; level mode: IRR keeps following
     * the line, ISR stops a re-request until EOI. The cascade bit is
     * recomputed from the slave by update(). */
    if (!level_mode(c, ir))
        c->irr &= ~bit;
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi)
            c->lowest = (uint8_t)ir;
    } else {
        c->isr |= bit;
    }
    return ir;
}

static int ack(struct pic *p, int *irq_out)
{
    struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
    int ir = ack_chip(m, true);
    int vector, irq;
    if (ir < 0) {
        irq = 7;
        vector = m->vector_base | 7;
    } else if (ir == CASCADE_IR && !m->single) {
        int sir = ack_chip(s, false);
        if (sir < 0) {
            irq = 15;
            vector = s->vector_base | 7;
        } else {
            irq = 8 + sir;
            vector = s->vector_base | sir;
        }
    } else {
        irq = ir;
        vector = m->vector_base | ir;
    }
    update(p);
    *irq_out = irq;
    return vector;
}

int pic_intr_ack(struct pic *p)
{
    int irq;
    int vector = ack(p, &irq);
    if (p->ev)
        events_push(p->ev, EV_IRQ, (uint32_t)irq, (uint32_t)vector, 0, 0);
    return vector;
}

static void eoi(struct pic_chip *c, int ir, bool rotate)
{
    if (ir < 0)
        return;
    c->isr &= (uint8_t)~(1u << ir);
    if (rotate)
        c->lowest = (uint8_t)ir;
}

static void write_ocw2(struct pic_chip *c, uint8_t v)
{
    int level = v & 7;
    switch (v >> 5) {
    case 1: eoi(c, highest(c, c->isr), false); break;   /* non-specific EOI */
    case 3: eoi(c, level, false); break;                 /* specific EOI */
    case 5: eoi(c, highest(c, c->isr), true); break;    /* rotate on non-specific EOI */
    case 4: c->rotate_on_aeoi = true; break;             /* rotate in AEOI mode (set) */
    case 0: c->rotate_on_aeoi = false; break;            /* ... (clear) */
    case 7: eoi(c, level, true); break;                  /* rotate on specific EOI */
    case 6: c->lowest = (uint8_t)level; break;           /* set priority */
    default: break;                                      /* 2: no operation */
    }
}

static void write_icw1(struct pic_chip *c, uint8_t v)
{
    c->init_step = 2;
    c->icw4_needed = v & 1;
    c->single = v & 2;
    c->ltim = v & 8;
    c->imr = 0;
    c->isr = 0;
    c->irr = 0;
    c->lowest = 7;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_on_aeoi = false;
    /* Edge sense reset: a line already high must fall and rise again. In
     * level mode the high line requests at once. */
    if (c->ltim)
        c->irr = c->level;
    if (!c->icw4_needed) {
        c->auto_eoi = false;
        c->sfnm = false;
    }
}

static void write_chip(struct pic *p, struct pic_chip *c, bool a0, uint8_t v)
{
    if (!a0) {
        if (v & 0x10)
            write_icw1(c, v);
        else if (v & 0x08) {          /* OCW3 */
            if (v & 0x02)
                c->read_isr = v & 0x01;
            c->poll = v & 0x04;
            if (v & 0x40)
                c->special_mask = v & 0x20;
        } else {
            write_ocw2(c, v);
        }
    } else {
        switch (c->init_step) {
        case 2:                        /* ICW2 */
            c->vector_base = v & 0xF8;
            c->init_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
            break;
        case 3:                        /* ICW3 */
            c->icw3 = v;
            c->init_step = c->icw4_needed ? 4 : 0;
            break;
        case 4:                        /* ICW4 */
            c->auto_eoi = v & 0x02;
            c->sfnm = v & 0x10;
            c->init_step = 0;
            break;
        default:                       /* OCW1 */
            c->imr = v;
            break;
        }
    }
    update(p);
}

/* Poll command: the next read is an INTA in disguise (datasheet "Poll
 * command"): bit 7 = request pending, bits 2-0 = its level. */
static uint8_t poll_chip(struct pic *p, int chip)
{
    struct pic_chip *c = &p->chip[chip];
    c->poll = false;
    int ir = ack_chip(c, chip == 0);
    update(p);
    return ir < 0 ? 0 : (uint8_t)(0x80 | ir);
}

static uint32_t pic_io_read(void *ctx, uint16_t port, int size)
{
    struct pic *p = ctx;
    (void)size;
    if (port == 0x4D0 || port == 0x4D1)
        return p->chip[port & 1].elcr;
    int chip = port >= 0xA0;
    struct pic_chip *c = &p->chip[chip];
    if (c->poll)
        return poll_chip(p, chip);
    if (port & 1)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

static void pic_io_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct pic *p = ctx;
    (void)size;
    if (port == 0x4D0 || port == 0x4D1) {
        struct pic_chip *c = &p->chip[port & 1];
        c->elcr = (uint8_t)val & c->elcr_mask;
        /* A line already high on a newly level-triggered input requests. */
        c->irr |= c->level & c->elcr;
        update(p);
        return;
    }
    int chip = port >= 0xA0;
    write_chip(p, &p->chip[chip], port & 1, (uint8_t)val);
}

void pic_reset(struct pic *p)
{
    for (int i = 0; i < 2; i++) {
        struct pic_chip *c = &p->chip[i];
        uint8_t level = c->level;
        *c = (struct pic_chip){ 0 };
        c->level = level;
        c->imr = 0xFF;
        c->lowest = 7;
        c->icw4_needed = true;
    }
    /* As a BIOS programs them: 8086 mode, vectors 0x08 and 0x70, slave on
     * master IR2 with ID 2. IRQ 0, 1, 2, 8 and 13 are edge-only. */
    p->chip[0].vector_base = 0x08;
    p->chip[0].icw3 = 1u << CASCADE_IR;
    p->chip[0].elcr_mask = 0xF8;
    p->chip[1].vector_base = 0x70;
    p->chip[1].icw3 = CASCADE_IR;
    p->chip[1].elcr_mask = 0xDE;
    update(p);
}

struct pic *pic_create(struct iobus *bus, struct events *ev,
                       void (*intr)(void *ctx, bool level), void *intr_ctx)
{
    struct pic *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ev = ev;
    p->intr = intr;
    p->intr_ctx = intr_ctx;
    struct io_handler h = { .read = pic_io_read, .write = pic_io_write, .ctx = p, .name = "pic" };
    if (iobus_register(bus, 0x20, 2, &h) || iobus_register(bus, 0xA0, 2, &h) ||
        iobus_register(bus, 0x4D0, 2, &h)) {
        iobus_release(bus, p);   /* ports claimed before the one that failed */
        free(p);
        return NULL;
    }
    pic_reset(p);
    return p;
}

void pic_destroy(struct pic *p)
{
    free(p);
}

void pic_get_regs(const struct pic *p, int chip, struct pic_regs *out)
{
    const struct pic_chip *c = &p->chip[chip & 1];
    out->irr = c->irr;
    out->isr = c->isr;
    out->imr = c->imr;
    out->vector_base = c->vector_base;
}
