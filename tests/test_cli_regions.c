/* Unit tests of the --regions parser (also a fuzz target). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "regions.h"

static int parse(const char *s, cli_region **r, size_t *n)
{
    char err[160];
    return cli_regions_parse(s, strlen(s), r, n, err, sizeof err);
}

static void valid_lists(void **state)
{
    (void)state;
    cli_region *r;
    size_t n;
    assert_int_equal(parse("rect:1,2,3,4", &r, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].shape, CLI_SHAPE_RECT);
    assert_int_equal(r[0].x, 1);
    assert_int_equal(r[0].y, 2);
    assert_int_equal(r[0].w, 3);
    assert_int_equal(r[0].h, 4);
    free(r);
    assert_int_equal(parse("rect:-2147483648,2147483647,4294967295,1;ellipse:0,-7,10,20;", &r, &n), 0);
    assert_int_equal(n, 2);
    assert_true(r[0].x == INT32_MIN);
    assert_true(r[0].y == INT32_MAX);
    assert_true(r[0].w == UINT32_MAX);
    assert_int_equal(r[1].shape, CLI_SHAPE_ELLIPSE);
    assert_int_equal(r[1].y, -7);
    assert_int_equal(r[1].h, 20);
    free(r);
}

static void invalid_lists(void **state)
{
    (void)state;
    const char *bad[] = {
        "", ";", "rect", "rect:", "rect:1,2,3", "rect:1,2,3,4,5", "circle:1,2,3,4",
        "RECT:1,2,3,4", "rect:1,2,0,4", "rect:1,2,3,0", "rect:1,2,-3,4", "rect:1,2,3,-4",
        "rect:2147483648,0,1,1", "rect:0,-2147483649,1,1", "rect:0,0,4294967296,1",
        "rect:0,0,1,99999999999999999999", "rect: 1,2,3,4", "rect:1, 2,3,4", "rect:1,2,3,4 ",
        "rect:1,2,3,4;;rect:1,2,3,4", "rect:1,2,3,4;junk", "rect:+1,2,3,4", "rect:1,2,3,4x",
        "rect:--1,2,3,4", "rect:1.5,2,3,4", "rect:0x1,2,3,4", "rect:1,2,,4", "ellipse:1,2,3,4\n",
        "rect:1,2,3,4 ; ;rect:1,2,3,4", " rect:1,2,3,4", "rect:1,2,3,4 x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cli_region *r = (cli_region *)&r;
        size_t n = 99;
        char err[160] = "";
        int rc = cli_regions_parse(bad[i], strlen(bad[i]), &r, &n, err, sizeof err);
        if (rc != -1)
            fail_msg("accepted: '%s'", bad[i]);
        assert_null(r);
        assert_int_equal(n, 0);
        assert_true(strlen(err) > 0);
    }
}

static void blanks_around_separators(void **state)
{
    (void)state;
    /* As written in the man page: "rect:x,y,w,h; ellipse:x,y,w,h". */
    const char *ok[] = {"rect:1,2,3,4; ellipse:-5,6,7,8", "rect:1,2,3,4 ;ellipse:-5,6,7,8",
                        "rect:1,2,3,4 \t;\t ellipse:-5,6,7,8"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cli_region *r;
        size_t n;
        char err[160];
        if (cli_regions_parse(ok[i], strlen(ok[i]), &r, &n, err, sizeof err) != 0)
            fail_msg("refused '%s': %s", ok[i], err);
        assert_int_equal(n, 2);
        assert_int_equal(r[0].shape, CLI_SHAPE_RECT);
        assert_int_equal(r[1].shape, CLI_SHAPE_ELLIPSE);
        assert_int_equal(r[1].x, -5);
        assert_int_equal(r[1].h, 8);
        free(r);
    }
}

static void length_is_respected(void **state)
{
    (void)state;
    /* Bytes beyond len are ignored; an embedded NUL is junk. */
    cli_region *r;
    size_t n;
    const char s[] = "rect:1,2,3,4;ellipse:GARBAGE";
    assert_int_equal(cli_regions_parse(s, 12, &r, &n, NULL, 0), 0);
    assert_int_equal(n, 1);
    free(r);
    const char z[] = "rect:1,2,3,4\0;rect:1,2,3,4";
    assert_int_equal(cli_regions_parse(z, sizeof z - 1, &r, &n, NULL, 0), -1);
    assert_int_equal(cli_regions_parse(NULL, 0, &r, &n, NULL, 0), -1);
}

static void region_count_limit(void **state)
{
    (void)state;
    const char *one = "rect:0,0,1,1;";
    size_t k = strlen(one);
    for (size_t count = CLI_MAX_REGIONS; count <= CLI_MAX_REGIONS + 1; count++) {
        char *s = malloc(count * k + 1);
        assert_non_null(s);
        for (size_t i = 0; i < count; i++)
            memcpy(s + i * k, one, k);
        s[count * k] = '\0';
        cli_region *r;
        size_t n;
        int rc = cli_regions_parse(s, count * k, &r, &n, NULL, 0);
        if (count == CLI_MAX_REGIONS) {
            assert_int_equal(rc, 0);
            assert_int_equal(n, CLI_MAX_REGIONS);
            free(r);
        } else {
            assert_int_equal(rc, -1);
        }
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_lists),
        cmocka_unit_test(invalid_lists),
        cmocka_unit_test(blanks_around_separators),
        cmocka_unit_test(length_is_respected),
        cmocka_unit_test(region_count_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
