/* The GDB remote serial protocol ("Debugging with GDB", appendix E):
 * packets $data#checksum acknowledged with '+', one connection at a time,
 * bound to the loopback interface only (anyone who can connect can read
 * and write guest memory). Running is done in slices so that a Ctrl-C
 * (a bare 0x03 byte) from gdb is noticed between them. */
#define _GNU_SOURCE   /* accept4 */
#include "debug/gdbstub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "mmu/paging.h"
#include "mmu/phys.h"

#define GDB_PACKET_MAX 4096
#define GDB_RUN_SLICE 1000000u   /* instructions between looks for Ctrl-C */
#define GDB_NREGS 16

struct gdbstub {
    struct debugger *d;
    int listen_fd;
    int fd;                       /* the connection, -1 if none */
    bool interrupted;             /* Ctrl-C arrived while running */
    bool machine_stopped;
    struct machine_result res;
};

struct gdbstub *gdbstub_listen(struct debugger *d, uint16_t port, uint16_t *bound,
                               char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "gdbstub: socket: %s", strerror(errno));
        return NULL;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0) {
        snprintf(err, errlen, "gdbstub: 127.0.0.1:%u: %s", port, strerror(errno));
        close(fd);
        return NULL;
    }
    socklen_t alen = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &alen);
    if (bound)
        *bound = ntohs(a.sin_port);
    struct gdbstub *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "gdbstub: out of host memory");
        close(fd);
        return NULL;
    }
    g->d = d;
    g->listen_fd = fd;
    g->fd = -1;
    return g;
}

void gdbstub_close(struct gdbstub *g)
{
    if (!g)
        return;
    if (g->fd >= 0)
        close(g->fd);
    close(g->listen_fd);
    free(g);
}

/* ---- encoding helpers ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse hex up to a non-hex character; returns the number of digits. */
static int parse_hex(const char *s, const char *end, uint32_t *v)
{
    int n = 0;
    uint32_t x = 0;
    while (s + n < end && hexval(s[n]) >= 0 && n < 8)
        x = x << 4 | (uint32_t)hexval(s[n++]);
    *v = x;
    return n;
}

static void put_le32(char *out, uint32_t v)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 4; i++, v >>= 8) {
        out[2 * i] = hx[(v >> 4) & 0xf];
        out[2 * i + 1] = hx[v & 0xf];
    }
}

static bool get_le32(const char *in, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        x |= (uint32_t)(hi << 4 | lo) << (8 * i);
    }
    *v = x;
    return true;
}

/* ---- registers (gdb's i386 numbering) ---- */

static const enum cpu_seg seg_order[6] = { S_CS, S_SS, S_DS, S_ES, S_FS, S_GS };

static uint32_t reg_get(struct gdbstub *g, int n)
{
    struct cpu *c = g->d->m->cpu;
    if (n < 8)
        return cpu_get_reg(c, (enum cpu_reg)n);   /* eax ecx edx ebx esp ebp esi edi */
    if (n == 8)
        return cpu_get_eip(c);
    if (n == 9)
        return cpu_get_eflags(c);
    return cpu_get_seg(c, seg_order[n - 10]).sel;
}

/* Segment registers are read-only here: a selector alone cannot load the
 * descriptor cache without the CPU's checks. Writing the value they hold is
 * accepted (gdb writes back the whole set). */
static bool reg_set(struct gdbstub *g, int n, uint32_t v)
{
    struct cpu *c = g->d->m->cpu;
    if (n < 8)
        cpu_set_reg(c, (enum cpu_reg)n, v);
    else if (n == 8)
        cpu_set_eip(c, v);
    else if (n == 9)
        cpu_set_eflags(c, v);
    else if (n < GDB_NREGS)
        return cpu_get_seg(c, seg_order[n - 10]).sel == (v & 0xffff);
    else
        return false;
    return true;
}

/* ---- memory (linear addresses) ---- */

static bool lin_to_phys(struct gdbstub *g, uint32_t lin, uint32_t *pa)
{
    struct paging_walk w;
    /* a probe: the debugger's look sets no A/D bit; writes go where a
     * supervisor write would, read-only pages included (as a debugger must
     * to plant code) */
    if (!paging_probe(&g->d->m->mmu, lin, MMU_READ | MMU_SUPER, &w))
        return false;
    *pa = w.phys;
    return phys_kind_at(g->d->m->phys, w.phys) != PHYS_MMIO;
}

static size_t mem_read(struct gdbstub *g, uint32_t addr, uint32_t len, char *reply, size_t cap)
{
    static const char hx[] = "0123456789abcdef";
    size_t n = 0;
    for (uint32_t i = 0; i < len && n + 2 < cap; i++) {
        uint32_t pa;
        if (!lin_to_phys(g, addr + i, &pa))
            break;
        uint8_t b;
        phys_read_block(g->d->m->phys, pa, &b, 1);
        reply[n++] = hx[b >> 4];
        reply[n++] = hx[b & 15];
    }
    if (!n && len)
        return (size_t)snprintf(reply, cap, "E14");   /* EFAULT */
    return n;
}

