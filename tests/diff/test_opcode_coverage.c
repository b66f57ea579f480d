/* Opcode coverage: every row of the CPU's opcode table (src/cpu/opcodes.def,
 * one row per opcode and per ModRM group member /0../7, both maps) must be
 * exercised either by a generator form of the differential test
 * (tests/diff/gen.c, matched on opcode and group member) or by a named Check
 * test listed in tests/diff/coverage_system.txt. A listed test must exist as
 * START_TEST(name) somewhere under tests/ (found through PAGODA_SRC, which
 * ctest sets), and its body must name the row (see body_names_row).
 *
 * Privileged rows (SDM Vol. 3 §5.9 and the IOPL-sensitive I/O and IF
 * instructions, plus any row whose generator form is K_PRIV) need both: the
 * generator's CPL-3 #GP(0) form, and a listed ring-0 test, since the
 * differential suite never runs them where they do their work. */
#define _GNU_SOURCE   /* memmem */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cpu/opcodes.h"
#include "gen.h"
#include "gen_kinds.h"

struct sys_entry {
    unsigned opcode;
    int sub;
    char test[96];       /* "-": a privileged row still waiting for its ring-0 test */
};

/* The privileged instructions of SDM Vol. 3 §5.9 (CPL 0 only) and the
 * IOPL-sensitive ones of Vol. 1 §19.5.1 / Vol. 3 §2.8 (IN INS OUT OUTS CLI
 * STI), as table rows: opcode, sub (-1: not a group member). */
static const struct {
    unsigned opcode;
    int sub;
} privileged[] = {
    {0x06c, -1}, {0x06d, -1}, {0x06e, -1}, {0x06f, -1},                 /* INS OUTS */
    {0x0e4, -1}, {0x0e5, -1}, {0x0e6, -1}, {0x0e7, -1},                 /* IN OUT imm8 */
    {0x0ec, -1}, {0x0ed, -1}, {0x0ee, -1}, {0x0ef, -1},                 /* IN OUT DX */
    {0x0f4, -1}, {0x0fa, -1}, {0x0fb, -1},                              /* HLT CLI STI */
    {0x100, 2}, {0x100, 3},                                             /* LLDT LTR */
    {0x101, 2}, {0x101, 3}, {0x101, 6}, {0x101, 7},                     /* LGDT LIDT LMSW INVLPG */
    {0x106, -1}, {0x108, -1}, {0x109, -1},                              /* CLTS INVD WBINVD */
    {0x120, -1}, {0x121, -1}, {0x122, -1}, {0x123, -1},                 /* MOV CR, MOV DR */
    {0x130, -1}, {0x132, -1},                                           /* WRMSR RDMSR */
};

static bool sdm_privileged(unsigned opcode, int sub)
{
    for (unsigned k = 0; k < sizeof privileged / sizeof privileged[0]; k++)
        if (privileged[k].opcode == opcode && privileged[k].sub == sub)
            return true;
    return false;
}

static const char *src_root(void)
{
    const char *s = getenv("PAGODA_SRC");
    ck_assert_msg(s && *s, "PAGODA_SRC is not set (ctest sets it)");
    return s;
}

/* coverage_system.txt: "OPCODE[/SUB] TEST_NAME  # comment"; OPCODE in the
 * opcodes.def numbering (0x100 | byte for the 0F map). */
static unsigned load_system(struct sys_entry *e, unsigned max)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/diff/coverage_system.txt", src_root());
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[512];
    unsigned n = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char key[64], name[96];
        if (sscanf(line, "%63s %95s", key, name) != 2)
            continue;
        ck_assert_msg(n < max, "coverage_system.txt: too many entries");
        char *end;
        e[n].opcode = (unsigned)strtoul(key, &end, 0);
        e[n].sub = -1;
        if (*end == '/')
            e[n].sub = (int)strtol(end + 1, &end, 0);
        ck_assert_msg(*end == 0, "coverage_system.txt:%u: bad opcode '%s'", lineno, key);
        snprintf(e[n].test, sizeof e[n].test, "%s", name);
        n++;
    }
    fclose(f);
    return n;
}

/* All of tests/ as one string, for the START_TEST(name) lookups. */
struct text {
    char *buf;
    size_t len, cap;
};

