/* Unit tests of the batch progress line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "progress.h"

static void formats_line(void **state)
{
    (void)state;
    char b[256];
    progress_format(b, sizeof b, 5, 10, 7, 0, 2.5, 10);
    assert_string_equal(b, "[#####.....] 5/10 files, 7 faces, 2.0 files/s, ETA 0:03");
    progress_format(b, sizeof b, 0, 10, 0, 0, 0.0, 4);
    assert_string_equal(b, "[....] 0/10 files, 0 faces, 0.0 files/s, ETA --:--");
    progress_format(b, sizeof b, 1, 7201, 1, 0, 1.0, 2);
    assert_string_equal(b, "[..] 1/7201 files, 1 face, 1.0 files/s, ETA 2:00:00");
    progress_format(b, sizeof b, 3, 3, 9, 0, 1.5, 3);
    assert_string_equal(b, "[###] 3/3 files, 9 faces, 2.0 files/s, ETA 0:00");
    /* Skipped files (a re-run) are counted on the line. */
    progress_format(b, sizeof b, 6, 6, 0, 6, 1.5, 3);
    assert_string_equal(b, "[###] 6/6 files, 0 faces, 6 skipped, 4.0 files/s, ETA 0:00");
    /* Empty batch, absurd width, tiny buffer: no overflow. */
    progress_format(b, sizeof b, 0, 0, 0, 0, 0.0, 1000);
    assert_true(strlen(b) < sizeof b);
    char tiny[8];
    progress_format(tiny, sizeof tiny, 1, 2, 3, 0, 4.0, 10);
    assert_int_equal(strlen(tiny), 7);
}

static void silent_when_disabled(void **state)
{
    (void)state;
    /* A disabled bar writes nothing, but messages still go out. */
    char buf[512];
    memset(buf, 0, sizeof buf);
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    progress p;
    progress_init(&p, f, 0, 3);
    progress_step(&p, 1, 0);
    progress_printf(&p, f, "msg %d\n", 1);
    progress_step(&p, 2, 0);
    progress_step(&p, 0, 1);
    progress_finish(&p);
    fclose(f);
    assert_string_equal(buf, "msg 1\n");
    assert_int_equal(p.done, 3);
    assert_int_equal(p.faces, 3);
    assert_int_equal(p.skipped, 1);
}

static void draws_and_clears_when_enabled(void **state)
{
    (void)state;
    char buf[1024];
    memset(buf, 0, sizeof buf);
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    progress p;
    progress_init(&p, f, 1, 1);
    progress_step(&p, 4, 0); /* last file: always drawn */
    progress_finish(&p);
    fclose(f);
    assert_non_null(strstr(buf, "1/1 file, 4 faces"));
    /* The line is cleared at the end. */
    size_t n = strlen(buf);
    assert_true(n > 4);
    assert_string_equal(buf + n - 4, "\r\033[K");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_line),
        cmocka_unit_test(silent_when_disabled),
        cmocka_unit_test(draws_and_clears_when_enabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
