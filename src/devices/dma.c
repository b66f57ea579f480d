/* The 8237A DMA pair. Facts from the Intel 8237A datasheet and the PC/AT
 * wiring: per channel a 16-bit base/current address and count (count holds
 * transfers minus one; TC when it rolls from 0 to 0xFFFF), a byte-pointer
 * flip-flop shared by the chip (LSB first), the mode register (bits 1-0
 * channel, 3-2 verify/write/read, 4 auto-init, 5 decrement, 7-6
 * demand/single/block/cascade), single-mask, all-mask, request, command and
 * status registers (status bits 3-0 TC, cleared by reading; 7-4 request),
 * master clear (everything masked). At TC without auto-init the channel
 * masks itself. The address counter is only 16 bits: the page register
 * supplies A23-A16 (A23-A17 for the 16-bit chip, which shifts the word
 * address left by one) and never changes during a transfer, so a transfer
 * wraps inside its 64 KiB (128 KiB) block and stays below 16 MiB.
 *
 * A device's request is served at once: a transfer is one call from the
 * device, in whatever mode (demand, single and block only differ in bus
 * sharing, which a sequential emulator does not have). */
#include "devices/dma.h"

#include <stdlib.h>
#include <string.h>

#include "devices/iobus.h"
#include "machine/events.h"
#include "mmu/phys.h"

enum { MODE_VERIFY = 0, MODE_WRITE = 1, MODE_READ = 2 };

struct dma_chan {
    uint16_t base_addr, base_count, addr, count;
    uint8_t mode;
    uint8_t page;
};

struct dma_chip {
    struct dma_chan ch[4];
    uint8_t command, status, request, mask;
    bool flip;                /* true: the next byte is the MSB */
};

struct dma {
    struct dma_chip chip[2];  /* 0: channels 0-3 (8-bit), 1: 4-7 (16-bit) */
    uint8_t pages[16];        /* 0x80-0x8F; the channels' own are mirrored */
    struct phys *phys;
    struct events *ev;
};

/* Page register port of each channel (PC/AT). */
static const uint8_t page_port[8] = { 0x87, 0x83, 0x81, 0x82, 0x8F, 0x8B, 0x89, 0x8A };

static void master_clear(struct dma_chip *c)
{
    c->command = 0;
    c->status = 0;
    c->request = 0;
    c->mask = 0x0F;
    c->flip = false;
}

void dma_reset(struct dma *d)
{
    for (int i = 0; i < 2; i++) {
        master_clear(&d->chip[i]);
        for (int j = 0; j < 4; j++) {
            uint8_t page = d->chip[i].ch[j].page;
            memset(&d->chip[i].ch[j], 0, sizeof d->chip[i].ch[j]);
            d->chip[i].ch[j].page = page;
        }
    }
    /* Channel 4 cascades DMA1 into DMA2: unmasked, cascade mode. */
    d->chip[1].ch[0].mode = 0xC0;
    d->chip[1].mask &= (uint8_t)~1u;
}

/* Register index (0-15) of a port on chip i, or -1 for the 16-bit chip's
 * odd ports, which are not decoded. */
static int reg_of(uint16_t port, int *chip)
{
    if (port < 0x10) {
        *chip = 0;
        return port;
    }
    *chip = 1;
    if (port & 1)
        return -1;
    return (port - 0xC0) >> 1;
}

static uint8_t rw_word(struct dma_chip *c, uint16_t *a, uint16_t *b, int write, uint8_t v)
{
    bool msb = c->flip;
    c->flip = !c->flip;
    if (write) {
        uint16_t w = msb ? (uint16_t)((*a & 0x00FF) | v << 8) : (uint16_t)((*a & 0xFF00) | v);
        *a = w;
        if (b)
            *b = w;
        return 0;
    }
    return msb ? (uint8_t)(*a >> 8) : (uint8_t)*a;
}

static uint32_t dma_io_read(void *ctx, uint16_t port, int size)
{
    struct dma *d = ctx;
    (void)size;
    if (port >= 0x80 && port <= 0x8F)
        return d->pages[port & 15];
    int ci;
    int r = reg_of(port, &ci);
    if (r < 0)
        return 0xFF;
    struct dma_chip *c = &d->chip[ci];
    if (r < 8) {
        struct dma_chan *ch = &c->ch[r >> 1];
        return rw_word(c, (r & 1) ? &ch->count : &ch->addr, NULL, 0, 0);
    }
    switch (r) {
    case 8: {                                   /* status: TC bits clear on read */
        uint8_t v = (uint8_t)(c->status | (c->request & 0x0F) << 4);
        c->status = 0;
        return v;
    }
    case 15: return 0xF0 | c->mask;             /* all-mask read-back */
    default: return 0x00;                        /* temporary register */
    }
}

