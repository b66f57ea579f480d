/* The gdbstub over loopback: the test speaks the remote serial protocol
 * to the stub, which serves the fixture machine from a thread. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "debug/gdbstub.h"
#include "test_debug_fixture.h"

static struct machine *m;
static struct debugger d;
static struct gdbstub *stub;
static pthread_t server;
static enum gdbstub_end ended;
static int fd;
static bool joined;

static void *serve(void *arg)
{
    (void)arg;
    ended = gdbstub_serve(stub, NULL);
    return NULL;
}

static void setup(void)
{
    m = fixture_machine();
    ck_assert_ptr_nonnull(m);
    dbg_init(&d, m);
    uint16_t port = 0;
    char err[128];
    stub = gdbstub_listen(&d, 0, &port, err, sizeof err);
    ck_assert_msg(stub != NULL, "%s", err);
    ck_assert_uint_ne(port, 0);
    joined = false;
    ck_assert_int_eq(pthread_create(&server, NULL, serve, NULL), 0);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
}

static void teardown(void)
{
    close(fd);
    if (!joined)
        pthread_join(server, NULL);
    gdbstub_close(stub);
    dbg_free(&d);
    machine_destroy(m);
}

/* Send one packet, check the ack, return the reply's payload. */
static const char *ask(const char *payload)
{
    static char reply[4096];
    char buf[1024];
    unsigned sum = 0;
    for (const char *p = payload; *p; p++)
        sum += (unsigned char)*p;
    int n = snprintf(buf, sizeof buf, "$%s#%02x", payload, sum & 0xff);
    ck_assert_int_eq(send(fd, buf, (size_t)n, 0), n);
    char c;
    ck_assert_int_eq(recv(fd, &c, 1, MSG_WAITALL), 1);
    ck_assert_int_eq(c, '+');
    ck_assert_int_eq(recv(fd, &c, 1, MSG_WAITALL), 1);
    ck_assert_int_eq(c, '$');
    size_t k = 0;
    unsigned got = 0;
    while (recv(fd, &c, 1, MSG_WAITALL) == 1 && c != '#') {
        reply[k++] = c;
        got += (unsigned char)c;
    }
    reply[k] = '\0';
    char cs[3] = { 0 };
    ck_assert_int_eq(recv(fd, cs, 2, MSG_WAITALL), 2);
    ck_assert_uint_eq(strtoul(cs, NULL, 16), got & 0xff);
    ck_assert_int_eq(send(fd, "+", 1, 0), 1);
    return reply;
}

/* k: the stub acks and closes without a reply */
static void kill_target(void)
{
    ck_assert_int_eq(send(fd, "$k#6b", 5, 0), 5);
    char c;
    ck_assert_int_eq(recv(fd, &c, 1, MSG_WAITALL), 1);
    ck_assert_int_eq(c, '+');
    pthread_join(server, NULL);
    joined = true;
    ck_assert_int_eq(ended, GDB_KILLED);
}

START_TEST(halt_reason_is_sigtrap)
{
    ck_assert_str_eq(ask("?"), "S05");
    ck_assert_str_eq(ask("qAttached"), "1");
    ck_assert_str_eq(ask("vMustReplyEmpty"), "");
    kill_target();
}
END_TEST

START_TEST(g_returns_registers_in_i386_order_little_endian)
{
    const char *r = ask("g");
    ck_assert_uint_eq(strlen(r), 16 * 8);
    ck_assert(!strncmp(r + 4 * 8, "00700000", 8));   /* esp = 0x7000 */
    ck_assert(!strncmp(r + 8 * 8, "00001000", 8));   /* eip = 0x100000 */
    ck_assert(!strncmp(r + 9 * 8, "02000000", 8));   /* eflags = 2 */
    ck_assert(!strncmp(r + 10 * 8, "08000000", 8));  /* cs = 0x08 */
    ck_assert(!strncmp(r + 11 * 8, "10000000", 8));  /* ss = 0x10 */
    ck_assert_str_eq(ask("p8"), "00001000");
    ck_assert_str_eq(ask("P0=78563412"), "OK");
    ck_assert_uint_eq(cpu_get_reg(m->cpu, R_EAX), 0x12345678u);
    kill_target();
}
END_TEST

START_TEST(m_reads_through_the_page_tables_and_M_writes)
{
    ck_assert_str_eq(ask("m8048000,8"), "efbeadde01020304");
    ck_assert_str_eq(ask("m9000000,4"), "E14");           /* no PDE */
    ck_assert_str_eq(ask("M8049020,4:aabbccdd"), "OK");
    ck_assert_uint_eq(phys_read(m->phys, 0x301020u, 4), 0xddccbbaau);
    /* the debugger's read set no Accessed bit */
    ck_assert_uint_eq(phys_read(m->phys, FIX_PD + 0x20 * 4, 4) & PG_A, 0);
    kill_target();
}
END_TEST

START_TEST(breakpoint_continue_and_step)
{
    ck_assert_str_eq(ask("Z0,10000b,1"), "OK");
    ck_assert_str_eq(ask("c"), "S05");
    ck_assert_uint_eq(cpu_get_eip(m->cpu), 0x10000bu);
    ck_assert_uint_eq(cpu_get_reg(m->cpu, R_EAX), 0x11223345u);
    ck_assert_str_eq(ask("z0,10000b,1"), "OK");
    ck_assert_str_eq(ask("s"), "S05");
    ck_assert_uint_eq(cpu_get_eip(m->cpu), 0x10000cu);
    ck_assert_str_eq(ask("D"), "OK");
    pthread_join(server, NULL);
    joined = true;
    ck_assert_int_eq(ended, GDB_DETACHED);
}
END_TEST

START_TEST(ctrl_c_interrupts_a_running_guest)
{
    /* the guest spins at 0x10000c: continue never stops by itself */
    char buf[16];
    snprintf(buf, sizeof buf, "$c#63");
    ck_assert_int_eq(send(fd, buf, 5, 0), 5);
    char c;
    ck_assert_int_eq(recv(fd, &c, 1, MSG_WAITALL), 1);
    ck_assert_int_eq(c, '+');
    usleep(100000);
    ck_assert_int_eq(send(fd, "\x03", 1, 0), 1);
    char reply[8] = { 0 };
    ck_assert_int_eq(recv(fd, reply, 7, MSG_WAITALL), 7);   /* $S02#b5 */
    ck_assert_str_eq(reply, "$S02#b5");
    ck_assert_int_eq(send(fd, "+", 1, 0), 1);
    ck_assert_uint_gt(cpu_icount(m->cpu), 1000);
    kill_target();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("debug_gdbstub");
    TCase *tc = tcase_create("rsp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, halt_reason_is_sigtrap);
    tcase_add_test(tc, g_returns_registers_in_i386_order_little_endian);
    tcase_add_test(tc, m_reads_through_the_page_tables_and_M_writes);
    tcase_add_test(tc, breakpoint_continue_and_step);
    tcase_add_test(tc, ctrl_c_interrupts_a_running_guest);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