static size_t mem_write(struct gdbstub *g, uint32_t addr, uint32_t len, const char *hex,
                        const char *end, char *reply, size_t cap)
{
    if ((size_t)(end - hex) < 2u * len)
        return (size_t)snprintf(reply, cap, "E22");
    for (uint32_t i = 0; i < len; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        uint32_t pa;
        if (hi < 0 || lo < 0)
            return (size_t)snprintf(reply, cap, "E22");
        if (!lin_to_phys(g, addr + i, &pa))
            return (size_t)snprintf(reply, cap, "E14");
        uint8_t b = (uint8_t)(hi << 4 | lo);
        phys_write_block(g->d->m->phys, pa, &b, 1);
    }
    return (size_t)snprintf(reply, cap, "OK");
}

/* ---- running ---- */

static bool interrupt_pending(struct gdbstub *g)
{
    if (g->fd < 0)
        return false;
    struct pollfd p = { .fd = g->fd, .events = POLLIN };
    if (poll(&p, 1, 0) <= 0)
        return false;
    char c;
    if (recv(g->fd, &c, 1, MSG_PEEK) == 1 && c == 0x03) {
        if (recv(g->fd, &c, 1, 0) < 0)
            return false;
        return true;
    }
    return false;
}

static size_t stop_reply(struct gdbstub *g, enum dbg_stop why, char *reply, size_t cap)
{
    if (why == DBG_STOP_MACHINE) {
        g->machine_stopped = true;
        return (size_t)snprintf(reply, cap, "W%02x", g->res.exit_status & 0xff);
    }
    return (size_t)snprintf(reply, cap, "S%02x", g->interrupted ? 2 /* SIGINT */ : 5 /* SIGTRAP */);
}

static size_t run(struct gdbstub *g, bool step, char *reply, size_t cap)
{
    g->interrupted = false;
    if (step)
        return stop_reply(g, dbg_run(g->d, 1, 0, &g->res, NULL), reply, cap);
    for (;;) {
        enum dbg_stop why = dbg_run(g->d, GDB_RUN_SLICE, 0, &g->res, NULL);
        if (why != DBG_STOP_DONE)
            return stop_reply(g, why, reply, cap);
        if (interrupt_pending(g)) {
            g->interrupted = true;
            return stop_reply(g, why, reply, cap);
        }
        if (g->d->signal_seen && *g->d->signal_seen) {
            g->interrupted = true;
            return stop_reply(g, why, reply, cap);
        }
    }
}

/* Z0/z0/Z1/z1 addr,kind */
static size_t breakpoint(struct gdbstub *g, const char *p, const char *end, bool insert,
                         char *reply, size_t cap)
{
    if (end - p < 3 || (p[1] != '0' && p[1] != '1') || p[2] != ',')
        return 0;   /* watchpoints (Z2-Z4): unsupported, empty reply */
    uint32_t addr;
    if (!parse_hex(p + 3, end, &addr))
        return (size_t)snprintf(reply, cap, "E22");
    if (insert)
        return (size_t)snprintf(reply, cap, dbg_break_add(g->d, addr) >= 0 ? "OK" : "E28");
    for (int i = 0; i < DBG_MAX_BREAKS; i++)
        if (g->d->brk[i].used && g->d->brk[i].lin == addr)
            dbg_break_delete(g->d, i);
    return (size_t)snprintf(reply, cap, "OK");
}

