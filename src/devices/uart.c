/* The 16550A UART. Facts from the National Semiconductor PC16550D
 * datasheet: registers at base+0..7 with DLAB (LCR bit 7) switching 0 and 1
 * to the divisor latch; interrupt priority line status > received data >
 * character timeout > THR empty > modem status (IIR 0x06/0x04/0x0C/0x02/
 * 0x00, bit 0 = no interrupt, bits 7:6 = 11 with FIFOs enabled); FCR bit 0
 * must be set for the other FCR bits to take; the loopback mode of MCR bit
 * 4 feeds THR to RBR and RTS/DTR/OUT1/OUT2 to CTS/DSR/RI/DCD (which is why
 * Linux's probe, MCR = 0x1A, expects MSR & 0xF0 = 0x90).
 *
 * On the PC the interrupt output reaches the IRQ line only while MCR OUT2
 * is set (the board's tri-state enable), and never in loopback, where OUT2
 * is internal.
 *
 * The transmitter is infinitely fast: a byte written to THR is on the host
 * FILE at once and THRE/TEMT never drop. The receiver is paced: host bytes
 * wait in a queue and enter the FIFO one character time apart (from the
 * divisor and LCR), so trigger levels and the timeout behave as on a line,
 * and a full FIFO holds the sender back instead of overrunning. */
#include "devices/uart.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/iobus.h"
#include "machine/vclock.h"

#define FIFO_SIZE 16

enum {
    LSR_DR = 0x01, LSR_OE = 0x02, LSR_BI = 0x10, LSR_THRE = 0x20, LSR_TEMT = 0x40,
    IER_RDA = 0x01, IER_THRE = 0x02, IER_RLS = 0x04, IER_MS = 0x08,
    MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10,
};

struct uart {
    struct vclock *vc;
    struct irq_line irq;
    int irq_num;
    FILE *out;
    uart_tap_fn tap;        /* sees every byte that leaves on the line */
    void *tap_ctx;
    int in_fd;
    bool in_eof;

    uint8_t rx[FIFO_SIZE];
    unsigned rx_head, rx_count;
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    uint8_t lsr_err;        /* OE (the only error a loopback can make) */
    uint8_t msr;            /* bits 7:4 lines, 3:0 deltas */
    bool fifo_on;
    uint8_t trigger;        /* 1, 4, 8 or 14 */
    bool thre_pending;      /* THR empty interrupt, until IIR read or THR write */
    bool timeout_pending;
    bool irq_level;
    uint64_t tx_count;

    /* Host input waiting to cross the line. */
    uint8_t *q;
    size_t q_head, q_len, q_cap;

    struct vtimer rx_timer;       /* next character off the line */
    struct vtimer timeout_timer;  /* character timeout (FIFO mode) */
};

static unsigned rx_capacity(const struct uart *u)
{
    return u->fifo_on ? FIFO_SIZE : 1;
}

/* Ticks per character frame: start + data + parity + stop bits at
 * 115200 / divisor baud. */
static uint64_t char_ticks(const struct uart *u)
{
    unsigned div = (unsigned)u->dll | (unsigned)u->dlm << 8;
    if (!div)
        div = 1;
    unsigned bits = 1 + 5 + (u->lcr & 3) + ((u->lcr & 8) ? 1 : 0) + ((u->lcr & 4) ? 2 : 1);
    uint64_t ns = (uint64_t)bits * div * 1000000000ull / 115200u;
    uint64_t t = vclock_ticks_from_ns(u->vc, ns);
    return t ? t : 1;
}

static uint8_t iir(const struct uart *u)
{
    uint8_t id;
    if ((u->ier & IER_RLS) && (u->lsr_err & LSR_OE))
        id = 0x06;
    else if ((u->ier & IER_RDA) && u->rx_count && u->rx_count >= (u->fifo_on ? u->trigger : 1u))
        id = 0x04;
    else if ((u->ier & IER_RDA) && u->timeout_pending)
        id = 0x0C;
    else if ((u->ier & IER_THRE) && u->thre_pending)
        id = 0x02;
    else if ((u->ier & IER_MS) && (u->msr & 0x0F))
        id = 0x00;
    else
        id = 0x01;
    return (uint8_t)(id | (u->fifo_on ? 0xC0 : 0));
}

static void update_irq(struct uart *u)
{
    bool level = !(iir(u) & 1) && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, u->irq_num, level);
    }
}

/* (Re)start the 4-character timeout while data sits below the trigger. */
static void rearm_timeout(struct uart *u)
{
    if (u->fifo_on && u->rx_count)
        vtimer_arm(u->vc, &u->timeout_timer, vclock_now(u->vc) + 4 * char_ticks(u));
    else
        vtimer_cancel(u->vc, &u->timeout_timer);
}