static void slurp_tree(struct text *t, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            slurp_tree(t, path);
            continue;
        }
        size_t nl = strlen(de->d_name);
        if (nl < 3 || strcmp(de->d_name + nl - 2, ".c") != 0)
            continue;
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (t->len + (size_t)st.st_size + 2 > t->cap) {
            t->cap = (t->len + (size_t)st.st_size + 2) * 2;
            t->buf = realloc(t->buf, t->cap);
            ck_assert_ptr_nonnull(t->buf);
        }
        t->len += fread(t->buf + t->len, 1, (size_t)st.st_size, f);
        t->buf[t->len++] = '\n';
        t->buf[t->len] = 0;
        fclose(f);
    }
    closedir(d);
}

/* The body of START_TEST(name): the text up to its END_TEST, or NULL. */
static const char *test_body(const struct text *t, const char *name, size_t *len)
{
    char pat[128];
    snprintf(pat, sizeof pat, "START_TEST(%s)", name);
    const char *b = t->buf ? strstr(t->buf, pat) : NULL;
    if (!b)
        return NULL;
    b += strlen(pat);
    const char *e = strstr(b, "END_TEST");
    *len = e ? (size_t)(e - b) : strlen(b);
    return b;
}

static bool word_char(char ch) { return isalnum((unsigned char)ch) || ch == '_'; }

/* The body's C hex literals (0x00-0xff) as a byte stream; -1 marks a break
 * (anything but commas and white space between two literals, or a larger
 * literal), so that only adjacent bytes of one array form a sequence. */
static unsigned hex_stream(const char *b, size_t len, int *out, unsigned max)
{
    unsigned n = 0;
    size_t i = 0;
    while (i < len && n + 1 < max) {
        if (b[i] == ',' || isspace((unsigned char)b[i])) {
            i++;
            continue;
        }
        int lit = -1;
        if (word_char(b[i])) {   /* one word: a literal only if it is 0xH or 0xHH */
            size_t j = i;
            while (j < len && word_char(b[j]))
                j++;
            if (b[i] == '0' && j - i >= 3 && j - i <= 4 && (b[i + 1] == 'x' || b[i + 1] == 'X')) {
                char hex[3] = {0};
                memcpy(hex, b + i + 2, j - i - 2);
                char *end;
                long v = strtol(hex, &end, 16);
                if (*end == 0)
                    lit = (int)v;
            }
            i = j;
        } else {
            i++;
        }
        if (lit >= 0)
            out[n++] = lit;
        else if (n == 0 || out[n - 1] != -1)
            out[n++] = -1;
    }
    return n;
}

static bool memchr_int(const int *a, unsigned n, int v)
{
    for (unsigned k = 0; k < n; k++)
        if (a[k] == v)
            return true;
    return false;
}

/* Does a test body name table row r? Either
 * - its encoding as adjacent C byte literals: the opcode byte (0x0f then the
 *   second byte in the 0F map), followed for a group member /n by a ModRM
 *   literal whose reg field is n; or
 * - a loop over the opcode byte: a "for (" header holding two byte literals
 *   lo and hi with lo <= the (last) opcode byte <= hi, e.g.
 *   for (op = 0xd8; op <= 0xdf; op++); a 0F-map row also needs a 0x0f
 *   literal in the body (no group member is matched this way); or
 * - its mnemonic as a whole word (any case; "_" counts as a letter, so test
 *   names do not match), but only when that mnemonic names a single opcode
 *   (and member) in the table: "lgdt", "hlt", "rdmsr" do, while "in", "out",
 *   "mov" are ordinary words or shared by many rows and need the bytes. */
static bool body_names_row(const char *b, size_t len, const struct cpu_opcode_info *r, const struct cpu_opcode_info *tab,
                           size_t ntab)
{
    static int st[65536];
    unsigned n = hex_stream(b, len, st, sizeof st / sizeof st[0]);
    int pat[2];
    unsigned np = 0;
    if (r->opcode >= 0x100)
        pat[np++] = 0x0f;
    pat[np++] = (int)(r->opcode & 0xff);
    for (unsigned i = 0; i + np <= n; i++) {
        bool m = true;
        for (unsigned k = 0; k < np && m; k++)
            m = st[i + k] == pat[k];
        if (!m)
            continue;
        if (r->sub < 0)
            return true;
        if (i + np < n && st[i + np] >= 0 && ((st[i + np] >> 3) & 7) == r->sub)
            return true;
    }
    if (r->sub < 0 && (r->opcode < 0x100 || memchr_int(st, n, 0x0f))) {
        for (const char *f = b; (f = memmem(f, len - (size_t)(f - b), "for (", 5)) != NULL; f += 5) {
            const char *close = memchr(f, ')', len - (size_t)(f - b));
            if (!close)
                break;
            int lit[64];
            unsigned nl = hex_stream(f + 5, (size_t)(close - f - 5), lit, 64), lo = 256, hi = 256;
            for (unsigned k = 0; k < nl; k++)
                if (lit[k] >= 0) {
                    if (lo == 256)
                        lo = (unsigned)lit[k];
                    else
                        hi = (unsigned)lit[k];
                }
            if (hi < 256 && lo <= (r->opcode & 0xff) && (r->opcode & 0xff) <= hi)
                return true;
        }
    }
    for (size_t k = 0; k < ntab; k++)   /* is the mnemonic unique to this row? */
        if (strcmp(tab[k].mnemonic, r->mnemonic) == 0 && (tab[k].opcode != r->opcode || tab[k].sub != r->sub))
            return false;
    size_t ml = strlen(r->mnemonic);
    for (size_t i = 0; i + ml <= len; i++)
        if (strncasecmp(b + i, r->mnemonic, ml) == 0 && (i == 0 || !word_char(b[i - 1])) &&
            (i + ml == len || !word_char(b[i + ml])))
            return true;
    return false;
}

