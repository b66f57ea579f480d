/* The MC146818 RTC and CMOS RAM. Facts from the Motorola MC146818A data
 * sheet: time registers 0x00-0x09 (seconds, alarm seconds, minutes, alarm
 * minutes, hours, alarm hours, day of week 1-7 with Sunday = 1, date,
 * month, year); register A (UIP, divider, rate select: RS 1-2 = 256/128 Hz,
 * RS 3-15 = 65536 >> RS Hz), B (SET, PIE, AIE, UIE, SQWE, DM = binary,
 * 24/12, DSE), C (IRQF, PF, AF, UF; cleared by reading), D (VRT); alarm
 * bytes 0xC0-0xFF match any value; in 12-hour mode bit 7 of the hour is PM;
 * UIP rises 244 us before each update. The PC adds the century at 0x32 and
 * the BIOS's memory-size bytes.
 *
 * The clock is rtc_base (Unix seconds, UTC) plus virtual time since an
 * origin tick; nothing ticks. Flags are accumulated lazily up to "now"
 * whenever the guest looks, and a virtual timer is armed only while an
 * interrupt is enabled, so an idle machine has no RTC deadline. */
#include "devices/cmos.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/iobus.h"
#include "machine/vclock.h"

enum {
    REG_A = 0x0A, REG_B = 0x0B, REG_C = 0x0C, REG_D = 0x0D,
    REG_CENTURY = 0x32,
    A_UIP = 0x80,
    B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_DM = 0x04, B_24H = 0x02,
    C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10,
};

struct cmos {
    struct vclock *vc;
    struct irq_line irq;
    uint8_t ram[128];
    uint8_t index;
    bool nmi_masked;

    int64_t base;          /* Unix seconds at origin */
    uint64_t origin;       /* tick at which `base` began */
    int64_t frozen;        /* the time while SET holds the clock */
    uint64_t pf_phase;     /* tick the periodic divider started from */
    uint64_t evaluated;    /* flags are accumulated up to this tick */
    uint8_t flags;         /* PF | AF | UF pending in register C */
    bool irq_level;
    struct vtimer timer;
};

static uint64_t tps(const struct cmos *c)
{
    return (uint64_t)c->vc->mhz * 1000000u;
}

static bool binary(const struct cmos *c) { return c->ram[REG_B] & B_DM; }

