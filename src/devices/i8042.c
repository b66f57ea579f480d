/* The 8042 keyboard controller, a PS/2 keyboard behind it, and System
 * Control Port A (0x92). Facts from the IBM PC/AT technical reference and
 * the 8042 command set: status bits (OBF, IBF, SYS, A2, INH, AUXB, TO,
 * PERR), command byte (bit 0 IRQ 1, bit 1 IRQ 12, bit 2 SYS, bit 4 keyboard
 * off, bit 5 aux off, bit 6 translate), commands 0x20/0x60 RAM, 0xA7-0xAB,
 * 0xAA self-test -> 0x55, 0xC0 input port, 0xD0/0xD1 output port (bit 0
 * system reset, active low; bit 1 A20), 0xD2-0xD4, 0xF0-0xFF pulse output
 * port bits (0xFE pulses reset); keyboard commands answer 0xFA (ACK).
 * Port 0x92: bit 0 rising = fast reset, bit 1 = fast A20. No mouse is
 * attached: aux commands time out (status TO, data 0xFE), as an empty
 * PS/2 port does. */
#include "devices/i8042.h"

#include <stdlib.h>
#include <string.h>

#include "devices/iobus.h"

enum {
    ST_OBF = 0x01, ST_SYS = 0x04, ST_A2 = 0x08, ST_INH = 0x10, ST_AUXB = 0x20, ST_TO = 0x40,
    CB_KBD_INT = 0x01, CB_AUX_INT = 0x02, CB_SYS = 0x04, CB_KBD_OFF = 0x10, CB_AUX_OFF = 0x20,
    CB_XLATE = 0x40,
    OP_RESET = 0x01, OP_A20 = 0x02,
};

#define QSIZE 16

struct byteq {
    uint8_t b[QSIZE];
    unsigned head, len;
};

struct i8042 {
    struct i8042_callbacks cb;
    struct irq_line irq;
    uint8_t ram[32];          /* ram[0] is the command byte */
    uint8_t outport;
    uint8_t port92;
    bool a20;
    bool sys, a2, timeout;
    uint8_t obuf;
    bool obf, obuf_aux;
    uint8_t pending;          /* controller command waiting for its data byte */
    struct byteq ctrl, kbd, aux;
    struct byteq ctrl_aux;    /* 0xD3 bytes: the controller's own, marked as aux */
    /* the keyboard */
    uint8_t kbd_pending;      /* keyboard command waiting for its parameter */
    bool scanning;
    uint8_t scanset;
    bool xlate_break;         /* set-2 0xF0 seen, next code is a release */
    bool irq1, irq12;
};

static bool push(struct byteq *q, uint8_t b)
{
    if (q->len == QSIZE)
        return false;
    q->b[(q->head + q->len) % QSIZE] = b;
    q->len++;
    return true;
}

static bool pop(struct byteq *q, uint8_t *b)
{
    if (!q->len)
        return false;
    *b = q->b[q->head];
    q->head = (q->head + 1) % QSIZE;
    q->len--;
    return true;
}

/* Set 2 -> set 1 for the keys of a 101-key board (IBM translation table);
 * codes not listed pass unchanged. */
