/* The floppy disk controller: an Intel 82077AA in PC/AT mode with one
 * 3.5" 1.44 MB drive (80 cylinders, 2 heads, 18 sectors of 512 bytes).
 * Facts from the 82077AA datasheet (290166): DOR 0x3F2 (drive select,
 * !RESET, DMA gate = IRQ/DRQ enable in AT mode, motor enables), MSR 0x3F4
 * (RQM, DIO, NON-DMA, CB, drive busy), DSR 0x3F4 write (software reset,
 * data rate), FIFO 0x3F5, DIR 0x3F7 bit 7 (disk change), CCR 0x3F7 write
 * (data rate); command / execution / result phases; ST0-ST3 bits; after a
 * reset four SENSE INTERRUPT STATUS commands each return ST0 = 0xC0 | drive;
 * a read or write ends at terminal count (normal) or after sector EOT
 * without TC (abnormal, ST1 EN); the result's C/H/R/N name the sector after
 * the last one transferred; VERSION = 0x90, PART ID is not an 82077AA
 * command (invalid: 0x80); LOCK/UNLOCK answer LOCK << 4.
 *
 * The image is read and written in place: each sector the guest writes is
 * pwrite()n to the file before the command's result phase, so nothing
 * lives only in memory; fdc_flush() fsyncs. Commands complete on the
 * virtual clock after a short delay (FDC_EXEC_US), so a driver sees its
 * interrupt after the command, never inside the OUT that issued it. */
#include "devices/fdc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/dma.h"
#include "devices/iobus.h"
#include "machine/vclock.h"

#define CYLS 80
#define HEADS 2
#define SPT 18
#define SECTOR 512
#define FDC_EXEC_US 100

enum {
    MSR_RQM = 0x80, MSR_DIO = 0x40, MSR_NDMA = 0x20, MSR_CB = 0x10,
    ST0_AT = 0x40, ST0_IC_INVALID = 0x80, ST0_SE = 0x20, ST0_EC = 0x10,
    ST1_EN = 0x80, ST1_OR = 0x10, ST1_ND = 0x04, ST1_NW = 0x02, ST1_MA = 0x01,
    ST2_WC = 0x10, ST2_BC = 0x02,
    DOR_RESET_N = 0x04, DOR_DMA = 0x08,
};

enum phase { PH_COMMAND, PH_EXEC, PH_RESULT };

struct fdc {
    struct irq_line irq;
    struct dma *dma;
    struct vclock *vc;
    int fd;
    bool writable;

    uint8_t dor, tdr, rate;
    bool in_reset;
    enum phase phase;
    uint8_t cmd[16];
    unsigned cmd_len, cmd_need;
    uint8_t res[16];
    unsigned res_len, res_pos;
    bool int_pending, irq_level;
    bool result_int;          /* INT from a result phase: cleared by reading it */

    uint8_t pcn[4];
    uint8_t seek_done;        /* drives whose seek/recalibrate awaits SENSE INTERRUPT */
    uint8_t seek_st0[4];
    uint8_t drive_busy;       /* MSR bits 3-0 */
    unsigned reset_sense;     /* SENSE INTERRUPTs still owed after a reset */
    bool dskchg;

    uint8_t srt_hut, hlt_nd, config, pretrk, perp, eot_last;
    bool lock;

    /* The read/write/format in progress. */
    uint8_t op;               /* command code, low 5 bits */
    bool mt;
    int drive, head;
    uint8_t c, h, r, n, eot;
    uint8_t fmt_n, fmt_sc, fmt_fill;
    uint8_t sec[SECTOR];
    unsigned pio_pos;
    struct vtimer timer;      /* end of a read/write/format/read-ID delay */
    struct vtimer seek_timer; /* end of the seeks in progress */
    uint8_t seeking;          /* drives whose seek ends at seek_timer */
};

static bool non_dma(const struct fdc *f) { return f->hlt_nd & 1; }

static void update_irq(struct fdc *f)
{
    /* AT mode: the DOR's DMA gate bit also gates INT. */
    bool level = f->int_pending && (f->dor & DOR_DMA) && !f->in_reset;
    if (level != f->irq_level) {
        f->irq_level = level;
        irq_set(&f->irq, FDC_IRQ, level);
    }
}

static void raise_int(struct fdc *f)
{
    f->int_pending = true;
    update_irq(f);
}

static void lower_int(struct fdc *f)
{
    f->int_pending = false;
    update_irq(f);
}