static bool form_covers(const struct diff_form *f, unsigned opcode, int sub)
{
    return opcode >= f->op && opcode < (unsigned)f->op + f->count && f->sub == sub;
}

START_TEST(every_opcode_row_has_a_test)
{
    size_t n;
    const struct cpu_opcode_info *tab = cpu_opcode_table(&n);
    ck_assert(n > 200);
    static struct sys_entry sys[512];
    unsigned nsys = load_system(sys, 512);
    struct text t = { 0 };
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests", src_root());
    slurp_tree(&t, dir);
    ck_assert_msg(t.len > 0, "no test sources under %s", dir);

    /* every listed entry first: its test exists, names its row, and (for a
     * privileged row) runs at CPL 0 throughout */
    unsigned bad = 0;
    bool entry_ok[512];
    for (unsigned k = 0; k < nsys; k++) {
        entry_ok[k] = false;
        const struct cpu_opcode_info *r = cpu_opcode_lookup(sys[k].opcode, sys[k].sub < 0 ? 0 : (unsigned)sys[k].sub);
        if (!r || r->sub != sys[k].sub || strcmp(sys[k].test, "-") == 0)
            continue;   /* not a row: every_system_entry_names_a_table_row says so */
        size_t blen;
        const char *body = test_body(&t, sys[k].test, &blen);
        if (!body) {
            printf("opcode %#05x/%d %s %s: listed test %s does not exist\n", r->opcode, r->sub, r->mnemonic,
                   r->operands, sys[k].test);
            bad++;
        } else if (!body_names_row(body, blen, r, tab, n)) {
            printf("opcode %#05x/%d %s %s: listed test %s names neither its bytes nor its mnemonic\n", r->opcode,
                   r->sub, r->mnemonic, r->operands, sys[k].test);
            bad++;
        } else if (sdm_privileged(r->opcode, r->sub) &&
                   (memmem(body, blen, "enter_ring3", 11) || memmem(body, blen, "enter_v86", 9))) {
            printf("opcode %#05x/%d %s %s: listed test %s leaves ring 0 (a CPL-0 test is wanted)\n", r->opcode,
                   r->sub, r->mnemonic, r->operands, sys[k].test);
            bad++;
        } else {
            entry_ok[k] = true;
        }
    }

    unsigned by_diff = 0, by_sys = 0, by_both = 0, missing = 0, pending = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cpu_opcode_info *r = &tab[i];
        bool hit = false, gp3 = false;
        for (unsigned k = 0; k < diff_nforms; k++) {
            const struct diff_form *f = &diff_forms[k];
            if (diff_form_is_undefined_opcode(f) || !form_covers(f, r->opcode, r->sub))
                continue;
            hit = true;
            gp3 |= f->kind == K_PRIV;
        }
        bool listed = false, waiting = false;
        for (unsigned k = 0; k < nsys; k++) {
            if (sys[k].opcode != r->opcode || sys[k].sub != r->sub)
                continue;
            listed |= entry_ok[k];
            waiting |= strcmp(sys[k].test, "-") == 0;
        }
        bool priv = gp3 || sdm_privileged(r->opcode, r->sub);
        if (priv) {
            if (!gp3) {
                printf("opcode %#05x/%d %s %s: privileged, but no CPL-3 #GP form in the generator\n", r->opcode,
                       r->sub, r->mnemonic, r->operands);
                missing++;
            } else if (listed) {
                by_both++;
            } else if (waiting) {
                printf("opcode %#05x/%d %s %s: privileged, ring-0 test still wanted (listed as -)\n", r->opcode,
                       r->sub, r->mnemonic, r->operands);
                pending++;
            } else {
                printf("opcode %#05x/%d %s %s: privileged, no ring-0 test in coverage_system.txt\n", r->opcode,
                       r->sub, r->mnemonic, r->operands);
                missing++;
            }
        } else if (hit) {
            by_diff++;
        } else if (listed) {
            by_sys++;
        } else {
            printf("opcode %#05x/%d %s %s: no test\n", r->opcode, r->sub, r->mnemonic, r->operands);
            missing++;
        }
    }
    printf("coverage: %zu opcode rows: %u by differential forms, %u by system tests, %u privileged by both, "
           "%u privileged waiting for a ring-0 test, %u without test; %u bad entries\n",
           n, by_diff, by_sys, by_both, pending, missing, bad);
    free(t.buf);
    ck_assert_msg(missing == 0 && bad == 0, "%u opcode rows have no test, %u bad coverage_system.txt entries", missing,
                  bad);
}
END_TEST