static uint8_t enc(const struct cmos *c, int v)
{
    return binary(c) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int dec(const struct cmos *c, uint8_t v)
{
    return binary(c) ? v : (v >> 4) * 10 + (v & 15);
}

static uint8_t enc_hour(const struct cmos *c, int h)
{
    if (c->ram[REG_B] & B_24H)
        return enc(c, h);
    int h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(enc(c, h12) | (h >= 12 ? 0x80 : 0));
}

static int dec_hour(const struct cmos *c, uint8_t v)
{
    if (c->ram[REG_B] & B_24H)
        return dec(c, v);
    return dec(c, v & 0x7F) % 12 + ((v & 0x80) ? 12 : 0);
}

/* Seconds since the epoch at tick t. */
static int64_t seconds_at(const struct cmos *c, uint64_t t)
{
    if (c->ram[REG_B] & B_SET)
        return c->frozen;
    return c->base + (int64_t)((t - c->origin) / tps(c));
}

static void fields(int64_t secs, struct tm *tm)
{
    time_t tt = (time_t)secs;
    gmtime_r(&tt, tm);
}

/* Register value of time register i (0-9, 0x32) for the time secs. */
static uint8_t time_reg(const struct cmos *c, int i, int64_t secs)
{
    struct tm tm;
    fields(secs, &tm);
    switch (i) {
    case 0: return enc(c, tm.tm_sec);
    case 2: return enc(c, tm.tm_min);
    case 4: return enc_hour(c, tm.tm_hour);
    case 6: return enc(c, tm.tm_wday + 1);
    case 7: return enc(c, tm.tm_mday);
    case 8: return enc(c, tm.tm_mon + 1);
    case 9: return enc(c, (tm.tm_year + 1900) % 100);
    default: return enc(c, (tm.tm_year + 1900) / 100);   /* 0x32 */
    }
}

static bool is_time_reg(int i)
{
    switch (i) {
    case 0: case 2: case 4: case 6: case 7: case 8: case 9: case REG_CENTURY:
        return true;
    default:
        return false;
    }
}

static bool alarm_matches(const struct cmos *c, int64_t secs)
{
    static const int pairs[3][2] = { { 1, 0 }, { 3, 2 }, { 5, 4 } };
    for (int k = 0; k < 3; k++) {
        uint8_t a = c->ram[pairs[k][0]];
        if ((a & 0xC0) == 0xC0)
            continue;                     /* "don't care" */
        if (a != time_reg(c, pairs[k][1], secs))
            return false;
    }
    return true;
}

static unsigned periodic_rate(const struct cmos *c)
{
    unsigned rs = c->ram[REG_A] & 15;
    if (rs == 0)
        return 0;
    if (rs <= 2)
        return 256u >> (rs - 1);
    return 65536u >> rs;
}

/* Periodic boundaries crossed in (from, to]. */
static uint64_t periods(const struct cmos *c, uint64_t t)
{
    unsigned rate = periodic_rate(c);
    if (!rate || t < c->pf_phase)
        return 0;
    return (uint64_t)((unsigned __int128)(t - c->pf_phase) * rate / tps(c));
}

/* Bring PF/UF/AF up to tick `now`. */
static void accumulate(struct cmos *c, uint64_t now)
{
    uint64_t from = c->evaluated;
    if (now <= from)
        return;
    c->evaluated = now;
    if (periods(c, now) > periods(c, from))
        c->flags |= C_PF;
    if (c->ram[REG_B] & B_SET)
        return;
    int64_t s0 = seconds_at(c, from), s1 = seconds_at(c, now);
    if (s1 > s0) {
        c->flags |= C_UF;
        /* Each update compares the alarm; a day covers every pattern. */
        int64_t first = s1 - s0 > 86400 ? s1 - 86400 : s0 + 1;
        for (int64_t s = first; s <= s1 && !(c->flags & C_AF); s++)
            if (alarm_matches(c, s))
                c->flags |= C_AF;
    }
}

static uint8_t enabled_flags(const struct cmos *c)
{
    return c->flags & c->ram[REG_B] & (C_PF | C_AF | C_UF);
}

static void update_irq(struct cmos *c)
{
    /* The RTC's IRQ output stays asserted until register C is read. */
    bool level = enabled_flags(c) != 0;
    if (level != c->irq_level) {
        c->irq_level = level;
        irq_set(&c->irq, CMOS_IRQ, level);
    }
}

static void schedule(struct cmos *c)
{
    uint64_t now = vclock_now(c->vc), next = VCLOCK_NEVER;
    uint8_t b = c->ram[REG_B];
    if ((b & B_PIE) && periodic_rate(c)) {
        uint64_t k = periods(c, now) + 1;
        unsigned rate = periodic_rate(c);
        uint64_t t = c->pf_phase + (uint64_t)(((unsigned __int128)k * tps(c) + rate - 1) / rate);
        if (t < next)
            next = t;
    }
    if ((b & (B_AIE | B_UIE)) && !(b & B_SET)) {
        uint64_t t = c->origin + ((now - c->origin) / tps(c) + 1) * tps(c);
        if (t < next)
            next = t;
    }
    if (next == VCLOCK_NEVER)
        vtimer_cancel(c->vc, &c->timer);
    else
        vtimer_arm(c->vc, &c->timer, next);
}

static void timer_fired(void *ctx, uint64_t now)
{
    struct cmos *c = ctx;
    accumulate(c, now);
    update_irq(c);
    schedule(c);
}

/* Set the running clock to `secs` now, keeping the second's phase. */
static void set_time(struct cmos *c, int64_t secs, uint64_t now)
{
    if (c->ram[REG_B] & B_SET)
        c->frozen = secs;
    else
        c->base = secs - (int64_t)((now - c->origin) / tps(c));
}

static void write_time_reg(struct cmos *c, int i, uint8_t v, uint64_t now)
{
    struct tm tm;
    fields(seconds_at(c, now), &tm);
    switch (i) {
    case 0: tm.tm_sec = dec(c, v); break;
    case 2: tm.tm_min = dec(c, v); break;
    case 4: tm.tm_hour = dec_hour(c, v); break;
    case 6: return;                      /* derived from the date */
    case 7: tm.tm_mday = dec(c, v); break;
    case 8: tm.tm_mon = dec(c, v) - 1; break;
    case 9: tm.tm_year = (tm.tm_year + 1900) / 100 * 100 + dec(c, v) - 1900; break;
    default: tm.tm_year = dec(c, v) * 100 + (tm.tm_year + 1900) % 100 - 1900; break;
    }
    set_time(c, (int64_t)timegm(&tm), now);
}

static uint8_t read_reg(struct cmos *c, int i)
{
    uint64_t now = vclock_now(c->vc);
    if (is_time_reg(i))
        return time_reg(c, i, seconds_at(c, now));
    switch (i) {
    case REG_A: {
        uint8_t a = c->ram[REG_A] & 0x7F;
        uint64_t into = (now - c->origin) % tps(c);
        if (!(c->ram[REG_B] & B_SET) && into >= tps(c) - 244u * c->vc->mhz)
            a |= A_UIP;
        return a;
    }
    case REG_C: {
        accumulate(c, now);
        uint8_t v = c->flags | (enabled_flags(c) ? C_IRQF : 0);
        c->flags = 0;
        update_irq(c);
        schedule(c);
        return v;
    }
    case REG_D:
        return 0x80;                     /* VRT: the battery is good */
    default:
        return c->ram[i];
    }
}

static void write_reg(struct cmos *c, int i, uint8_t v)
{
    uint64_t now = vclock_now(c->vc);
    if (is_time_reg(i)) {
        write_time_reg(c, i, v, now);
        return;
    }
    switch (i) {
    case REG_A:
        accumulate(c, now);
        if ((v & 15) != (c->ram[REG_A] & 15))
            c->pf_phase = now;           /* the divider chain restarts */
        c->ram[REG_A] = v & 0x7F;
        break;
    case REG_B: {
        accumulate(c, now);
        bool was_set = c->ram[REG_B] & B_SET;
        if (!was_set && (v & B_SET))
            c->frozen = seconds_at(c, now);
        if (was_set && !(v & B_SET)) {
            c->base = c->frozen;
            c->origin = now;
        }
        /* SET also ends an update cycle: UIE is cleared (data sheet). */
        if (v & B_SET)
            v &= (uint8_t)~B_UIE;
        c->ram[REG_B] = v;
        break;
    }
    case REG_C:
    case REG_D:
        return;                          /* read-only */
    default:
        c->ram[i] = v;
        return;
    }
    update_irq(c);
    schedule(c);
}

static uint32_t cmos_io_read(void *ctx, uint16_t port, int size)
{
    struct cmos *c = ctx;
    (void)size;
    if (port == 0x70)
        return 0xFF;                     /* the index register is write-only */
    return read_reg(c, c->index);
}

static void cmos_io_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct cmos *c = ctx;
    (void)size;
    if (port == 0x70) {
        c->index = val & 0x7F;
        c->nmi_masked = val & 0x80;
    } else {
        write_reg(c, c->index, (uint8_t)val);
    }
}