static uint8_t xlate(uint8_t c)
{
    static const uint8_t t[0x84][1] = {
        [0x76] = {0x01}, [0x16] = {0x02}, [0x1E] = {0x03}, [0x26] = {0x04}, [0x25] = {0x05},
        [0x2E] = {0x06}, [0x36] = {0x07}, [0x3D] = {0x08}, [0x3E] = {0x09}, [0x46] = {0x0A},
        [0x45] = {0x0B}, [0x4E] = {0x0C}, [0x55] = {0x0D}, [0x66] = {0x0E}, [0x0D] = {0x0F},
        [0x15] = {0x10}, [0x1D] = {0x11}, [0x24] = {0x12}, [0x2D] = {0x13}, [0x2C] = {0x14},
        [0x35] = {0x15}, [0x3C] = {0x16}, [0x43] = {0x17}, [0x44] = {0x18}, [0x4D] = {0x19},
        [0x54] = {0x1A}, [0x5B] = {0x1B}, [0x5A] = {0x1C}, [0x14] = {0x1D}, [0x1C] = {0x1E},
        [0x1B] = {0x1F}, [0x23] = {0x20}, [0x2B] = {0x21}, [0x34] = {0x22}, [0x33] = {0x23},
        [0x3B] = {0x24}, [0x42] = {0x25}, [0x4B] = {0x26}, [0x4C] = {0x27}, [0x52] = {0x28},
        [0x0E] = {0x29}, [0x12] = {0x2A}, [0x5D] = {0x2B}, [0x1A] = {0x2C}, [0x22] = {0x2D},
        [0x21] = {0x2E}, [0x2A] = {0x2F}, [0x32] = {0x30}, [0x31] = {0x31}, [0x3A] = {0x32},
        [0x41] = {0x33}, [0x49] = {0x34}, [0x4A] = {0x35}, [0x59] = {0x36}, [0x7C] = {0x37},
        [0x11] = {0x38}, [0x29] = {0x39}, [0x58] = {0x3A}, [0x05] = {0x3B}, [0x06] = {0x3C},
        [0x04] = {0x3D}, [0x0C] = {0x3E}, [0x03] = {0x3F}, [0x0B] = {0x40}, [0x83] = {0x41},
        [0x0A] = {0x42}, [0x01] = {0x43}, [0x09] = {0x44}, [0x77] = {0x45}, [0x7E] = {0x46},
        [0x6C] = {0x47}, [0x75] = {0x48}, [0x7D] = {0x49}, [0x7B] = {0x4A}, [0x6B] = {0x4B},
        [0x73] = {0x4C}, [0x74] = {0x4D}, [0x79] = {0x4E}, [0x69] = {0x4F}, [0x72] = {0x50},
        [0x7A] = {0x51}, [0x70] = {0x52}, [0x71] = {0x53}, [0x78] = {0x57}, [0x07] = {0x58},
    };
    if (c < 0x84 && t[c][0])
        return t[c][0];
    return c;
}

static void update_irq(struct i8042 *k)
{
    bool i1 = k->obf && !k->obuf_aux && (k->ram[0] & CB_KBD_INT);
    bool i12 = k->obf && k->obuf_aux && (k->ram[0] & CB_AUX_INT);
    if (i1 != k->irq1) {
        k->irq1 = i1;
        irq_set(&k->irq, I8042_KBD_IRQ, i1);
    }
    if (i12 != k->irq12) {
        k->irq12 = i12;
        irq_set(&k->irq, I8042_AUX_IRQ, i12);
    }
}

/* Move the next byte into the output buffer if it is free: controller
 * replies first, then the keyboard (unless disabled), then the aux port. */
static void refill(struct i8042 *k)
{
    if (!k->obf) {
        uint8_t b;
        if (pop(&k->ctrl, &b)) {
            k->obuf_aux = false;
        } else if (pop(&k->ctrl_aux, &b)) {
            k->obuf_aux = true;
        } else if (!(k->ram[0] & CB_KBD_OFF) && pop(&k->kbd, &b)) {
            k->obuf_aux = false;
        } else if (!(k->ram[0] & CB_AUX_OFF) && pop(&k->aux, &b)) {
            k->obuf_aux = true;
        } else {
            update_irq(k);
            return;
        }
        k->obuf = b;
        k->obf = true;
    }
    update_irq(k);
}

static void reply(struct i8042 *k, uint8_t b)
{
    push(&k->ctrl, b);
    refill(k);
}

/* A byte from the keyboard, through translation if the command byte asks. */
static void kbd_send(struct i8042 *k, uint8_t b)
{
    if (k->ram[0] & CB_XLATE) {
        if (b == 0xF0) {
            k->xlate_break = true;
            return;
        }
        b = xlate(b);
        if (k->xlate_break) {
            b |= 0x80;
            k->xlate_break = false;
        }
    }
    push(&k->kbd, b);
    refill(k);
}

static void update_a20(struct i8042 *k)
{
    bool a20 = (k->outport & OP_A20) || (k->port92 & 0x02);
    if (a20 != k->a20) {
        k->a20 = a20;
        if (k->cb.set_a20)
            k->cb.set_a20(k->cb.ctx, a20);
    }
}