static void rx_push(struct uart *u, uint8_t b)
{
    if (u->rx_count == rx_capacity(u)) {
        u->lsr_err |= LSR_OE;     /* the shift register overwrites: byte lost */
        return;
    }
    u->rx[(u->rx_head + u->rx_count) % FIFO_SIZE] = b;
    u->rx_count++;
    u->timeout_pending = false;
    rearm_timeout(u);
}

static void kick_rx(struct uart *u)
{
    if (u->q_len && !u->rx_timer.armed && !(u->mcr & MCR_LOOP))
        vtimer_arm(u->vc, &u->rx_timer, vclock_now(u->vc) + char_ticks(u));
}

static void rx_timer_fired(void *ctx, uint64_t now)
{
    struct uart *u = ctx;
    (void)now;
    if (u->q_len && !(u->mcr & MCR_LOOP) && u->rx_count < rx_capacity(u)) {
        rx_push(u, u->q[u->q_head]);
        u->q_head = (u->q_head + 1) % u->q_cap;
        u->q_len--;
        update_irq(u);
    }
    /* A full FIFO holds the sender: try again a character later. */
    kick_rx(u);
}

static void timeout_fired(void *ctx, uint64_t now)
{
    struct uart *u = ctx;
    (void)now;
    if (u->fifo_on && u->rx_count) {
        u->timeout_pending = true;
        update_irq(u);
    }
}

static void set_msr_lines(struct uart *u, uint8_t lines)
{
    uint8_t old = u->msr & 0xF0, delta = 0;
    if ((old ^ lines) & 0x10) delta |= 0x01;            /* DCTS */
    if ((old ^ lines) & 0x20) delta |= 0x02;            /* DDSR */
    if ((old & 0x40) && !(lines & 0x40)) delta |= 0x04; /* TERI: trailing edge */
    if ((old ^ lines) & 0x80) delta |= 0x08;            /* DDCD */
    u->msr = (uint8_t)(lines | (u->msr & 0x0F) | delta);
}

/* Modem inputs: in loopback the MCR outputs, else a terminal that is
 * always there (CTS, DSR, DCD up; RI down). */
static void update_msr(struct uart *u)
{
    uint8_t lines;
    if (u->mcr & MCR_LOOP)
        lines = (uint8_t)(((u->mcr & MCR_RTS) ? 0x10 : 0) | ((u->mcr & MCR_DTR) ? 0x20 : 0) |
                          ((u->mcr & MCR_OUT1) ? 0x40 : 0) | ((u->mcr & MCR_OUT2) ? 0x80 : 0));
    else
        lines = 0xB0;
    set_msr_lines(u, lines);
}

static void clear_rx(struct uart *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
    u->timeout_pending = false;
    vtimer_cancel(u->vc, &u->timeout_timer);
}

static void transmit(struct uart *u, uint8_t b)
{
    u->tx_count++;
    if (u->mcr & MCR_LOOP) {
        rx_push(u, b);
    } else {
        if (u->out) {
            fputc(b, u->out);
            if (b == '\n')
                fflush(u->out);
        }
        if (u->tap)
            u->tap(u->tap_ctx, b);
    }
    /* The byte left THR at once: empty again, interrupt re-armed. */
    u->thre_pending = true;
}

static uint8_t read_rbr(struct uart *u)
{
    if (!u->rx_count)
        return 0;
    uint8_t b = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % FIFO_SIZE;
    u->rx_count--;
    u->timeout_pending = false;
    rearm_timeout(u);
    kick_rx(u);
    return b;
}

static uint32_t uart_io_read(void *ctx, uint16_t port, int size)
{
    struct uart *u = ctx;
    (void)size;
    uint8_t v;
    switch (port & 7) {
    case 0:
        v = (u->lcr & 0x80) ? u->dll : read_rbr(u);
        break;
    case 1:
        v = (u->lcr & 0x80) ? u->dlm : u->ier;
        break;
    case 2:
        v = iir(u);
        /* Reading IIR while THRE is the reported source clears it. */
        if ((v & 0x0F) == 0x02)
            u->thre_pending = false;
        break;
    case 3: v = u->lcr; break;
    case 4: v = u->mcr; break;
    case 5:
        v = (uint8_t)(u->lsr_err | LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0));
        u->lsr_err = 0;
        break;
    case 6:
        v = u->msr;
        u->msr &= 0xF0;
        break;
    default: v = u->scr; break;
    }
    update_irq(u);
    return v;
}

static void write_fcr(struct uart *u, uint8_t v)
{
    if (!(v & 1)) {
        if (u->fifo_on)
            clear_rx(u);
        u->fifo_on = false;
        return;
    }
    if (!u->fifo_on)
        clear_rx(u);          /* changing the FIFO mode empties it */
    u->fifo_on = true;
    if (v & 2)
        clear_rx(u);
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    u->trigger = levels[v >> 6];
    rearm_timeout(u);
}