static void enter_result(struct fdc *f, const uint8_t *res, unsigned n, bool with_int)
{
    memcpy(f->res, res, n);
    f->res_len = n;
    f->res_pos = 0;
    f->phase = PH_RESULT;
    f->result_int = with_int;
    if (with_int)
        raise_int(f);
}

static void to_command(struct fdc *f)
{
    f->phase = PH_COMMAND;
    f->cmd_len = 0;
    f->cmd_need = 0;
}

static void invalid(struct fdc *f)
{
    uint8_t r = ST0_IC_INVALID;
    enter_result(f, &r, 1, false);
}

/* Bytes in each command, by opcode (low 5 bits); 0 = invalid. */
static unsigned command_length(uint8_t b)
{
    switch (b & 0x1F) {
    case 0x03: return 3;                   /* SPECIFY */
    case 0x04: return 2;                   /* SENSE DRIVE STATUS */
    case 0x05: return 9;                   /* WRITE DATA */
    case 0x06: return 9;                   /* READ DATA */
    case 0x07: return 2;                   /* RECALIBRATE */
    case 0x08: return 1;                   /* SENSE INTERRUPT STATUS */
    case 0x0A: return 2;                   /* READ ID */
    case 0x0D: return 6;                   /* FORMAT TRACK */
    case 0x0E: return 1;                   /* DUMPREG */
    case 0x0F: return 3;                   /* SEEK */
    case 0x10: return 1;                   /* VERSION */
    case 0x12: return 2;                   /* PERPENDICULAR MODE */
    case 0x13: return 4;                   /* CONFIGURE */
    case 0x14: return 1;                   /* LOCK / UNLOCK */
    default: return 0;
    }
}

static bool media_ok(const struct fdc *f, int drive)
{
    /* One drive; the 1.44 MB format is MFM at 500 kb/s. */
    return drive == 0 && f->fd >= 0 && f->rate == 0;
}

static off_t sector_offset(uint8_t c, int head, uint8_t r)
{
    return ((off_t)(c * HEADS + head) * SPT + (r - 1)) * SECTOR;
}

static void finish_rw(struct fdc *f, uint8_t st0, uint8_t st1, uint8_t st2)
{
    uint8_t res[7] = { (uint8_t)(st0 | f->head << 2 | f->drive), st1, st2, f->c, f->h, f->r, f->n };
    f->eot_last = f->eot;
    enter_result(f, res, 7, true);
}

/* Step the ID to the sector after the one just transferred. Returns false
 * at the end of the track (EOT passed with no further head under MT). */
static bool next_sector(struct fdc *f)
{
    if (f->r != f->eot) {
        f->r++;
        return true;
    }
    f->r = 1;
    if (f->mt && f->head == 0) {
        f->head = 1;
        f->h = 1;
        return true;
    }
    if (f->mt)
        f->h = (uint8_t)(f->h ^ 1);
    f->c++;
    return false;
}

/* Check the ID the command asks for against what is under the head.
 * Returns 0 or the ST1 / ST2 error bits (as st1 | st2 << 8). */
static unsigned check_id(struct fdc *f)
{
    if (!media_ok(f, f->drive) || !(f->cmd[0] & 0x40))
        return ST1_MA;                     /* no disk / wrong rate / FM: no address marks */
    if (f->c != f->pcn[f->drive])
        return ST1_ND | (f->c == 0xFF ? ST2_BC : ST2_WC) << 8;
    if (f->pcn[f->drive] >= CYLS || f->h != f->head || f->n != 2 || f->r < 1 || f->r > SPT)
        return ST1_ND;
    return 0;
}

static bool read_sector(struct fdc *f)
{
    return pread(f->fd, f->sec, SECTOR, sector_offset(f->c, f->head, f->r)) == SECTOR;
}

static bool write_sector(struct fdc *f)
{
    return pwrite(f->fd, f->sec, SECTOR, sector_offset(f->c, f->head, f->r)) == SECTOR;
}

