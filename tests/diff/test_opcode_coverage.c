/* Opcode coverage: every row of the CPU's opcode table (src/cpu/opcodes.def,
 * one row per opcode and per ModRM group member /0../7, both maps) must be
 * exercised either by a generator form of the differential test
 * (tests/diff/gen.c, matched on opcode and group member) or by a named Check
 * test listed in tests/diff/coverage_system.txt; a listed test must exist as
 * START_TEST(name) somewhere under tests/ (found through PAGODA_SRC, which
 * ctest sets). */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpu/opcodes.h"
#include "gen.h"

struct sys_entry {
    unsigned opcode;
    int sub;
    char test[96];
};

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

static bool test_exists(const struct text *t, const char *name)
{
    char pat[128];
    snprintf(pat, sizeof pat, "START_TEST(%s)", name);
    return t->buf && strstr(t->buf, pat) != NULL;
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

    unsigned by_diff = 0, by_sys = 0, missing = 0, dangling = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cpu_opcode_info *r = &tab[i];
        bool hit = false;
        for (unsigned k = 0; k < diff_nforms && !hit; k++)
            hit = !diff_form_is_undefined_opcode(&diff_forms[k]) && form_covers(&diff_forms[k], r->opcode, r->sub);
        if (hit) {
            by_diff++;
            continue;
        }
        const char *named = NULL;
        bool found = false;
        for (unsigned k = 0; k < nsys && !found; k++) {
            if (sys[k].opcode != r->opcode || sys[k].sub != r->sub)
                continue;
            named = sys[k].test;
            found = test_exists(&t, sys[k].test);
        }
        if (found) {
            by_sys++;
        } else if (named) {
            dangling++;
            printf("opcode %#05x/%d %s %s: listed test %s does not exist\n", r->opcode, r->sub,
                   r->mnemonic, r->operands, named);
        } else {
            missing++;
            printf("opcode %#05x/%d %s %s: no test\n", r->opcode, r->sub, r->mnemonic, r->operands);
        }
    }
    printf("coverage: %zu opcode rows: %u by differential forms, %u by system tests, "
           "%u listed test missing, %u without test\n", n, by_diff, by_sys, dangling, missing);
    free(t.buf);
    ck_assert_msg(missing == 0 && dangling == 0, "%u opcode rows have no test", missing + dangling);
}
END_TEST

START_TEST(every_generator_form_decodes_to_a_table_row)
{
    /* a form whose opcode the table does not define would only ever test #UD */
    for (unsigned k = 0; k < diff_nforms; k++) {
        const struct diff_form *f = &diff_forms[k];
        if (diff_form_is_undefined_opcode(f)) {
            /* its slots must stay undefined in the table */
            static const uint8_t probe[] = { 0x04, 0x0a, 0x0c, 0x24, 0x36, 0x39, 0x3f, 0x7a, 0xa6, 0xb9, 0xff };
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

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    Suite *s = suite_create("opcode_coverage");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, every_opcode_row_has_a_test);
    tcase_add_test(tc, every_generator_form_decodes_to_a_table_row);
    tcase_add_test(tc, every_system_entry_names_a_table_row);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
