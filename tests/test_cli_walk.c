/* Unit tests of batch input enumeration and output naming. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "walk.h"

static char root[64];
static const char *const image_exts[] = {"png", "jpg", "jpeg", NULL};

static void touch(const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
}

static void mk(const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0777), 0);
}

static void ln(const char *target, const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
    (void)state;
    strcpy(root, "/tmp/fiie_walk_XXXXXX");
    if (!mkdtemp(root))
        return -1;
    mk("in");
    touch("in/a.jpg");
    touch("in/b.PNG");
    touch("in/notes.txt");
    touch("in/noext");
    mk("in/sub");
    touch("in/sub/c.png");
    touch("in/sub/c_fiie.png");  /* looks like our own output */
    mk("in/out");                /* the output directory, inside the input tree */
    touch("in/out/old_fiie.png");
    touch("in/out/x.png");
    ln("..", "in/sub/up");        /* loop back to in/ */
    ln(".", "in/self");           /* loop onto itself */
    ln("/nonexistent/file.png", "in/dangling.png");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static int warnings;
static void count_warn(void *ctx, const char *path, const char *msg)
{
    (void)ctx;
    (void)path;
    (void)msg;
    warnings++;
}

static void recursive_walk_skips_output_dir_and_loops(void **state)
{
    (void)state;
    char in[128], out_spelled[160];
    snprintf(in, sizeof in, "%s/in", root);
    /* A different spelling of the same directory still matches (dev/inode). */
    snprintf(out_spelled, sizeof out_spelled, "%s/in/sub/../out/.", root);
    struct stat st;
    assert_int_equal(stat(out_spelled, &st), 0);
    walk_options o = {1, image_exts, "_fiie.png", 1, st.st_dev, st.st_ino};
    walk_list l = {0};
    const char *inputs[] = {in};
    warnings = 0;
    assert_int_equal(walk_collect(inputs, 1, &o, &l, count_warn, NULL), 0);
    assert_int_equal(warnings, 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].rel, "a.jpg");
    assert_string_equal(l.items[1].rel, "b.PNG");
    assert_string_equal(l.items[2].rel, "sub/c.png");
    char want[160];
    snprintf(want, sizeof want, "%s/in/sub/c.png", root);
    assert_string_equal(l.items[2].path, want);
    walk_list_free(&l);

    /* Without the skip directory, out/ is walked (x.png), old_fiie.png is
     * still skipped by its suffix. */
    o.have_skip_dir = 0;
    assert_int_equal(walk_collect(inputs, 1, &o, &l, count_warn, NULL), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.items[2].rel, "out/x.png");
    walk_list_free(&l);
}

static void explicit_inputs_and_problems(void **state)
{
    (void)state;
    char a[128], txt[128], dir[128], missing[128], out[128];
    snprintf(a, sizeof a, "%s/in/a.jpg", root);
    snprintf(txt, sizeof txt, "%s/in/notes.txt", root);
    snprintf(dir, sizeof dir, "%s/in", root);
    snprintf(missing, sizeof missing, "%s/in/missing.png", root);
    snprintf(out, sizeof out, "%s/in/out", root);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    walk_options o = {0, image_exts, "_fiie.png", 1, st.st_dev, st.st_ino};
    walk_list l = {0};
    const char *inputs[] = {a, txt, dir, missing};
    warnings = 0;
    /* Named files are taken whatever the extension; a directory without
     * -r and a missing file are problems. */
    assert_int_equal(walk_collect(inputs, 4, &o, &l, count_warn, NULL), 2);
    assert_int_equal(warnings, 2);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].rel, "a.jpg");
    assert_string_equal(l.items[1].rel, "notes.txt");
    walk_list_free(&l);
    /* The output directory itself as input is refused. */
    o.recursive = 1;
    const char *only_out[] = {out};
    assert_int_equal(walk_collect(only_out, 1, &o, &l, count_warn, NULL), 1);
    assert_int_equal(l.n, 0);
    walk_list_free(&l);
}