size_t gdbstub_handle(struct gdbstub *g, const char *pkt, size_t len, char *reply, size_t cap)
{
    const char *end = pkt + len;
    uint32_t a, b;
    int n;
    if (!len || cap < 2 * 4 * GDB_NREGS + 1)
        return 0;
    switch (pkt[0]) {
    case '?':
        return (size_t)snprintf(reply, cap, "S05");
    case 'g':
        for (int r = 0; r < GDB_NREGS; r++)
            put_le32(reply + 8 * r, reg_get(g, r));
        return 8 * GDB_NREGS;
    case 'G':
        if (len < 1 + 8 * GDB_NREGS)
            return (size_t)snprintf(reply, cap, "E22");
        for (int r = 0; r < GDB_NREGS; r++) {
            uint32_t v;
            if (!get_le32(pkt + 1 + 8 * r, &v) || !reg_set(g, r, v))
                return (size_t)snprintf(reply, cap, "E22");
        }
        return (size_t)snprintf(reply, cap, "OK");
    case 'p':
        if (!parse_hex(pkt + 1, end, &a))
            return (size_t)snprintf(reply, cap, "E22");
        if (a >= GDB_NREGS)
            return (size_t)snprintf(reply, cap, "E22");
        put_le32(reply, reg_get(g, (int)a));
        return 8;
    case 'P': {
        n = parse_hex(pkt + 1, end, &a);
        uint32_t v;
        if (!n || pkt[1 + n] != '=' || end - (pkt + 2 + n) < 8 || !get_le32(pkt + 2 + n, &v) ||
            !reg_set(g, (int)a, v))
            return (size_t)snprintf(reply, cap, "E22");
        return (size_t)snprintf(reply, cap, "OK");
    }
    case 'm':
        n = parse_hex(pkt + 1, end, &a);
        if (!n || pkt[1 + n] != ',' || !parse_hex(pkt + 2 + n, end, &b))
            return (size_t)snprintf(reply, cap, "E22");
        return mem_read(g, a, b, reply, cap);
    case 'M': {
        n = parse_hex(pkt + 1, end, &a);
        if (!n || pkt[1 + n] != ',')
            return (size_t)snprintf(reply, cap, "E22");
        const char *q = pkt + 2 + n;
        int k = parse_hex(q, end, &b);
        if (!k || q[k] != ':')
            return (size_t)snprintf(reply, cap, "E22");
        return mem_write(g, a, b, q + k + 1, end, reply, cap);
    }
    case 'c':
    case 's':
        if (len > 1 && parse_hex(pkt + 1, end, &a))
            cpu_set_eip(g->d->m->cpu, a);   /* resume at addr */
        return run(g, pkt[0] == 's', reply, cap);
    case 'Z':
    case 'z':
        return breakpoint(g, pkt, end, pkt[0] == 'Z', reply, cap);
    case 'H':
        return (size_t)snprintf(reply, cap, "OK");
    case 'T':
        return (size_t)snprintf(reply, cap, "OK");   /* the one thread is alive */
    case 'D':
        return (size_t)snprintf(reply, cap, "OK");
    case 'q':
        if (len >= 11 && !memcmp(pkt, "qSupported", 10))
            return (size_t)snprintf(reply, cap, "PacketSize=%x", GDB_PACKET_MAX);
        if (len == 9 && !memcmp(pkt, "qAttached", 9))
            return (size_t)snprintf(reply, cap, "1");
        if (len == 2 && pkt[1] == 'C')
            return (size_t)snprintf(reply, cap, "QC1");
        if (len == 12 && !memcmp(pkt, "qfThreadInfo", 12))
            return (size_t)snprintf(reply, cap, "m1");
        if (len == 12 && !memcmp(pkt, "qsThreadInfo", 12))
            return (size_t)snprintf(reply, cap, "l");
        return 0;
    default:
        return 0;   /* unsupported: the empty reply */
    }
}

/* ---- framing ---- */

static bool send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool send_packet(int fd, const char *data, size_t len)
{
    char *buf = malloc(len + 5);
    if (!buf)
        return false;
    uint8_t sum = 0;
    buf[0] = '$';
    for (size_t i = 0; i < len; i++) {
        buf[1 + i] = data[i];
        sum = (uint8_t)(sum + (uint8_t)data[i]);
    }
    snprintf(buf + 1 + len, 4, "#%02x", sum);
    bool ok = send_all(fd, buf, len + 4);
    free(buf);
    return ok;
}

/* Receive one packet into pkt; -1 on EOF/error. Bytes outside packets
 * (acks, a stray Ctrl-C) are skipped. */
static int recv_packet(int fd, char *pkt, size_t cap, size_t *len)
{
    char c;
    for (;;) {
        ssize_t n = recv(fd, &c, 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        if (c == '$')
            break;
    }
    size_t k = 0;
    uint8_t sum = 0;
    for (;;) {
        if (recv(fd, &c, 1, 0) != 1)
            return -1;
        if (c == '#')
            break;
        if (k + 1 < cap)
            pkt[k++] = c;
        sum = (uint8_t)(sum + (uint8_t)c);
    }
    char cs[2];
    if (recv(fd, cs, 1, MSG_WAITALL) != 1 || recv(fd, cs + 1, 1, MSG_WAITALL) != 1)
        return -1;
    int want = hexval(cs[0]) << 4 | hexval(cs[1]);
    if (want != sum) {
        send_all(fd, "-", 1);
        return 0;   /* gdb retransmits */
    }
    send_all(fd, "+", 1);
    pkt[k] = '\0';
    *len = k;
    return 1;
}

enum gdbstub_end gdbstub_serve(struct gdbstub *g, struct machine_result *res)
{
    g->fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (g->fd < 0)
        return GDB_ERROR;
    int one = 1;
    setsockopt(g->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    static char pkt[GDB_PACKET_MAX + 1], reply[2 * GDB_PACKET_MAX + 16];
    enum gdbstub_end end = GDB_DISCONNECTED;
    for (;;) {
        size_t len = 0;
        int r = recv_packet(g->fd, pkt, sizeof pkt, &len);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        size_t n = gdbstub_handle(g, pkt, len, reply, sizeof reply);
        if (pkt[0] == 'k') {
            end = GDB_KILLED;
            break;
        }
        if (!send_packet(g->fd, reply, n))
            break;
        if (pkt[0] == 'D') {
            end = GDB_DETACHED;
            break;
        }
        if (g->machine_stopped) {
            end = GDB_MACHINE_STOPPED;
            if (res)
                *res = g->res;
            break;
        }
    }
    close(g->fd);
    g->fd = -1;
    return end;
}