/* READ DATA / WRITE DATA by DMA: run to TC or to the end of the track. */
static void run_rw_dma(struct fdc *f)
{
    bool is_write = f->op == 0x05;
    for (;;) {
        unsigned err = check_id(f);
        if (err) {
            finish_rw(f, ST0_AT, (uint8_t)err, (uint8_t)(err >> 8));
            return;
        }
        if (is_write && !f->writable) {
            finish_rw(f, ST0_AT, ST1_NW, 0);
            return;
        }
        bool tc = false;
        if (!is_write && !read_sector(f)) {
            finish_rw(f, ST0_AT, ST1_ND, 0);
            return;
        }
        uint32_t moved = dma_transfer(f->dma, FDC_DMA_CHAN, f->sec, SECTOR, &tc);
        if (moved < SECTOR) {
            /* The DMA did not keep up (masked or short count): overrun. */
            finish_rw(f, ST0_AT, ST1_OR, 0);
            return;
        }
        if (is_write && !write_sector(f)) {
            finish_rw(f, ST0_AT, ST1_ND, 0);
            return;
        }
        bool more = next_sector(f);
        if (tc) {
            finish_rw(f, 0, 0, 0);
            return;
        }
        if (!more) {
            finish_rw(f, ST0_AT, ST1_EN, 0);
            return;
        }
    }
}

/* Non-DMA: open the next sector for the host to move through the FIFO. */
static void pio_start_sector(struct fdc *f)
{
    bool is_write = f->op == 0x05;
    unsigned err = check_id(f);
    if (!err && is_write && !f->writable)
        err = ST1_NW;
    if (!err && !is_write && !read_sector(f))
        err = ST1_ND;
    if (err) {
        finish_rw(f, ST0_AT, (uint8_t)err, (uint8_t)(err >> 8));
        return;
    }
    f->pio_pos = 0;
    f->phase = PH_EXEC;
    raise_int(f);              /* data request */
}

static void pio_sector_done(struct fdc *f)
{
    if (f->op == 0x05 && !write_sector(f)) {
        finish_rw(f, ST0_AT, ST1_ND, 0);
        return;
    }
    /* No TC reaches the FDC without DMA: a PIO transfer ends at EOT. */
    if (!next_sector(f)) {
        finish_rw(f, ST0_AT, ST1_EN, 0);
        return;
    }
    pio_start_sector(f);
}

static void run_read_id(struct fdc *f)
{
    uint8_t st0 = (uint8_t)(f->head << 2 | f->drive);
    if (!media_ok(f, f->drive) || !(f->cmd[0] & 0x40) || f->pcn[f->drive] >= CYLS) {
        uint8_t res[7] = { (uint8_t)(ST0_AT | st0), ST1_MA, 0, 0, 0, 0, 0 };
        enter_result(f, res, 7, true);
        return;
    }
    uint8_t res[7] = { st0, 0, 0, f->pcn[f->drive], (uint8_t)f->head, 1, 2 };
    enter_result(f, res, 7, true);
}

static void run_format(struct fdc *f)
{
    f->c = f->pcn[f->drive];
    f->h = (uint8_t)f->head;
    f->r = 1;
    f->n = 2;
    if (!media_ok(f, f->drive) || !(f->cmd[0] & 0x40) || f->c >= CYLS) {
        finish_rw(f, ST0_AT, ST1_MA, 0);
        return;
    }
    if (!f->writable) {
        finish_rw(f, ST0_AT, ST1_NW, 0);
        return;
    }
    if (f->fmt_n != 2 || f->fmt_sc != SPT) {
        finish_rw(f, ST0_AT, ST1_ND, 0);   /* only the 1.44 MB layout fits the image */
        return;
    }
    /* The host supplies C, H, R, N for each sector by DMA. */
    for (unsigned i = 0; i < f->fmt_sc; i++) {
        uint8_t id[4];
        bool tc;
        if (dma_transfer(f->dma, FDC_DMA_CHAN, id, 4, &tc) < 4) {
            finish_rw(f, ST0_AT, ST1_OR, 0);
            return;
        }
        if (id[1] < HEADS && id[2] >= 1 && id[2] <= SPT && id[0] == f->c) {
            memset(f->sec, f->fmt_fill, SECTOR);
            if (pwrite(f->fd, f->sec, SECTOR, sector_offset(id[0], id[1], id[2])) != SECTOR) {
                finish_rw(f, ST0_AT, ST1_ND, 0);
                return;
            }
        }
    }
    finish_rw(f, 0, 0, 0);
}

static void exec_fired(void *ctx, uint64_t now)
{
    struct fdc *f = ctx;
    (void)now;
    switch (f->op) {
    case 0x05:
    case 0x06:
        if (non_dma(f))
            pio_start_sector(f);
        else
            run_rw_dma(f);
        break;
    case 0x0A: run_read_id(f); break;
    case 0x0D: run_format(f); break;
    default: break;
    }
}

/* Seeks end: INT goes up; each drive stays busy in MSR until SENSE
 * INTERRUPT STATUS collects it. */