static void output_names(void **state)
{
    (void)state;
    struct {
        const char *dir, *rel, *suffix, *want;
    } c[] = {
        {"out", "a/b.jpg", "_fiie.png", "out/a/b_fiie.png"},
        {"out/", "b.jpeg", "_fiie.png", "out/b_fiie.png"},
        {"out", "a.b/c", "_fiie.png", "out/a.b/c_fiie.png"},
        {"out", ".hidden", "_x.png", "out/.hidden_x.png"},
        {"out", "a/.hidden.png", "_x.png", "out/a/.hidden_x.png"},
        {NULL, "dir/p.tar.png", "_fiie.png", "dir/p.tar_fiie.png"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *p = walk_output_path(c[i].dir, c[i].rel, c[i].suffix);
        assert_non_null(p);
        assert_string_equal(p, c[i].want);
        free(p);
    }
    assert_true(walk_has_ext("X.JPG", image_exts));
    assert_true(walk_has_ext("d.x/y.jpeg", image_exts));
    assert_false(walk_has_ext("y.jpegx", image_exts));
    assert_false(walk_has_ext(".png", image_exts));
    assert_false(walk_has_ext("png", image_exts));
    assert_true(walk_has_ext("anything", NULL));
}

static void restored_names_do_not_stack(void **state)
{
    (void)state;
    static const struct {
        const char *dir, *rel, *want;
    } c[] = {
        {"OUT", "photo_fiie.png", "OUT/photo.png"},
        {"OUT", "a/b/photo_fiie.png", "OUT/a/b/photo.png"},
        {NULL, "d/photo_fiie.PNG", "d/photo.png"},
        {"OUT", "x_fiie_fiie.png", "OUT/x_fiie.png"}, /* one marker per decryption */
        {"OUT", "_fiie.png", NULL},                    /* nothing left of the name */
        {"OUT", "photo.png", NULL},                    /* no marker: the suffix is used */
        {"OUT", "d_fiie/photo.png", NULL},             /* a folder's name does not count */
        {"OUT", "photo_fiie", "OUT/photo.png"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *p = walk_restored_path(c[i].dir, c[i].rel, "_fiie", "/nonexistent/input");
        if (c[i].want == NULL) {
            assert_null(p);
        } else {
            assert_non_null(p);
            assert_string_equal(p, c[i].want);
        }
        free(p);
    }
    /* The input itself is never the output: in/sub/c_fiie.png exists, and a
     * file named in/sub/c.png too; an input "c_fiie.png" whose restored name
     * would be itself (a hard link) falls back to the suffix. */
    char in[256], rel[256], linkp[256];
    snprintf(in, sizeof in, "%s/in/sub/c_fiie.png", root);
    snprintf(rel, sizeof rel, "%s/in/sub/h_fiie.png", root);
    snprintf(linkp, sizeof linkp, "%s/in/sub/h.png", root);
    assert_int_equal(link(in, linkp), 0);
    assert_null(walk_restored_path(NULL, rel, "_fiie", in)); /* h.png is c_fiie.png */
    assert_int_equal(unlink(linkp), 0);
    char *p = walk_restored_path(NULL, rel, "_fiie", in);
    assert_non_null(p);
    assert_string_equal(p, linkp);
    free(p);
}

static void make_dirs(void **state)
{
    (void)state;
    char p[200];
    snprintf(p, sizeof p, "%s/new/deep/er/file.png", root);
    assert_int_equal(walk_make_parents(p), 0);
    snprintf(p, sizeof p, "%s/new/deep/er", root);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(walk_mkdirs(p), 0); /* already there */
    snprintf(p, sizeof p, "%s/in/a.jpg/sub", root);
    assert_int_equal(walk_mkdirs(p), -1); /* a file in the way */
    assert_int_equal(walk_mkdirs(""), -1);
    assert_int_equal(walk_make_parents("plain.png"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recursive_walk_skips_output_dir_and_loops),
        cmocka_unit_test(explicit_inputs_and_problems),
        cmocka_unit_test(output_names),
        cmocka_unit_test(restored_names_do_not_stack),
        cmocka_unit_test(make_dirs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
