/* The SDL2 window: live page directory and tables, the physical frame map,
 * the TLB, the page-fault log, a translation walk-through and the guest's
 * serial console, while the guest runs in slices between frames.
 *
 * The UI only reads the machine (through the debugger and the rooms'
 * queries) and drives it with dbg_run; what the guest computes does not
 * depend on whether a window is open. See docs/ui.md. */
#ifndef PAGODA_UI_H
#define PAGODA_UI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/machine.h"

struct ui_config {
    int width, height;           /* window size (default 1280 x 800) */
    const char *font_path;       /* NULL: DejaVu Sans Mono from fonts-dejavu-core */
    int font_size;               /* points (default 13) */
    unsigned fps;                /* frames per second (default 30) */
    bool start_paused;           /* open the window with the guest stopped */
    bool close_on_stop;          /* close when the machine stops (exit port, halt) */
    volatile sig_atomic_t *signal_seen;   /* SIGINT/SIGTERM flag polled while running */
};

void ui_config_defaults(struct ui_config *cfg);

enum ui_outcome {
    UI_ERROR = -1,               /* no window: err says why (e.g. no display) */
    UI_CLOSED = 0,               /* the user closed the window (q, Esc, close box) */
    UI_MACHINE_STOPPED = 1,      /* the machine stopped: *res holds its report */
};

/* Open the window and own the run loop until the user closes it (or the
 * machine stops, with close_on_stop). res (may be NULL) gets the machine's
 * stop report when the result is UI_MACHINE_STOPPED, or the last one seen
 * if the machine stopped before the user closed the window. */
enum ui_outcome ui_run(struct machine *m, const struct ui_config *cfg,
                       struct machine_result *res, char *err, size_t errlen);

#endif