static void seek_fired(void *ctx, uint64_t now)
{
    struct fdc *f = ctx;
    (void)now;
    f->seek_done |= f->seeking;
    f->seeking = 0;
    raise_int(f);
}

static void schedule_exec(struct fdc *f)
{
    vtimer_arm(f->vc, &f->timer, vclock_now(f->vc) + vclock_ticks_from_ns(f->vc, FDC_EXEC_US * 1000u));
}

static void start_seek(struct fdc *f, int drive, int head, int target, bool recal)
{
    uint8_t st0 = (uint8_t)(ST0_SE | head << 2 | drive);
    if (recal) {
        /* Track 0 is found on the one drive there is; elsewhere the
         * controller gives up after its step pulses: equipment check. */
        if (drive == 0)
            f->pcn[drive] = 0;
        else
            st0 |= ST0_AT | ST0_EC;
    } else {
        f->pcn[drive] = (uint8_t)target;
    }
    /* Stepping with a disk in clears the disk-change latch. */
    if (drive == 0 && f->fd >= 0)
        f->dskchg = false;
    f->seek_st0[drive] = st0;
    f->drive_busy |= (uint8_t)(1u << drive);
    f->seeking |= (uint8_t)(1u << drive);
    /* The controller is free for other commands while the drive steps. */
    to_command(f);
    vtimer_arm(f->vc, &f->seek_timer,
               vclock_now(f->vc) + vclock_ticks_from_ns(f->vc, FDC_EXEC_US * 1000u));
}

static void sense_interrupt(struct fdc *f)
{
    if (f->reset_sense) {
        int drive = 4 - (int)f->reset_sense;
        f->reset_sense--;
        uint8_t res[2] = { (uint8_t)(0xC0 | drive), f->pcn[drive] };
        if (!f->reset_sense)
            lower_int(f);
        enter_result(f, res, 2, false);
        return;
    }
    for (int d = 0; d < 4; d++) {
        if (f->seek_done & (1u << d)) {
            f->seek_done &= (uint8_t)~(1u << d);
            f->drive_busy &= (uint8_t)~(1u << d);
            uint8_t res[2] = { f->seek_st0[d], f->pcn[d] };
            if (!f->seek_done)
                lower_int(f);
            enter_result(f, res, 2, false);
            return;
        }
    }
    invalid(f);
}

static void execute(struct fdc *f)
{
    uint8_t *c = f->cmd;
    uint8_t op = c[0] & 0x1F;
    f->op = op;
    switch (op) {
    case 0x03:                              /* SPECIFY */
        f->srt_hut = c[1];
        f->hlt_nd = c[2];
        to_command(f);
        break;
    case 0x04: {                            /* SENSE DRIVE STATUS -> ST3 */
        int drive = c[1] & 3, head = c[1] >> 2 & 1;
        uint8_t st3 = (uint8_t)(0x28 | head << 2 | drive);
        if (drive == 0 && f->pcn[0] == 0)
            st3 |= 0x10;                    /* track 0 */
        if (drive == 0 && f->fd >= 0 && !f->writable)
            st3 |= 0x40;                    /* write protected */
        enter_result(f, &st3, 1, false);
        break;
    }
    case 0x05:                              /* WRITE DATA */
    case 0x06:                              /* READ DATA */
        f->mt = c[0] & 0x80;
        f->drive = c[1] & 3;
        f->head = c[1] >> 2 & 1;
        f->c = c[2];
        f->h = c[3];
        f->r = c[4];
        f->n = c[5];
        f->eot = c[6];
        /* Implied seek (CONFIGURE EIS) moves the head to C first. */
        if ((f->config & 0x40) && f->drive == 0)
            f->pcn[0] = f->c;
        f->phase = PH_EXEC;
        schedule_exec(f);
        break;
    case 0x07:                              /* RECALIBRATE */
        start_seek(f, c[1] & 3, 0, 0, true);
        break;
    case 0x08:                              /* SENSE INTERRUPT STATUS */
        sense_interrupt(f);
        break;
    case 0x0A:                              /* READ ID */
        f->drive = c[1] & 3;
        f->head = c[1] >> 2 & 1;
        f->phase = PH_EXEC;
        schedule_exec(f);
        break;
    case 0x0D:                              /* FORMAT TRACK */
        f->drive = c[1] & 3;
        f->head = c[1] >> 2 & 1;
        f->fmt_n = c[2];
        f->fmt_sc = c[3];
        f->fmt_fill = c[5];
        f->phase = PH_EXEC;
        schedule_exec(f);
        break;
    case 0x0E: {                            /* DUMPREG */
        uint8_t res[10] = { f->pcn[0], f->pcn[1], f->pcn[2], f->pcn[3], f->srt_hut, f->hlt_nd,
                            f->eot_last, (uint8_t)((f->lock ? 0x80 : 0) | (f->perp & 0x3F)),
                            f->config, f->pretrk };
        enter_result(f, res, 10, false);
        break;
    }
    case 0x0F:                              /* SEEK */
        start_seek(f, c[1] & 3, c[1] >> 2 & 1, c[2], false);
        break;
    case 0x10: {                            /* VERSION: enhanced controller */
        uint8_t v = 0x90;
        enter_result(f, &v, 1, false);
        break;
    }
    case 0x12:                              /* PERPENDICULAR MODE */
        /* GAP and WGATE always load; the drive bits D3-D0 only with OW. */
        f->perp = (uint8_t)((f->perp & 0x3C) | (c[1] & 0x03));
        if (c[1] & 0x80)
            f->perp = (uint8_t)((f->perp & 0x03) | (c[1] & 0x3C));
        to_command(f);
        break;
    case 0x13:                              /* CONFIGURE */
        f->config = c[2];
        f->pretrk = c[3];
        to_command(f);
        break;
    case 0x14: {                            /* LOCK (bit 7 = 1) / UNLOCK */
        f->lock = c[0] & 0x80;
        uint8_t v = (uint8_t)(f->lock ? 0x10 : 0x00);
        enter_result(f, &v, 1, false);
        break;
    }
    default:
        invalid(f);
        break;
    }
}

