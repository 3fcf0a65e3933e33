/* Unit tests of the fiie CLI option parser and number parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fiie/common.h"

#include "args.h"

enum { O_FORCE = 1, O_OUT, O_THREADS, O_RECURSIVE };

static const cli_opt opts[] = {
    {"force", 'f', 0, O_FORCE, NULL, "overwrite"},
    {"out-dir", 'o', 1, O_OUT, "DIR", "output directory"},
    {"threads", 0, 1, O_THREADS, "N", "threads"},
    {"recursive", 'r', 0, O_RECURSIVE, NULL, "recurse"},
};

typedef struct seen {
    int ids[16];
    const char *vals[16];
    int n;
    int fail_on;
} seen;

static int record(void *ctx, int id, const char *value, char *err, size_t errlen)
{
    seen *s = ctx;
    if (id == s->fail_on) {
        snprintf(err, errlen, "refused");
        return -1;
    }
    s->ids[s->n] = id;
    s->vals[s->n] = value;
    s->n++;
    return 0;
}

static int run(seen *s, int argc, char **argv, char **pos, size_t *npos, char *err)
{
    return cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], record, s, pos, npos, err, 128);
}

static void parses_all_forms(void **state)
{
    (void)state;
    char *argv[] = {"a.png", "--force", "--out-dir", "d1", "--out-dir=d2", "-o", "d3",
                    "-od4", "-r", "b.png", "--", "--force", "-"};
    char *pos[13];
    size_t np = 0;
    char err[128];
    seen s = {.fail_on = -1};
    assert_int_equal(run(&s, 13, argv, pos, &np, err), 0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.ids[0], O_FORCE);
    assert_null(s.vals[0]);
    assert_string_equal(s.vals[1], "d1");
    assert_string_equal(s.vals[2], "d2");
    assert_string_equal(s.vals[3], "d3");
    assert_string_equal(s.vals[4], "d4");
    assert_int_equal(s.ids[5], O_RECURSIVE);
    assert_int_equal(np, 4);
    assert_string_equal(pos[0], "a.png");
    assert_string_equal(pos[1], "b.png");
    assert_string_equal(pos[2], "--force"); /* after "--" */
    assert_string_equal(pos[3], "-");
}