static void uart_io_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct uart *u = ctx;
    (void)size;
    uint8_t v = (uint8_t)val;
    switch (port & 7) {
    case 0:
        if (u->lcr & 0x80)
            u->dll = v;
        else
            transmit(u, v);
        break;
    case 1:
        if (u->lcr & 0x80) {
            u->dlm = v;
        } else {
            /* Enabling the THRE interrupt with THR empty raises it at once
             * (Linux's UART_BUG_THRE probe relies on it). */
            if ((v & IER_THRE) && !(u->ier & IER_THRE))
                u->thre_pending = true;
            u->ier = v & 0x0F;
        }
        break;
    case 2: write_fcr(u, v); break;
    case 3: u->lcr = v; break;
    case 4: {
        bool was_loop = u->mcr & MCR_LOOP;
        u->mcr = v & 0x1F;
        update_msr(u);
        if (was_loop && !(u->mcr & MCR_LOOP))
            kick_rx(u);
        break;
    }
    case 5: break;            /* LSR is read-only (factory test only) */
    case 6: break;            /* MSR likewise */
    default: u->scr = v; break;
    }
    update_irq(u);
}

void uart_reset(struct uart *u)
{
    vtimer_cancel(u->vc, &u->rx_timer);
    vtimer_cancel(u->vc, &u->timeout_timer);
    /* Datasheet "reset" table: IER, FCR, LCR, MCR, LSR errors clear, IIR
     * 0x01, MSR deltas clear. The divisor is not reset; start at 115200. */
    u->ier = 0;
    u->lcr = 0;
    u->mcr = 0;
    u->lsr_err = 0;
    u->fifo_on = false;
    u->trigger = 1;
    u->thre_pending = false;
    clear_rx(u);
    u->dll = 1;
    u->dlm = 0;
    u->msr = 0;
    update_msr(u);
    u->msr &= 0xF0;
    if (u->irq_level) {
        u->irq_level = false;
        irq_set(&u->irq, u->irq_num, false);
    }
    kick_rx(u);
}

struct uart *uart_create(struct iobus *bus, uint16_t base, int irq_num,
                         struct irq_line irq, struct vclock *vc,
                         FILE *out, int in_fd)
{
    struct uart *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->vc = vc;
    u->irq = irq;
    u->irq_num = irq_num;
    u->out = out;
    u->in_fd = in_fd;
    vtimer_init(&u->rx_timer, rx_timer_fired, u);
    vtimer_init(&u->timeout_timer, timeout_fired, u);
    struct io_handler h = { .read = uart_io_read, .write = uart_io_write, .ctx = u,
                            .name = base == UART_COM2_BASE ? "com2" : "com1" };
    if (iobus_register(bus, base, 8, &h)) {
        iobus_release(bus, u);   /* ports claimed before the one that failed */
        free(u);
        return NULL;
    }
    uart_reset(u);
    return u;
}

void uart_destroy(struct uart *u)
{
    if (!u)
        return;
    vtimer_cancel(u->vc, &u->rx_timer);
    vtimer_cancel(u->vc, &u->timeout_timer);
    if (u->out)
        fflush(u->out);
    free(u->q);
    free(u);
}

static bool queue_grow(struct uart *u, size_t need)
{
    if (u->q_len + need <= u->q_cap)
        return true;
    size_t cap = u->q_cap ? u->q_cap : 256;
    while (cap < u->q_len + need)
        cap *= 2;
    uint8_t *nq = malloc(cap);
    if (!nq)
        return false;
    for (size_t i = 0; i < u->q_len; i++)
        nq[i] = u->q[(u->q_head + i) % u->q_cap];
    free(u->q);
    u->q = nq;
    u->q_cap = cap;
    u->q_head = 0;
    return true;
}

void uart_inject(struct uart *u, const void *buf, size_t len)
{
    if (!len || !queue_grow(u, len))
        return;
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++)
        u->q[(u->q_head + u->q_len + i) % u->q_cap] = b[i];
    u->q_len += len;
    kick_rx(u);
}

bool uart_poll(struct uart *u)
{
    if (u->in_fd < 0 || u->in_eof)
        return !u->in_eof;
    /* Only read what the FIFO can soon take, so host input back-pressures
     * instead of piling up (and stays readable by the next poll). */
    while (u->q_len < 4096) {
        struct pollfd pfd = { .fd = u->in_fd, .events = POLLIN };
        if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP)))
            break;
        uint8_t buf[256];
        ssize_t n = read(u->in_fd, buf, sizeof buf);
        if (n == 0) {
            u->in_eof = true;
            break;
        }
        if (n < 0) {
            if (errno != EINTR && errno != EAGAIN)
                u->in_eof = true;
            break;
        }
        uart_inject(u, buf, (size_t)n);
    }
    kick_rx(u);
    return !u->in_eof;
}

void uart_set_tap(struct uart *u, uart_tap_fn fn, void *ctx)
{
    u->tap = fn;
    u->tap_ctx = ctx;
}

uint64_t uart_tx_count(const struct uart *u)
{
    return u->tx_count;
}