static void write_fifo(struct fdc *f, uint8_t v)
{
    if (f->in_reset)
        return;
    if (f->phase == PH_EXEC) {
        if (non_dma(f) && f->op == 0x05 && f->pio_pos < SECTOR) {
            if (f->pio_pos == 0)
                lower_int(f);
            f->sec[f->pio_pos++] = v;
            if (f->pio_pos == SECTOR)
                pio_sector_done(f);
        }
        return;
    }
    if (f->phase == PH_RESULT)
        return;                              /* RQM with DIO set: not accepting */
    if (f->cmd_len == 0) {
        f->cmd_need = command_length(v);
        if (f->result_int)
            lower_int(f);
        if (!f->cmd_need) {
            f->cmd[0] = v;
            invalid(f);
            return;
        }
    }
    f->cmd[f->cmd_len++] = v;
    if (f->cmd_len == f->cmd_need)
        execute(f);
}

static uint8_t read_fifo(struct fdc *f)
{
    if (f->phase == PH_EXEC && non_dma(f) && f->op == 0x06 && f->pio_pos < SECTOR) {
        if (f->pio_pos == 0)
            lower_int(f);
        uint8_t v = f->sec[f->pio_pos++];
        if (f->pio_pos == SECTOR)
            pio_sector_done(f);
        return v;
    }
    if (f->phase != PH_RESULT)
        return 0;
    /* Reading the result clears the interrupt the result phase raised. */
    if (f->res_pos == 0 && f->result_int) {
        f->result_int = false;
        lower_int(f);
    }
    uint8_t v = f->res[f->res_pos++];
    if (f->res_pos == f->res_len)
        to_command(f);
    return v;
}

static uint8_t read_msr(const struct fdc *f)
{
    if (f->in_reset)
        return 0;
    uint8_t busy = f->drive_busy;
    switch (f->phase) {
    case PH_RESULT:
        return MSR_RQM | MSR_DIO | MSR_CB | busy;
    case PH_EXEC:
        if (non_dma(f) && (f->op == 0x05 || f->op == 0x06) && f->pio_pos < SECTOR &&
            !f->timer.armed)
            return (uint8_t)(MSR_RQM | MSR_NDMA | MSR_CB | (f->op == 0x06 ? MSR_DIO : 0) | busy);
        return MSR_CB | busy;
    default:
        return (uint8_t)(MSR_RQM | (f->cmd_len ? MSR_CB : 0) | busy);
    }
}

/* The controller's reset: registers to their reset values except those a
 * LOCK protects (CONFIGURE's FIFO settings and PRETRK). */
