/* A floppy disk controller (82077AA subset, PC/AT mode) at 0x3F2-0x3F5 and
 * 0x3F7 (SRA/SRB at 0x3F0/1 exist only in PS/2 mode; 0x3F6 is the IDE
 * controller's), on DMA channel 2 and IRQ 6, with one 1.44 MB 3.5" drive
 * (A:) backed by an image file. Reset leaves it as a BIOS would: out of
 * reset with DMA/IRQ enabled and no interrupt pending. Sectors
 * written by the guest are written through to the file at once; fdc_flush
 * makes them durable (the machine calls it at exit and on SIGINT/SIGTERM). */
#ifndef PAGODA_FDC_H
#define PAGODA_FDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/irq.h"

struct iobus;
struct vclock;
struct dma;
struct fdc;

#define FDC_IRQ 6
#define FDC_DMA_CHAN 2
#define FDC_IMAGE_BYTES (80u * 2u * 18u * 512u)   /* 1,474,560 */

struct fdc *fdc_create(struct iobus *bus, struct irq_line irq, struct dma *dma,
                       struct vclock *vc);
void fdc_destroy(struct fdc *f);   /* flushes and closes the image */
void fdc_reset(struct fdc *f);

/* Attach an image to drive 0: exactly FDC_IMAGE_BYTES long. rw = false
 * opens it read-only (writes then fail with Not Writable). Returns 0, or -1
 * with a message naming the file in err. */
int fdc_insert(struct fdc *f, const char *path, bool rw, char *err, size_t errlen);
/* fsync the image if it is writable. Safe to call from a signal handler's
 * deferred path (no allocation). Returns 0 or -1. */
int fdc_flush(struct fdc *f);

#endif
