/* The 8237A DMA controller pair of the PC/AT: DMA1 (channels 0-3, 8-bit,
 * ports 0x00-0x0F), DMA2 (channels 4-7, 16-bit, ports 0xC0-0xDF, channel 4
 * is the cascade) and the page registers at 0x81-0x8F. Addresses are
 * 24-bit: an 8-bit channel counts bytes inside the 64 KiB block its page
 * selects; a 16-bit channel counts words inside a 128 KiB block (page bit 0
 * ignored). DMA never reaches memory at or above 16 MiB. */
#ifndef PAGODA_DMA_H
#define PAGODA_DMA_H

#include <stdbool.h>
#include <stdint.h>

struct iobus;
struct phys;
struct events;
struct dma;

struct dma *dma_create(struct iobus *bus, struct phys *phys, struct events *ev);
void dma_destroy(struct dma *d);
/* Master clear of both chips: all channels masked, flip-flops and status cleared. */
void dma_reset(struct dma *d);

/* A device asserts DREQ on chan (0-3, 5-7) for len bytes. The channel's
 * mode register decides the direction: write transfer = buf -> memory,
 * read transfer = memory -> buf, verify = counts only. Moves bytes until
 * len is exhausted or terminal count; returns the bytes moved (0 if the
 * channel is masked). *tc (may be NULL) tells whether TC was reached. */
uint32_t dma_transfer(struct dma *d, int chan, void *buf, uint32_t len, bool *tc);
/* The channel would answer DREQ now (not masked). */
bool dma_ready(const struct dma *d, int chan);

/* For the monitor and UI: current 24-bit address (bytes) and remaining count
 * (transfer units minus one, as the 8237 holds it). */
struct dma_chan_regs {
    uint32_t phys;
    uint16_t count;
    uint8_t mode;
    bool masked;
};
void dma_get_regs(const struct dma *d, int chan, struct dma_chan_regs *out);

#endif