static void system_reset(struct i8042 *k)
{
    if (k->cb.reset)
        k->cb.reset(k->cb.ctx);
}

static void write_outport(struct i8042 *k, uint8_t v)
{
    k->outport = v | OP_RESET;
    update_a20(k);
    if (!(v & OP_RESET))          /* bit 0 low asserts the CPU reset line */
        system_reset(k);
}

static uint8_t read_outport(const struct i8042 *k)
{
    uint8_t v = (uint8_t)((k->outport & (OP_RESET | OP_A20)) | 0xC0);
    if (k->obf && !k->obuf_aux)
        v |= 0x10;
    if (k->obf && k->obuf_aux)
        v |= 0x20;
    return v;
}

static void kbd_command(struct i8042 *k, uint8_t v)
{
    if (k->kbd_pending) {
        uint8_t cmd = k->kbd_pending;
        k->kbd_pending = 0;
        if (cmd == 0xF0) {
            kbd_send(k, 0xFA);
            if (v == 0)
                kbd_send(k, k->scanset);
            else if (v <= 3)
                k->scanset = v;
        } else {
            kbd_send(k, 0xFA);    /* LED state (0xED), typematic rate (0xF3) */
        }
        return;
    }
    switch (v) {
    case 0xFF:                    /* reset and self-test (BAT) */
        k->scanning = true;
        k->scanset = 2;
        kbd_send(k, 0xFA);
        kbd_send(k, 0xAA);
        break;
    case 0xF2:                    /* identify: MF2 keyboard */
        kbd_send(k, 0xFA);
        kbd_send(k, 0xAB);
        kbd_send(k, 0x83);
        break;
    case 0xF4: k->scanning = true; kbd_send(k, 0xFA); break;
    case 0xF5: k->scanning = false; kbd_send(k, 0xFA); break;
    case 0xF6: k->scanning = true; k->scanset = 2; kbd_send(k, 0xFA); break;
    case 0xED: case 0xF0: case 0xF3:
        k->kbd_pending = v;
        kbd_send(k, 0xFA);
        break;
    case 0xEE: kbd_send(k, 0xEE); break;   /* echo */
    default: kbd_send(k, 0xFE); break;     /* resend: not understood */
    }
}

/* No device on the aux port: every byte sent to it times out. */
static void aux_write(struct i8042 *k)
{
    k->timeout = true;
    push(&k->aux, 0xFE);
    refill(k);
}

static void write_data(struct i8042 *k, uint8_t v)
{
    k->a2 = false;
    uint8_t cmd = k->pending;
    k->pending = 0;
    if (cmd >= 0x60 && cmd <= 0x7F) {
        k->ram[cmd & 0x1F] = v;
        if (cmd == 0x60)
            k->sys = v & CB_SYS;
        refill(k);
        return;
    }
    switch (cmd) {
    case 0xD1: write_outport(k, v); break;
    /* The controller writes these into its output buffer itself, so a
     * disabled interface does not hold them back. */
    case 0xD2: push(&k->ctrl, v); refill(k); break;
    case 0xD3: push(&k->ctrl_aux, v); refill(k); break;
    case 0xD4: aux_write(k); break;
    default:
        kbd_command(k, v);
        break;
    }
}

static void write_command(struct i8042 *k, uint8_t v)
{
    k->a2 = true;
    k->pending = 0;
    if (v >= 0x20 && v <= 0x3F) {
        reply(k, k->ram[v & 0x1F]);
        return;
    }
    if ((v >= 0x60 && v <= 0x7F) || v == 0xD1 || v == 0xD2 || v == 0xD3 || v == 0xD4) {
        k->pending = v;
        return;
    }
    if (v >= 0xF0) {
        /* Pulse the output-port bits whose command bit is 0 (0xFE: reset). */
        if (!(v & 1))
            system_reset(k);
        return;
    }
    switch (v) {
    case 0xA7: k->ram[0] |= CB_AUX_OFF; break;
    case 0xA8: k->ram[0] &= (uint8_t)~CB_AUX_OFF; refill(k); break;
    case 0xA9: reply(k, 0x00); break;          /* aux interface test: OK */
    case 0xAA:                                 /* controller self-test */
        k->sys = true;
        reply(k, 0x55);
        break;
    case 0xAB: reply(k, 0x00); break;          /* keyboard interface test: OK */
    case 0xAD: k->ram[0] |= CB_KBD_OFF; break;
    case 0xAE: k->ram[0] &= (uint8_t)~CB_KBD_OFF; refill(k); break;
    case 0xC0: reply(k, 0x80); break;          /* input port: keyboard not inhibited */
    case 0xD0: reply(k, read_outport(k)); break;
    case 0xDD: write_outport(k, k->outport & (uint8_t)~OP_A20); break;
    case 0xDF: write_outport(k, k->outport | OP_A20); break;
    default: break;
    }
    update_irq(k);
}

