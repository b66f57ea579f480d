/* Talks to the 32-bit native executor (tests/diff/native/native32.c) over
 * a pair of pipes: a batch of struct diff_in out, struct diff_out back. */
#ifndef PAGODA_DIFF_NATIVE_PIPE_H
#define PAGODA_DIFF_NATIVE_PIPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diff_case.h"

struct native_pipe {
    pid_t pid;
    int to, from;   /* write end of its stdin, read end of its stdout */
};

/* Start the executor at path. Returns 0, or -1 with a message in err. */
int native_start(struct native_pipe *np, const char *path, char *err, size_t errlen);
/* The executor's segment selectors. Returns 0 or -1. */
int native_hello(struct native_pipe *np, struct diff_hello *h);
/* Run n cases. Returns 0, or -1 if the executor died or misbehaved. */
int native_run(struct native_pipe *np, const struct diff_in *in, struct diff_out *out, uint32_t n);
/* Ask it to exit and reap it; returns its exit status. */
int native_stop(struct native_pipe *np);

#endif