static void controller_reset(struct fdc *f)
{
    vtimer_cancel(f->vc, &f->timer);
    vtimer_cancel(f->vc, &f->seek_timer);
    f->seeking = 0;
    to_command(f);
    f->res_len = f->res_pos = 0;
    f->seek_done = 0;
    f->drive_busy = 0;
    f->result_int = false;
    f->int_pending = false;
    f->hlt_nd = 0;
    f->srt_hut = 0;
    f->perp = 0;
    if (!f->lock) {
        f->config = 0x20;                   /* FIFO disabled, polling on */
        f->pretrk = 0;
    }
    update_irq(f);
}

static void leave_reset(struct fdc *f)
{
    f->in_reset = false;
    /* Polling after reset reports a ready change on each of the four
     * drives: INT now, and four SENSE INTERRUPTs to collect it. */
    f->reset_sense = 4;
    raise_int(f);
}

static uint32_t fdc_io_read(void *ctx, uint16_t port, int size)
{
    struct fdc *f = ctx;
    (void)size;
    switch (port & 7) {
    case 2: return f->dor;
    case 3: return f->tdr;
    case 4: return read_msr(f);
    case 5: return read_fifo(f);
    case 7:                                   /* bits 6-0 belong to the IDE port */
        return (f->dskchg || (f->dor & 3)) ? 0x80 : 0x00;
    default: return 0xFF;
    }
}

static void fdc_io_write(void *ctx, uint16_t port, uint32_t val, int size)
{
    struct fdc *f = ctx;
    (void)size;
    uint8_t v = (uint8_t)val;
    switch (port & 7) {
    case 2: {
        bool was_reset = !(f->dor & DOR_RESET_N);
        f->dor = v;
        if (!(v & DOR_RESET_N)) {
            if (!was_reset) {
                controller_reset(f);
                f->in_reset = true;
            }
        } else if (was_reset) {
            leave_reset(f);
        }
        update_irq(f);
        break;
    }
    case 3: f->tdr = v & 3; break;
    case 4:                                   /* DSR */
        f->rate = v & 3;
        if (v & 0x80) {                      /* software reset, self-clearing */
            controller_reset(f);
            leave_reset(f);
        }
        break;
    case 5: write_fifo(f, v); break;
    case 7: f->rate = v & 3; break;          /* CCR */
    default: break;
    }
}

void fdc_reset(struct fdc *f)
{
    f->lock = false;
    controller_reset(f);
    /* As a BIOS leaves it: out of reset, DMA and IRQ enabled, motors off,
     * the reset interrupt already collected. */
    f->dor = DOR_RESET_N | DOR_DMA;
    f->in_reset = false;
    f->tdr = 0;
    f->rate = 0;
    f->reset_sense = 0;
    memset(f->pcn, 0, sizeof f->pcn);
    f->eot_last = 0;
    update_irq(f);
}

struct fdc *fdc_create(struct iobus *bus, struct irq_line irq, struct dma *dma,
                       struct vclock *vc)
{
    struct fdc *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->irq = irq;
    f->dma = dma;
    f->vc = vc;
    f->fd = -1;
    f->dskchg = true;
    vtimer_init(&f->timer, exec_fired, f);
    vtimer_init(&f->seek_timer, seek_fired, f);
    struct io_handler h = { .read = fdc_io_read, .write = fdc_io_write, .ctx = f, .name = "fdc" };
    if (iobus_register(bus, 0x3F2, 4, &h) || iobus_register(bus, 0x3F7, 1, &h)) {
        iobus_release(bus, f);   /* ports claimed before the one that failed */
        free(f);
        return NULL;
    }
    fdc_reset(f);
    return f;
}

int fdc_insert(struct fdc *f, const char *path, bool rw, char *err, size_t errlen)
{
    int fd = open(path, rw ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != FDC_IMAGE_BYTES) {
        snprintf(err, errlen, "%s: not a 1.44 MB floppy image (need exactly %u bytes)",
                 path, FDC_IMAGE_BYTES);
        close(fd);
        return -1;
    }
    if (f->fd >= 0) {
        fdc_flush(f);
        close(f->fd);
    }
    f->fd = fd;
    f->writable = rw;
    f->dskchg = true;                         /* a new disk: the latch says so */
    return 0;
}

int fdc_flush(struct fdc *f)
{
    if (!f || f->fd < 0 || !f->writable)
        return 0;
    return fsync(f->fd);
}

void fdc_destroy(struct fdc *f)
{
    if (!f)
        return;
    vtimer_cancel(f->vc, &f->timer);
    vtimer_cancel(f->vc, &f->seek_timer);
    if (f->fd >= 0) {
        fdc_flush(f);
        close(f->fd);
    }
    free(f);
}