static void dma_io_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct dma *d = ctx;
    (void)size;
    uint8_t v = (uint8_t)val;
    if (port >= 0x80 && port <= 0x8F) {
        d->pages[port & 15] = v;
        for (int i = 0; i < 8; i++)
            if (page_port[i] == port)
                d->chip[i >> 2].ch[i & 3].page = v;
        return;
    }
    int ci;
    int r = reg_of(port, &ci);
    if (r < 0)
        return;
    struct dma_chip *c = &d->chip[ci];
    if (r < 8) {
        struct dma_chan *ch = &c->ch[r >> 1];
        /* Writes load base and current together. */
        if (r & 1)
            rw_word(c, &ch->count, &ch->base_count, 1, v);
        else
            rw_word(c, &ch->addr, &ch->base_addr, 1, v);
        return;
    }
    switch (r) {
    case 8: c->command = v; break;
    case 9:
        if (v & 4)
            c->request |= (uint8_t)(1u << (v & 3));
        else
            c->request &= (uint8_t)~(1u << (v & 3));
        break;
    case 10:
        if (v & 4)
            c->mask |= (uint8_t)(1u << (v & 3));
        else
            c->mask &= (uint8_t)~(1u << (v & 3));
        break;
    case 11: c->ch[v & 3].mode = v; break;
    case 12: c->flip = false; break;
    case 13: master_clear(c); break;
    case 14: c->mask = 0; break;
    default: c->mask = v & 0x0F; break;         /* 15: write all mask bits */
    }
}

bool dma_ready(const struct dma *d, int chan)
{
    if (chan < 0 || chan > 7 || chan == 4)
        return false;
    const struct dma_chip *c = &d->chip[chan >> 2];
    int i = chan & 3;
    return !(c->mask & (1u << i)) && !(c->command & 0x04) && (c->ch[i].mode >> 6) != 3;
}

static void log_chunk(struct dma *d, int chan, uint32_t pa, uint32_t bytes, uint8_t mode)
{
    if (d->ev && bytes)
        events_push(d->ev, EV_DMA, (uint32_t)chan, pa, bytes, mode);
}

uint32_t dma_transfer(struct dma *d, int chan, void *buf, uint32_t len, bool *tc)
{
    if (tc)
        *tc = false;
    if (!dma_ready(d, chan))
        return 0;
    struct dma_chip *c = &d->chip[chan >> 2];
    int i = chan & 3;
    struct dma_chan *ch = &c->ch[i];
    bool wide = chan >= 4;
    unsigned unit = wide ? 2 : 1;
    int type = ch->mode >> 2 & 3;
    bool down = ch->mode & 0x20;
    uint8_t *p = buf;
    uint32_t moved = 0;
    while (len - moved >= unit) {
        /* Units in one contiguous run: to TC, to the block edge, to len. */
        uint32_t left = (uint32_t)ch->count + 1;
        uint32_t edge = down ? (uint32_t)ch->addr + 1 : 0x10000u - ch->addr;
        uint32_t n = (len - moved) / unit;
        if (n > left) n = left;
        if (n > edge) n = edge;
        uint32_t block = wide ? (uint32_t)(ch->page & 0xFE) << 16 : (uint32_t)ch->page << 16;
        uint32_t start = block | ((uint32_t)ch->addr << (wide ? 1 : 0));
        if (!down) {
            if (type == MODE_WRITE)
                phys_write_block(d->phys, start, p + moved, n * unit);
            else if (type == MODE_READ)
                phys_read_block(d->phys, start, p + moved, n * unit);
            log_chunk(d, chan, start, n * unit, ch->mode);
        } else {
            /* Each unit at the next lower address; bytes within a word
             * keep their order. */
            for (uint32_t k = 0; k < n; k++) {
                uint32_t pa = start - k * unit;
                if (type == MODE_WRITE)
                    phys_write_block(d->phys, pa, p + moved + k * unit, unit);
                else if (type == MODE_READ)
                    phys_read_block(d->phys, pa, p + moved + k * unit, unit);
            }
            log_chunk(d, chan, start - (n - 1) * unit, n * unit, ch->mode);
        }
        moved += n * unit;
        ch->addr = (uint16_t)(down ? ch->addr - n : ch->addr + n);
        ch->count = (uint16_t)(ch->count - n);
        if (n == left) {                          /* count rolled to 0xFFFF: TC */
            c->status |= (uint8_t)(1u << i);
            c->request &= (uint8_t)~(1u << i);
            if (tc)
                *tc = true;
            if (ch->mode & 0x10) {
                ch->addr = ch->base_addr;
                ch->count = ch->base_count;
            } else {
                c->mask |= (uint8_t)(1u << i);
            }
            break;
        }
    }
    return moved;
}

struct dma *dma_create(struct iobus *bus, struct phys *phys, struct events *ev)
{
    struct dma *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->phys = phys;
    d->ev = ev;
    struct io_handler h = { .read = dma_io_read, .write = dma_io_write, .ctx = d, .name = "dma" };
    if (iobus_register(bus, 0x00, 16, &h) || iobus_register(bus, 0xC0, 32, &h) ||
        iobus_register(bus, 0x81, 15, &h)) {
        iobus_release(bus, d);   /* ports claimed before the one that failed */
        free(d);
        return NULL;
    }
    dma_reset(d);
    return d;
}

void dma_destroy(struct dma *d)
{
    free(d);
}

void dma_get_regs(const struct dma *d, int chan, struct dma_chan_regs *out)
{
    memset(out, 0, sizeof *out);
    if (chan < 0 || chan > 7)
        return;
    const struct dma_chip *c = &d->chip[chan >> 2];
    const struct dma_chan *ch = &c->ch[chan & 3];
    if (chan >= 4)
        out->phys = (uint32_t)(ch->page & 0xFE) << 16 | (uint32_t)ch->addr << 1;
    else
        out->phys = (uint32_t)ch->page << 16 | ch->addr;
    out->count = ch->count;
    out->mode = ch->mode;
    out->masked = c->mask & (1u << (chan & 3));
}
