/* The 8254 interval timer. Facts from the Intel 8254 datasheet (231164):
 * a count written is loaded into the counting element on the next CLK
 * pulse; modes 0-5 as below; a count of 0 means 2^16 (10^4 in BCD); the
 * counter-latch command and the read-back command (SC = 11) freeze the
 * count and/or status until read; the status byte is OUT, NULL COUNT, RW,
 * mode, BCD.
 *
 * Nothing ticks. Each channel remembers the CLK at which its count was
 * loaded (`base`) and derives count and OUT from the clocks elapsed since,
 * on demand. The clock is the virtual clock scaled to 1.193182 MHz. Only
 * channel 0 has a consumer of OUT edges (IRQ 0), so only it arms a timer. */
#include "devices/pit.h"

#include <stdlib.h>

#include "devices/iobus.h"
#include "machine/vclock.h"

enum { RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_WORD = 3 };

struct pit_chan {
    uint8_t mode;          /* 0-5 (6 and 7 fold onto 2 and 3) */
    uint8_t rw;            /* RW_LSB / RW_MSB / RW_WORD */
    bool bcd;
    uint32_t n;            /* initial count in binary, 1..modulus */
    bool loaded;           /* a count is in the counting element */
    uint64_t base;         /* CLK at which it was loaded (or the phase set) */
    uint64_t phase;        /* clocks already counted at base (0 after a load) */
    /* Modes 2 and 3: a count written while counting takes over at the end
     * of the current period (mode 2) or half-cycle (mode 3, where a switch
     * at the fall starts the new count in its low half: pending_phase). */
    bool pending;
    uint32_t pending_n;
    uint64_t pending_at, pending_phase;
    /* Gate low: modes 0 and 4 pause; 2 and 3 stop with OUT high. */
    bool gate;
    bool frozen;
    uint64_t frozen_e;
    uint16_t hold;         /* count shown while nothing is counting */
    bool idle_out;         /* OUT while nothing is counting */
    /* Access state. */
    bool write_msb_next, read_msb_next;
    uint8_t lsb_written;
    bool count_latched, status_latched, latch_msb_next;
    uint16_t latch;
    uint8_t status;
    bool null_count;       /* until the written count reaches the CE */
};

struct pit {
    struct pit_chan ch[3];
    struct vclock *vc;
    struct irq_line irq;
    struct vtimer timer;   /* channel 0's next OUT edge */
    bool timer_rising;
    bool out0;
    uint64_t irq0_count;
    uint8_t port61;        /* bits 0-3 as written */
};

static uint64_t pit_clock(const struct pit *p)
{
    unsigned __int128 t = (unsigned __int128)vclock_now(p->vc) * PIT_HZ;
    return (uint64_t)(t / ((uint64_t)p->vc->mhz * 1000000u));
}

/* First virtual tick at or after PIT clock c. */
static uint64_t vtick_of(const struct pit *p, uint64_t c)
{
    unsigned __int128 t = (unsigned __int128)c * ((uint64_t)p->vc->mhz * 1000000u);
    return (uint64_t)((t + PIT_HZ - 1) / PIT_HZ);
}

static uint32_t modulus(const struct pit_chan *c)
{
    return c->bcd ? 10000u : 65536u;
}

static uint16_t to_bcd(uint32_t v)
{
    return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12);
}

static uint32_t from_bcd(uint16_t v)
{
    return (v & 15) + (v >> 4 & 15) * 10 + (v >> 8 & 15) * 100 + (v >> 12 & 15) * 1000;
}

static void apply_pending(struct pit_chan *c, uint64_t t)
{
    if (c->pending && t >= c->pending_at) {
        c->n = c->pending_n;
        c->base = c->pending_at;
        c->phase = c->pending_phase;
        c->pending = false;
    }
}