static uint32_t i8042_io_read(void *ctx, uint16_t port, int size)
{
    struct i8042 *k = ctx;
    (void)size;
    switch (port) {
    case 0x60: {
        uint8_t v = k->obuf;
        if (k->obf) {
            k->obf = false;
            k->timeout = false;
            refill(k);
        }
        return v;
    }
    case 0x64:
        return (uint32_t)((k->obf ? ST_OBF : 0) | (k->sys ? ST_SYS : 0) | (k->a2 ? ST_A2 : 0) |
                          ST_INH | (k->obf && k->obuf_aux ? ST_AUXB : 0) |
                          (k->timeout ? ST_TO : 0));
    default: /* 0x92 */
        return k->port92;
    }
}

static void i8042_io_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct i8042 *k = ctx;
    (void)size;
    uint8_t v = (uint8_t)val;
    switch (port) {
    case 0x60: write_data(k, v); break;
    case 0x64: write_command(k, v); break;
    default: { /* 0x92 */
        bool reset = (v & 1) && !(k->port92 & 1);
        k->port92 = v & 0x03;
        update_a20(k);
        if (reset)
            system_reset(k);
        break;
    }
    }
}

void i8042_reset(struct i8042 *k)
{
    memset(k->ram, 0, sizeof k->ram);
    k->ram[0] = CB_XLATE | CB_SYS | CB_KBD_INT;
    k->sys = true;
    k->a2 = false;
    k->timeout = false;
    k->obf = false;
    k->obuf_aux = false;
    k->pending = 0;
    memset(&k->ctrl, 0, sizeof k->ctrl);
    memset(&k->kbd, 0, sizeof k->kbd);
    memset(&k->aux, 0, sizeof k->aux);
    memset(&k->ctrl_aux, 0, sizeof k->ctrl_aux);
    k->kbd_pending = 0;
    k->scanning = true;
    k->scanset = 2;
    k->xlate_break = false;
    k->outport = OP_RESET;
    k->port92 = 0;
    /* Tell the machine even if our own state did not change: memory may
     * have been left with A20 on by whoever ran before. */
    k->a20 = true;
    update_a20(k);
    update_irq(k);
}

struct i8042 *i8042_create(struct iobus *bus, struct irq_line irq,
                           const struct i8042_callbacks *cb)
{
    struct i8042 *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->irq = irq;
    struct i8042_callbacks none = { 0 };
    /* Reset without callbacks: creation tells the machine nothing. */
    i8042_reset(k);
    k->cb = cb ? *cb : none;
    struct io_handler h = { .read = i8042_io_read, .write = i8042_io_write, .ctx = k, .name = "i8042" };
    if (iobus_register(bus, 0x60, 1, &h) || iobus_register(bus, 0x64, 1, &h) ||
        iobus_register(bus, 0x92, 1, &h)) {
        iobus_release(bus, k);   /* ports claimed before the one that failed */
        free(k);
        return NULL;
    }
    return k;
}

void i8042_destroy(struct i8042 *k)
{
    free(k);
}

void i8042_key(struct i8042 *k, uint8_t scancode)
{
    if (k->scanning)
        kbd_send(k, scancode);
}

bool i8042_a20(const struct i8042 *k)
{
    return k->a20;
}

void i8042_set_a20(struct i8042 *k, bool enabled)
{
    if (enabled)
        k->outport |= OP_A20;
    else
        k->outport &= (uint8_t)~OP_A20;
    update_a20(k);
}
