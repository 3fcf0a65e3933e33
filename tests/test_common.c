/* Unit tests of fiie/common.h: status strings and version queries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fiie/fiie.h"

static void strerror_covers_every_code(void **state)
{
    (void)state;
    /* Every defined code has its own text; unknown codes a generic one. */
    const char *unknown = fiie_strerror(-9999);
    assert_non_null(unknown);
    assert_string_equal(unknown, "unknown error");
    assert_string_equal(fiie_strerror(FIIE_OK), "success");
    for (int code = -1; code >= FIIE_E_UNSUPPORTED_FORMAT; code--) {
        const char *s = fiie_strerror(code);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, unknown);
        for (int other = code + 1; other <= 0; other++)
            assert_string_not_equal(s, fiie_strerror(other));
    }
    assert_string_equal(fiie_strerror(1), unknown);
    assert_string_equal(fiie_strerror(INT32_MIN), unknown);
}

static void version_matches_header(void **state)
{
    (void)state;
    assert_int_equal(fiie_version_number(), FIIE_VERSION_NUMBER);
    assert_int_equal(fiie_abi_version(), FIIE_ABI_VERSION);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", FIIE_VERSION_MAJOR, FIIE_VERSION_MINOR,
             FIIE_VERSION_PATCH);
    assert_string_equal(fiie_version_string(), expect);
}

static void free_accepts_null(void **state)
{
    (void)state;
    fiie_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strerror_covers_every_code),
        cmocka_unit_test(version_matches_header),
        cmocka_unit_test(free_accepts_null),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