static void checksum(struct cmos *c)
{
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2D; i++)
        sum += c->ram[i];
    c->ram[0x2E] = (uint8_t)(sum >> 8);
    c->ram[0x2F] = (uint8_t)sum;
}

void cmos_reset(struct cmos *c)
{
    uint64_t now = vclock_now(c->vc);
    accumulate(c, now);
    /* The RESET pin clears PIE, AIE, UIE, SQWE and the flags of C. */
    c->ram[REG_B] &= (uint8_t)~(B_PIE | B_AIE | B_UIE | 0x08);
    c->flags = 0;
    update_irq(c);
    schedule(c);
}

struct cmos *cmos_create(struct iobus *bus, struct vclock *vc,
                         struct irq_line irq, int64_t rtc_base)
{
    struct cmos *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->vc = vc;
    c->irq = irq;
    c->base = rtc_base;
    c->origin = vclock_now(vc);
    c->pf_phase = c->origin;
    c->evaluated = c->origin;
    vtimer_init(&c->timer, timer_fired, c);
    /* Power-on as a BIOS leaves it: 32.768 kHz divider, 1024 Hz rate,
     * 24-hour BCD. */
    c->ram[REG_A] = 0x26;
    c->ram[REG_B] = B_24H;
    checksum(c);
    struct io_handler h = { .read = cmos_io_read, .write = cmos_io_write, .ctx = c, .name = "cmos" };
    if (iobus_register(bus, 0x70, 2, &h)) {
        iobus_release(bus, c);   /* ports claimed before the one that failed */
        free(c);
        return NULL;
    }
    return c;
}

void cmos_destroy(struct cmos *c)
{
    if (!c)
        return;
    vtimer_cancel(c->vc, &c->timer);
    free(c);
}

void cmos_set_byte(struct cmos *c, uint8_t index, uint8_t val)
{
    index &= 0x7F;
    if (index < 0x0E)
        return;
    c->ram[index] = val;
    if (index >= 0x10 && index <= 0x2D)
        checksum(c);
}

uint8_t cmos_get_byte(const struct cmos *c, uint8_t index)
{
    return c->ram[index & 0x7F];
}

void cmos_set_memory(struct cmos *c, uint64_t ram_bytes)
{
    uint64_t ext = ram_bytes > (1u << 20) ? (ram_bytes - (1u << 20)) / 1024 : 0;
    if (ext > 0xFFFF)
        ext = 0xFFFF;
    uint64_t high = ram_bytes > (16u << 20) ? (ram_bytes - (16u << 20)) / 65536 : 0;
    if (high > 0xFFFF)
        high = 0xFFFF;
    c->ram[0x15] = 640 & 0xFF;
    c->ram[0x16] = 640 >> 8;
    c->ram[0x17] = c->ram[0x30] = (uint8_t)ext;
    c->ram[0x18] = c->ram[0x31] = (uint8_t)(ext >> 8);
    c->ram[0x34] = (uint8_t)high;
    c->ram[0x35] = (uint8_t)(high >> 8);
    checksum(c);
}

bool cmos_nmi_masked(const struct cmos *c)
{
    return c->nmi_masked;
}