static void rejects_bad_options(void **state)
{
    (void)state;
    char *pos[4];
    size_t np;
    char err[128];
    struct {
        int argc;
        char *argv[3];
        const char *msg;
    } cases[] = {
        {1, {"--nope"}, "unknown option --nope"},
        {1, {"-x"}, "unknown option -x"},
        {1, {"--threads"}, "needs a value"},
        {1, {"--force=1"}, "takes no value"},
        {1, {"-rq"}, "unknown option -q"},
        {2, {"--threads", "x"}, "refused"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seen s = {.fail_on = O_THREADS};
        if (i < 4)
            s.fail_on = -1;
        assert_int_equal(run(&s, cases[i].argc, cases[i].argv, pos, &np, err), -1);
        assert_non_null(strstr(err, cases[i].msg));
    }
}

static void grouped_short_flags(void **state)
{
    (void)state;
    char *argv[] = {"-fr", "-rfod1", "-fo", "d2", "x"};
    char *pos[5];
    size_t np = 0;
    char err[128];
    seen s = {.fail_on = -1};
    assert_int_equal(run(&s, 5, argv, pos, &np, err), 0);
    const int want[] = {O_FORCE, O_RECURSIVE, O_RECURSIVE, O_FORCE, O_OUT, O_FORCE, O_OUT};
    assert_int_equal(s.n, 7);
    for (int i = 0; i < 7; i++)
        assert_int_equal(s.ids[i], want[i]);
    assert_string_equal(s.vals[4], "d1");
    assert_string_equal(s.vals[6], "d2");
    assert_int_equal(np, 1);
    /* a refused flag inside a group stops the parse */
    seen t = {.fail_on = O_RECURSIVE};
    char *bad[] = {"-fr"};
    assert_int_equal(run(&t, 1, bad, pos, &np, err), -1);
    assert_string_equal(err, "refused");
}

static void numbers_are_strict(void **state)
{
    (void)state;
    int64_t v;
    uint32_t u;
    double d, l[3];
    assert_int_equal(cli_parse_i64("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(cli_parse_i64("-5", -10, 10, &v), 0);
    assert_int_equal(v, -5);
    const char *bad_ints[] = {"", " 1", "1 ", "1x", "0x10", "101", "-11", "99999999999999999999", "1.0"};
    for (size_t i = 0; i < sizeof bad_ints / sizeof bad_ints[0]; i++)
        assert_int_equal(cli_parse_i64(bad_ints[i], -10, 100, &v), -1);
    assert_int_equal(cli_parse_u32("4294967295", 0, UINT32_MAX, &u), 0);
    assert_true(u == UINT32_MAX);
    assert_int_equal(cli_parse_u32("4294967296", 0, UINT32_MAX, &u), -1);
    assert_int_equal(cli_parse_u32("-1", 0, UINT32_MAX, &u), -1);
    assert_int_equal(cli_parse_double("0.79", 0, 1, &d), 0);
    assert_true(d == 0.79);
    const char *bad_d[] = {"", "nan", "inf", "1e999", "2", "0.5x", " 0.5"};
    for (size_t i = 0; i < sizeof bad_d / sizeof bad_d[0]; i++)
        assert_int_equal(cli_parse_double(bad_d[i], 0, 1, &d), -1);
    assert_int_equal(cli_parse_double_list("0.5,0.5,0.3", 3, 0, 1, l), 0);
    assert_true(l[0] == 0.5 && l[1] == 0.5 && l[2] == 0.3);
    const char *bad_l[] = {"0.5,0.5", "0.5,0.5,0.3,0.1", "0.5,,0.3", "0.5,0.5,", ",0.5,0.5", "0.5;0.5;0.3"};
    for (size_t i = 0; i < sizeof bad_l / sizeof bad_l[0]; i++)
        assert_int_equal(cli_parse_double_list(bad_l[i], 3, 0, 1, l), -1);
}

static void hex_decoding(void **state)
{
    (void)state;
    uint8_t b[3];
    assert_int_equal(cli_parse_hex("00fFa5", b, 3), 0);
    assert_int_equal(b[0], 0x00);
    assert_int_equal(b[1], 0xff);
    assert_int_equal(b[2], 0xa5);
    assert_int_equal(cli_parse_hex("00ff", b, 3), -1);
    assert_int_equal(cli_parse_hex("00ffa5a5", b, 3), -1);
    assert_int_equal(cli_parse_hex("00fga5", b, 3), -1);
    assert_int_equal(cli_parse_hex(NULL, b, 3), -1);
    /* The digits of a key file are not NUL-terminated: exactly 2n are read.
     * Every byte value at the first and at the last digit: only 0-9, a-f
     * and A-F decode, to their value. */
    const uint8_t text[] = {'A', 'b', '0', '9', 'x'};
    assert_int_equal(cli_hex_decode(text, b, 2), 0);
    assert_int_equal(b[0], 0xab);
    assert_int_equal(b[1], 0x09);
    for (int c = 0; c < 256; c++) {
        const int want = (c >= '0' && c <= '9') ? c - '0'
                         : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                         : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                  : -1;
        uint8_t first[4] = {(uint8_t)c, '1', '2', '3'}, last[4] = {'3', '2', '1', (uint8_t)c};
        assert_int_equal(cli_hex_decode(first, b, 2), want < 0 ? -1 : 0);
        if (want >= 0)
            assert_int_equal(b[0], want << 4 | 1);
        assert_int_equal(cli_hex_decode(last, b, 2), want < 0 ? -1 : 0);
        if (want >= 0)
            assert_int_equal(b[1], 0x10 | want);
    }
}

/* -j 0: one thread per CPU, but never more than the library takes (a
 * machine with more CPUs must not make the detector refuse its options). */
static void threads_for_cpus(void **state)
{
    (void)state;
    assert_int_equal(cli_threads_for_cpus(0), 1);
    assert_int_equal(cli_threads_for_cpus(1), 1);
    assert_int_equal(cli_threads_for_cpus(2), 2);
    assert_int_equal(cli_threads_for_cpus(FIIE_MAX_THREADS - 1), FIIE_MAX_THREADS - 1);
    assert_int_equal(cli_threads_for_cpus(FIIE_MAX_THREADS), FIIE_MAX_THREADS);
    assert_int_equal(cli_threads_for_cpus(FIIE_MAX_THREADS + 1), FIIE_MAX_THREADS);
    assert_int_equal(cli_threads_for_cpus(256), FIIE_MAX_THREADS);
    assert_int_equal(cli_threads_for_cpus(~0u), FIIE_MAX_THREADS);
}

/* --model VALUE: a '/' or a ".fiiem" ending makes a file name; anything
 * else may be a built-in model's name (embedded names never look like
 * files, fiie_model_new_embedded()). */
static void model_path_or_name(void **state)
{
    (void)state;
    static const char *const paths[] = {"./mtcnn-original", "/abs/m", "dir/m", "m.fiiem",
                                        ".fiiem", "a/", "/"};
    static const char *const names[] = {"mtcnn-original", "fiie-wider-1", "", "m.fiie",
                                        "m.fiiem.bak", "fiiem", "m.FIIEM"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        assert_int_equal(cli_model_is_path(paths[i]), 1);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_int_equal(cli_model_is_path(names[i]), 0);
}

/* Commands with --help as their only option (keygen, models). */
static void help_only(void **state)
{
    (void)state;
    char a0[] = "-h", a1[] = "KEY", a2[] = "--bogus", a3[] = "--help";
    char *pos[4];
    size_t npos = 9;
    char err[128];
    int help = 7;
    char *with_h[] = {a1, a0};
    assert_int_equal(cli_parse_help_only(2, with_h, &help, pos, &npos, err, sizeof err), 0);
    assert_int_equal(help, 1);
    assert_int_equal(npos, 1);
    assert_string_equal(pos[0], "KEY");
    char *plain[] = {a1};
    assert_int_equal(cli_parse_help_only(1, plain, &help, pos, &npos, err, sizeof err), 0);
    assert_int_equal(help, 0);
    char *bogus[] = {a3, a2};
    assert_int_equal(cli_parse_help_only(2, bogus, &help, pos, &npos, err, sizeof err), -1);
    assert_non_null(strstr(err, "bogus"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_all_forms),
        cmocka_unit_test(grouped_short_flags),
        cmocka_unit_test(rejects_bad_options),
        cmocka_unit_test(numbers_are_strict),
        cmocka_unit_test(hex_decoding),
        cmocka_unit_test(threads_for_cpus),
        cmocka_unit_test(model_path_or_name),
        cmocka_unit_test(help_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
