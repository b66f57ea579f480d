#include "native_pipe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int native_start(struct native_pipe *np, const char *path, char *err, size_t errlen)
{
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        execl(path, path, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    np->pid = pid;
    np->to = in[1];
    np->from = out[0];
    signal(SIGPIPE, SIG_IGN);   /* a dead executor shows as a short write, not a kill */
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int native_run(struct native_pipe *np, const struct diff_in *in, struct diff_out *out, uint32_t n)
{
    struct diff_batch_hdr h = { DIFF_MAGIC, n };
    if (write_full(np->to, &h, sizeof h) != 0 || write_full(np->to, in, sizeof *in * n) != 0)
        return -1;
    return read_full(np->from, out, sizeof *out * n);
}

int native_hello(struct native_pipe *np, struct diff_hello *hello)
{
    struct diff_batch_hdr h = { DIFF_MAGIC, DIFF_HELLO };
    if (write_full(np->to, &h, sizeof h) != 0)
        return -1;
    return read_full(np->from, hello, sizeof *hello);
}

int native_stop(struct native_pipe *np)
{
    struct diff_batch_hdr h = { DIFF_MAGIC, 0 };
    (void)write_full(np->to, &h, sizeof h);
    close(np->to);
    close(np->from);
    int st = 0;
    if (waitpid(np->pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
