/* Unit tests of the fiie CLI JSON writer: escaping of hostile file names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

static void expect_str(const char *in, size_t n, const char *want)
{
    jbuf b;
    jb_init(&b);
    jb_strn(&b, in, n);
    assert_false(b.oom);
    assert_string_equal(b.data, want);
    jb_free(&b);
}

static void escapes(void **state)
{
    (void)state;
    expect_str("plain.png", 9, "\"plain.png\"");
    expect_str("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    expect_str("l\n\r\t\b\f", 6, "\"l\\n\\r\\t\\b\\f\"");
    expect_str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
    expect_str("nul\0x", 5, "\"nul\\u0000x\"");
    expect_str("", 0, "\"\"");
    /* Valid UTF-8 passes through: é, €, 😀. */
    expect_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

static void invalid_utf8_replaced(void **state)
{
    (void)state;
    const char *fffd = "\xef\xbf\xbd";
    char want[64];
    /* Lone continuation, truncated sequence, overlong '/', surrogate, > U+10FFFF, 0xFF. */
    struct {
        const char *in;
        size_t n;
        int replacements;
    } cases[] = {
        {"\x80", 1, 1}, {"\xc3", 1, 1}, {"\xe2\x82", 2, 2}, {"\xc0\xaf", 2, 2},
        {"\xed\xa0\x80", 3, 3}, {"\xf4\x90\x80\x80", 4, 4}, {"\xff", 1, 1}, {"\xe0\x80\x80", 3, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        strcpy(want, "\"");
        for (int k = 0; k < cases[i].replacements; k++)
            strcat(want, fffd);
        strcat(want, "\"");
        expect_str(cases[i].in, cases[i].n, want);
    }
    expect_str("a\xff" "b", 3, "\"a\xef\xbf\xbd" "b\"");
}

static void numbers(void **state)
{
    (void)state;
    jbuf b;
    jb_init(&b);
    jb_num(&b, 0.1);
    jb_raw(&b, " ");
    jb_num(&b, NAN);
    jb_raw(&b, " ");
    jb_num(&b, INFINITY);
    jb_raw(&b, " ");
    jb_int(&b, INT64_MIN);
    jb_raw(&b, " ");
    jb_uint(&b, UINT64_MAX);
    jb_raw(&b, " ");
    jb_fixed(&b, -0.001, 2);
    jb_raw(&b, " ");
    jb_fixed(&b, 12.345678, 3);
    jb_raw(&b, " ");
    jb_num(&b, 1.0 / 3.0);
    jb_raw(&b, " ");
    jb_numf(&b, 123.45f);
    jb_raw(&b, " ");
    jb_numf(&b, 1.0f / 3.0f);
    jb_raw(&b, " ");
    jb_numf(&b, NAN);
    assert_string_equal(b.data,
                        "0.1 null null -9223372036854775808 18446744073709551615 0.00 12.346 "
                        "0.3333333333333333 123.45 0.33333334 null");
    jb_reset(&b);
    jb_str(&b, NULL);
    assert_string_equal(b.data, "null");
    jb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escapes),
        cmocka_unit_test(invalid_utf8_replaced),
        cmocka_unit_test(numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