/* Count (binary) and OUT of channel c at CLK t. */
static void chan_state(struct pit_chan *c, uint64_t t, uint32_t *value, bool *out)
{
    apply_pending(c, t);
    if (!c->loaded) {
        *value = c->hold;
        *out = c->idle_out;
        return;
    }
    if (!c->frozen && t < c->base) {
        /* Written but not yet in the counting element (one CLK): OUT is
         * unchanged, and a read already sees the new count, as a CPU
         * slower than the 8254's clock always does. */
        uint32_t n = c->n % modulus(c);
        *value = c->mode == 3 ? (n & ~1u) % modulus(c) : n;
        *out = c->idle_out;
        return;
    }
    uint64_t e = c->frozen ? c->frozen_e : t - c->base + c->phase;
    uint32_t n = c->n, m = modulus(c);
    switch (c->mode) {
    case 0:
    case 1:
        *value = (uint32_t)(((int64_t)n - (int64_t)(e % m) + m) % m);
        *out = e >= n;
        break;
    case 2: {
        uint64_t ph = e % n;
        *value = n - (uint32_t)ph;
        /* OUT low for the one clock the count is 1 (never for n = 1). */
        *out = c->frozen || n == 1 || ph != n - 1;
        break;
    }
    case 3: {
        /* Square wave: high for ceil(n/2) clocks, low for floor(n/2), the
         * count stepping down by two in each half. */
        uint64_t ph = e % n;
        uint32_t high = (n + 1) / 2;
        uint32_t even = n & ~1u;
        if (ph < high) {
            *out = true;
            *value = even - 2 * (uint32_t)ph;
        } else {
            *out = false;
            *value = even - 2 * (uint32_t)(ph - high);
        }
        if (*value == 0 || *value > n)
            *value = 2;
        if (c->frozen)
            *out = true;
        break;
    }
    default: /* 4, 5: one strobe clock when the count reaches 0 */
        *value = (uint32_t)(((int64_t)n - (int64_t)(e % m) + m) % m);
        *out = e != n;
        break;
    }
    if (*value >= m)
        *value -= m;
}

/* CLK of channel 0's next OUT edge after t that IRQ 0 cares about, or
 * UINT64_MAX; *rising tells its direction. */
static uint64_t next_edge(struct pit_chan *c, uint64_t t, bool *rising)
{
    apply_pending(c, t);
    if (!c->loaded || c->frozen || c->mode == 1 || c->mode == 5)
        return UINT64_MAX;
    uint64_t n = c->n;
    *rising = true;
    /* Before the load CLK, count edges from base (e = 0). A pending count
     * (modes 2, 3) always starts at the end of the current period, which
     * is the next rising edge computed below. */
    uint64_t e = t < c->base ? c->phase : t - c->base + c->phase;
    uint64_t origin = c->base - c->phase;   /* where e = 0 (modular arithmetic) */
    switch (c->mode) {
    case 0:
        return e < n ? origin + n : UINT64_MAX;
    case 4:
        return e < n + 1 ? origin + n + 1 : UINT64_MAX;
    case 2:
        return origin + (e / n + 1) * n;
    default: { /* 3 */
        uint64_t start = origin + e / n * n;
        uint64_t fall = start + (n + 1) / 2;
        uint64_t rise = start + n;
        if (t < fall && fall != rise) {
            *rising = false;
            return fall;
        }
        return rise;
    }
    }
}

static void set_out0(struct pit *p, bool level)
{
    if (level && !p->out0)
        p->irq0_count++;
    p->out0 = level;
    irq_set(&p->irq, 0, level);
}

static void schedule0(struct pit *p)
{
    bool rising = true;
    uint64_t e = next_edge(&p->ch[0], pit_clock(p), &rising);
    if (e == UINT64_MAX) {
        vtimer_cancel(p->vc, &p->timer);
        return;
    }
    p->timer_rising = rising;
    vtimer_arm(p->vc, &p->timer, vtick_of(p, e));
}

static void timer0_fired(void *ctx, uint64_t now)
{
    struct pit *p = ctx;
    (void)now;
    struct pit_chan *c = &p->ch[0];
    if (!p->timer_rising) {
        set_out0(p, false);
    } else if (c->mode == 2 || c->mode == 4) {
        /* The low clock before this edge is shorter than anything the CPU
         * can observe between timer runs: deliver it as one pulse. */
        p->out0 = false;
        irq_set(&p->irq, 0, false);
        set_out0(p, true);
    } else {
        set_out0(p, true);
    }
    schedule0(p);
}

/* Channel 0's OUT changed because of a register write: follow it now. */
static void out0_changed(struct pit *p)
{
    uint32_t v;
    bool out;
    chan_state(&p->ch[0], pit_clock(p), &v, &out);
    if (out != p->out0)
        set_out0(p, out);
    schedule0(p);
}

static void freeze_hold(struct pit_chan *c, uint64_t t)
{
    uint32_t v;
    bool out;
    chan_state(c, t, &v, &out);
    c->hold = (uint16_t)v;
    c->idle_out = out;
}