START_TEST(every_generator_form_decodes_to_a_table_row)
{
    /* a form whose opcode the table does not define would only ever test #UD */
    for (unsigned k = 0; k < diff_nforms; k++) {
        const struct diff_form *f = &diff_forms[k];
        if (diff_form_is_undefined_opcode(f)) {
            /* its slots must stay undefined in the table */
            static const uint8_t probe[] = { 0x04, 0x0a, 0x0c, 0x24, 0x25, 0x26, 0x27, 0x36, 0x39, 0x3f, 0x7a, 0xa6, 0xb9, 0xff };
            for (unsigned p = 0; p < sizeof probe; p++)
                ck_assert_msg(cpu_opcode_lookup(0x100u | probe[p], 0) == NULL,
                              "0F %02x is in the table but form %s tests it as undefined", probe[p], f->name);
            continue;
        }
        for (unsigned o = f->op; o < (unsigned)f->op + f->count; o++) {
            const struct cpu_opcode_info *r = cpu_opcode_lookup(o, f->sub < 0 ? 0 : (unsigned)f->sub);
            ck_assert_msg(r != NULL, "form %s: opcode %#x/%d is not in the table", f->name, o, f->sub);
            ck_assert_msg(r->sub == f->sub, "form %s: opcode %#x: table row has sub %d", f->name, o, r->sub);
        }
    }
}
END_TEST

START_TEST(every_system_entry_names_a_table_row)
{
    static struct sys_entry sys[512];
    unsigned nsys = load_system(sys, 512);
    for (unsigned k = 0; k < nsys; k++) {
        const struct cpu_opcode_info *r = cpu_opcode_lookup(sys[k].opcode, sys[k].sub < 0 ? 0 : (unsigned)sys[k].sub);
        ck_assert_msg(r != NULL && r->sub == sys[k].sub, "coverage_system.txt: %#x/%d is not a table row",
                      sys[k].opcode, sys[k].sub);
    }
}
END_TEST

/* 0F 24 / 0F 26 were the 386's MOV r32,TRn / MOV TRn,r32 (test registers
 * TR6, TR7). The P6 that Pagoda models removed them: #UD (SDM Vol. 2 Table
 * A-3 leaves the slots empty). They must stay out of the table, for every
 * ModRM reg value, and the generator's undefined-0F form runs them against
 * the host as #UD cases (gen.c K_UNDEF lists 0x24 and 0x26). */
START_TEST(mov_test_register_slots_0f24_and_0f26_are_undefined_as_on_a_p6)
{
    for (unsigned reg = 0; reg < 8; reg++) {
        ck_assert_ptr_null(cpu_opcode_lookup(0x124, reg));
        ck_assert_ptr_null(cpu_opcode_lookup(0x126, reg));
    }
    bool undef_form = false;
    for (unsigned k = 0; k < diff_nforms; k++)
        undef_form |= diff_form_is_undefined_opcode(&diff_forms[k]);
    ck_assert_msg(undef_form, "no generator form runs the undefined 0F slots");
}
END_TEST

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    Suite *s = suite_create("opcode_coverage");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, every_opcode_row_has_a_test);
    tcase_add_test(tc, every_generator_form_decodes_to_a_table_row);
    tcase_add_test(tc, every_system_entry_names_a_table_row);
    tcase_add_test(tc, mov_test_register_slots_0f24_and_0f26_are_undefined_as_on_a_p6);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