static void write_control(struct pit *p, uint8_t v)
{
    int sc = v >> 6;
    uint64_t t = pit_clock(p);
    if (sc == 3) {                                  /* read-back */
        for (int i = 0; i < 3; i++) {
            if (!(v & (2u << i)))
                continue;
            struct pit_chan *c = &p->ch[i];
            uint32_t val;
            bool out;
            chan_state(c, t, &val, &out);
            if (!(v & 0x10) && !c->status_latched) {
                bool null = !c->loaded || t < c->base || (c->pending && t < c->pending_at);
                if (c->null_count && !null)
                    c->null_count = false;
                c->status = (uint8_t)((out ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
                                      c->rw << 4 | c->mode << 1 | c->bcd);
                c->status_latched = true;
            }
            if (!(v & 0x20) && !c->count_latched) {
                c->latch = c->bcd ? to_bcd(val) : (uint16_t)val;
                c->count_latched = true;
                c->latch_msb_next = false;
            }
        }
        return;
    }
    struct pit_chan *c = &p->ch[sc];
    int rw = v >> 4 & 3;
    if (rw == RW_LATCH) {                           /* counter latch command */
        if (!c->count_latched) {
            uint32_t val;
            bool out;
            chan_state(c, t, &val, &out);
            c->latch = c->bcd ? to_bcd(val) : (uint16_t)val;
            c->count_latched = true;
            c->latch_msb_next = false;
        }
        return;
    }
    freeze_hold(c, t);
    c->rw = (uint8_t)rw;
    c->mode = v >> 1 & 7;
    if (c->mode > 5)
        c->mode -= 4;
    c->bcd = v & 1;
    c->loaded = false;
    c->pending = false;
    c->frozen = false;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->count_latched = false;
    c->status_latched = false;
    c->null_count = true;
    /* Datasheet: after a control word OUT is low in mode 0, high in all others. */
    c->idle_out = c->mode != 0;
    if (sc == 0)
        out0_changed(p);
}

/* A full count has been written. */
static void load_count(struct pit *p, int i, uint16_t raw)
{
    struct pit_chan *c = &p->ch[i];
    uint64_t t = pit_clock(p);
    uint32_t n = c->bcd ? from_bcd(raw) : raw;
    if (n == 0)
        n = modulus(c);
    c->null_count = true;
    bool periodic = c->mode == 2 || c->mode == 3;
    if (periodic && c->loaded && !c->frozen && t >= c->base) {
        /* Takes effect at the end of the current period. */
        uint64_t e = t - c->base + c->phase;
        uint64_t start = (c->base - c->phase) + e / c->n * c->n;
        c->pending = true;
        c->pending_n = n;
        c->pending_at = start + c->n;
        c->pending_phase = 0;
        uint64_t fall = start + (c->n + 1) / 2;
        if (c->mode == 3 && t < fall) {
            /* Mid high half: the new count starts its low half at the fall. */
            c->pending_at = fall;
            c->pending_phase = (n + 1) / 2;
        }
    } else if (c->mode == 1 || c->mode == 5) {
        /* Waits for a gate trigger; a running one-shot keeps its count. */
        if (!c->loaded)
            c->n = n;
        c->pending_n = n;
    } else {
        freeze_hold(c, t);
        c->n = n;
        c->loaded = true;
        c->base = t + 1;
        c->phase = 0;
        c->frozen = false;
        if (!c->gate && (c->mode == 0 || c->mode == 4 || periodic)) {
            c->frozen = true;
            c->frozen_e = 0;
        }
    }
    if (i == 0)
        out0_changed(p);
}

static void write_counter(struct pit *p, int i, uint8_t v)
{
    struct pit_chan *c = &p->ch[i];
    switch (c->rw) {
    case RW_LSB:
        load_count(p, i, v);
        break;
    case RW_MSB:
        load_count(p, i, (uint16_t)(v << 8));
        break;
    default:
        if (!c->write_msb_next) {
            c->lsb_written = v;
            c->write_msb_next = true;
            /* Mode 0: writing the first byte stops the count and OUT goes
             * low at once. */
            if (c->mode == 0) {
                freeze_hold(c, pit_clock(p));
                c->loaded = false;
                c->idle_out = false;
                if (i == 0)
                    out0_changed(p);
            }
        } else {
            c->write_msb_next = false;
            load_count(p, i, (uint16_t)(c->lsb_written | v << 8));
        }
        break;
    }
}

static uint8_t read_counter(struct pit *p, int i)
{
    struct pit_chan *c = &p->ch[i];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t val;
    bool *msb_next;
    if (c->count_latched) {
        val = c->latch;
        msb_next = &c->latch_msb_next;
    } else {
        uint32_t v;
        bool out;
        chan_state(c, pit_clock(p), &v, &out);
        val = c->bcd ? to_bcd(v) : (uint16_t)v;
        msb_next = &c->read_msb_next;
    }
    uint8_t byte;
    bool done = true;
    switch (c->rw) {
    case RW_LSB: byte = (uint8_t)val; break;
    case RW_MSB: byte = (uint8_t)(val >> 8); break;
    default:
        byte = *msb_next ? (uint8_t)(val >> 8) : (uint8_t)val;
        done = *msb_next;
        *msb_next = !*msb_next;
        break;
    }
    if (c->count_latched && done)
        c->count_latched = false;
    return byte;
}

static void set_gate(struct pit *p, int i, bool gate)
{
    struct pit_chan *c = &p->ch[i];
    if (gate == c->gate)
        return;
    uint64_t t = pit_clock(p);
    apply_pending(c, t);
    c->gate = gate;
    if (!gate) {
        if (c->loaded && t >= c->base && (c->mode == 0 || c->mode == 4 ||
                                          c->mode == 2 || c->mode == 3)) {
            c->frozen_e = t - c->base + c->phase;
            c->frozen = true;
        }
    } else {
        switch (c->mode) {
        case 0:
        case 4:
            if (c->frozen) {
                c->base = t;
                c->phase = c->frozen_e;
                c->frozen = false;
            }
            break;
        case 2:
        case 3:
            /* Rising gate reloads the count and restarts the period. */
            if (c->loaded) {
                if (c->pending) {
                    c->n = c->pending_n;
                    c->pending = false;
                }
                c->frozen = false;
                c->base = t + 1;
                c->phase = 0;
            }
            break;
        default:                                    /* 1, 5: trigger */
            if (c->pending_n)
                c->n = c->pending_n;
            if (c->n) {
                c->loaded = true;
                c->base = t + 1;
                c->phase = 0;
                c->null_count = false;
            }
            break;
        }
    }
    if (i == 0)
        out0_changed(p);
}

static uint8_t read_port61(struct pit *p)
{
    uint32_t v;
    bool out2;
    uint64_t t = pit_clock(p);
    chan_state(&p->ch[2], t, &v, &out2);
    /* Bit 4 toggles with each DRAM refresh request, every 15.085 us (18
     * PIT clocks, channel 1's BIOS programming). */
    return (uint8_t)((p->port61 & 0x0F) | ((t / 18) & 1) << 4 | (out2 ? 0x20 : 0));
}

static uint32_t pit_io_read(void *ctx, uint16_t port, int size)
{
    struct pit *p = ctx;
    (void)size;
    if (port == 0x61)
        return read_port61(p);
    if (port == 0x43)
        return 0xFF;                /* the control word register cannot be read */
    return read_counter(p, port - 0x40);
}

static void pit_io_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct pit *p = ctx;
    (void)size;
    uint8_t v = (uint8_t)val;
    if (port == 0x61) {
        p->port61 = v & 0x0F;
        set_gate(p, 2, v & 1);
    } else if (port == 0x43) {
        write_control(p, v);
    } else {
        write_counter(p, port - 0x40, v);
    }
}

void pit_reset(struct pit *p)
{
    vtimer_cancel(p->vc, &p->timer);
    for (int i = 0; i < 3; i++) {
        /* OUT high until programmed, so that the first control word
         * (mode 2 or 3, OUT high) makes no edge on IRQ 0. */
        p->ch[i] = (struct pit_chan){ .rw = RW_WORD, .idle_out = true };
        p->ch[i].gate = i != 2;     /* gates 0 and 1 are tied high */
    }
    p->port61 = 0;
    p->out0 = true;
    irq_set(&p->irq, 0, true);
}

struct pit *pit_create(struct iobus *bus, struct vclock *vc, struct irq_line irq)
{
    struct pit *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->vc = vc;
    p->irq = irq;
    vtimer_init(&p->timer, timer0_fired, p);
    struct io_handler h = { .read = pit_io_read, .write = pit_io_write, .ctx = p, .name = "pit" };
    if (iobus_register(bus, 0x40, 4, &h) || iobus_register(bus, 0x61, 1, &h)) {
        iobus_release(bus, p);   /* ports claimed before the one that failed */
        free(p);
        return NULL;
    }
    pit_reset(p);
    return p;
}

void pit_destroy(struct pit *p)
{
    if (!p)
        return;
    vtimer_cancel(p->vc, &p->timer);
    free(p);
}

bool pit_out(struct pit *p, int ch)
{
    uint32_t v;
    bool out;
    chan_state(&p->ch[ch], pit_clock(p), &v, &out);
    return out;
}

uint64_t pit_irq0_count(const struct pit *p)
{
    return p->irq0_count;
}
