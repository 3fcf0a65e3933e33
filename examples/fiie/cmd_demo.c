/* fiie demo: the whole job on the bundled public-domain sample photo -
 * detect, preview, new key, encrypt, decrypt, verify bit-exact - telling
 * the user what happened and where the files are. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli.h"
#include "common.h"
#include "draw.h"
#include "faces.h"
#include "progress.h"
#include "walk.h"

enum { OPT_IMAGE = 1001 };

static const cli_opt demo_opts[] = {
    {"out-dir", 'o', 1, OPT_OUT_DIR, "DIR", "where to write the files (default ./fiie-demo, must be new or empty)"},
    {"image", 0, 1, OPT_IMAGE, "FILE", "use this photo instead of the bundled sample"},
    {"threads", 'j', 1, OPT_THREADS, "N", "threads (default 1)"},
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
};

typedef struct demo_ctx {
    const char *out_dir, *image;
    unsigned threads;
    int help;
} demo_ctx;

static int on_opt(void *c, int id, const char *value, char *err, size_t errlen)
{
    demo_ctx *x = c;
    switch (id) {
    case OPT_OUT_DIR: x->out_dir = value; return 0;
    case OPT_IMAGE: x->image = value; return 0;
    case OPT_THREADS:
        if (cli_parse_u32(value, 1, FIIE_MAX_THREADS, &x->threads)) {
            snprintf(err, errlen, "--threads: expected 1..%u", FIIE_MAX_THREADS);
            return -1;
        }
        return 0;
    case OPT_HELP: x->help = 1; return 0;
    default: return -1;
    }
}

static void help(void)
{
    printf("Usage: fiie demo [--out-dir DIR] [--image FILE]\n"
           "\n"
           "Run the whole pipeline on the bundled public-domain sample photo:\n"
           "detect the faces, write a preview with the boxes, create a fresh key,\n"
           "encrypt the faces, decrypt them again and check that the result is\n"
           "bit-exact. Every file goes into a new directory (default ./fiie-demo).\n"
           "\n"
           "Options:\n");
    cli_print_options(stdout, demo_opts, sizeof demo_opts / sizeof demo_opts[0]);
    printf("\n" CLI_METADATA_NOTE
           "\nExit status: 0 every step worked and the round trip is bit-exact, 1 an\n"
           "error (including a round trip that is not bit-exact), 2 no face found in\n"
           "the photo, 64 usage error.\n");
}

/* New directory, or an existing empty one. */
static int prepare_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            cli_error("demo: %s exists and is not a directory; choose another --out-dir", dir);
            return -1;
        }
        DIR *d = opendir(dir);
        if (!d) {
            cli_error("demo: %s: %s", dir, strerror(errno));
            return -1;
        }
        struct dirent *e;
        int empty = 1;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                empty = 0;
        closedir(d);
        if (!empty) {
            cli_error("demo: %s already exists and is not empty; remove it or choose --out-dir", dir);
            return -1;
        }
        return 0;
    }
    if (walk_mkdirs(dir) != 0) {
        cli_error("demo: cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Pixels equal, compared row by row (strides may differ). */
static int same_pixels(const fiie_image *a, const fiie_image *b)
{
    if (a->width != b->width || a->height != b->height || a->format != b->format)
        return 0;
    size_t row = (size_t)a->width * (size_t)fiie_pixel_format_channels(a->format);
    for (uint32_t y = 0; y < a->height; y++)
        if (memcmp(a->data + y * a->stride, b->data + y * b->stride, row) != 0)
            return 0;
    return 1;
}

int cmd_demo(int argc, char **argv)
{
    demo_ctx x;
    memset(&x, 0, sizeof x);
    x.out_dir = "fiie-demo";
    x.threads = 1;
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    char err[512];
    if (cli_parse(argc, argv, demo_opts, sizeof demo_opts / sizeof demo_opts[0], on_opt, &x, pos,
                  &npos, err, sizeof err) != 0)
        return cli_usage_error("demo", "%s", err);
    if (x.help) {
        help();
        return CLI_EXIT_OK;
    }
    if (npos)
        return cli_usage_error("demo", "unexpected argument '%s'", pos[0]);
    const char *sample = x.image ? x.image : sample_image_path();
    if (!sample) {
        cli_error("demo: the sample photo was not found (looked in $FIIE_SAMPLE_IMAGE, %s and %s); "
                  "use --image FILE",
                  FIIE_SAMPLE_SOURCE, FIIE_SAMPLE_INSTALLED);
        return CLI_EXIT_FAIL;
    }

    int status = CLI_EXIT_FAIL, rc;
    fiie_image img, work, back;
    memset(&img, 0, sizeof img);
    memset(&work, 0, sizeof work);
    memset(&back, 0, sizeof back);
    fiie_model *model = NULL;
    fiie_detector *det = NULL;
    fiie_face *faces = NULL;
    fiie_mask *mask = NULL;
    fiie_key *key = NULL, *key2 = NULL;
    uint8_t *header = NULL, *header2 = NULL, *bitmap = NULL;
    char *p_preview = NULL, *p_key = NULL, *p_prot = NULL, *p_rest = NULL;
    size_t nfaces = 0;
    uint8_t raw[FIIE_KEY_BYTES];

    rc = fiie_image_load(&img, sample, NULL);
    if (rc) {
        cli_error("demo: %s: %s", sample, fiie_strerror(rc));
        goto out;
    }
    if (prepare_dir(x.out_dir) != 0)
        goto out;
    p_preview = path_in(x.out_dir, "preview.png");
    p_key = path_in(x.out_dir, "demo.key");
    p_prot = path_in(x.out_dir, "protected.png");
    p_rest = path_in(x.out_dir, "restored.png");
    if (!p_preview || !p_key || !p_prot || !p_rest)
        goto oom;
    printf("fiie demo: face-region encryption, step by step\n\n");
    printf("1. Read %s (%ux%u)\n", sample, img.width, img.height);

    /* Detection with the same high-recall preset as `fiie encrypt`. */
    fiie_detector_options o;
    if ((rc = fiie_detector_options_init(&o)) != 0 ||
        (rc = fiie_detector_options_preset(&o, FIIE_DETECTOR_PRESET_HIGH_RECALL)) != 0)
        goto lib_error;
    o.threads = x.threads;
    double t0 = progress_now();
    if ((rc = fiie_model_new_default(&model)) != 0)
        goto lib_error;
    det_settings ds;
    memset(&ds, 0, sizeof ds);
    ds.opts = o;
    if (det_probe(&ds, model, "demo") != 0)
        goto out;
    if ((rc = fiie_detector_new(&det, model, &ds.opts)) != 0 ||
        (rc = faces_detect(det, &img, &faces, &nfaces)) != 0)
        goto lib_error;
    printf("2. Detected %zu face%s with MTCNN in %.0f ms:\n", nfaces, nfaces == 1 ? "" : "s",
           (progress_now() - t0) * 1000);
    for (size_t i = 0; i < nfaces; i++)
        printf("     box [%.0f, %.0f, %.0f, %.0f]  score %.3f\n", faces[i].box[0], faces[i].box[1],
               faces[i].box[2], faces[i].box[3], faces[i].score);
    if (nfaces == 0) {
        cli_error("demo: no face found in %s; nothing to protect", sample);
        status = CLI_EXIT_NOFACE;
        goto out;
    }

    /* Mask: each box enlarged 1.6x, as an ellipse (the encrypt defaults). */
    if ((rc = fiie_mask_new(&mask, img.width, img.height)) != 0)
        goto lib_error;
    for (size_t i = 0; i < nfaces && rc == 0; i++)
        rc = fiie_mask_add_box(mask, faces[i].box[0], faces[i].box[1], faces[i].box[2],
                               faces[i].box[3], FIIE_MASK_DEFAULT_SCALE, FIIE_MASK_DEFAULT_SHAPE);
    uint64_t pixels = 0;
    if (rc || (rc = fiie_mask_pixel_count(mask, &pixels)) != 0)
        goto lib_error;
    bitmap = malloc((size_t)img.width * img.height);
    if (!bitmap)
        goto oom;
    if ((rc = fiie_mask_rasterize(mask, bitmap, img.width)) != 0)
        goto lib_error;

    /* Preview: protected area tinted, boxes and landmarks drawn. */
    if ((rc = fiie_image_convert(&work, &img, img.format)) != 0)
        goto lib_error;
    static const uint8_t tint[3] = {255, 200, 0};
    draw_tint(&work, bitmap, img.width, tint, 96);
    faces_draw(&work, faces, nfaces);
    if ((rc = fiie_image_save_png(&work, p_preview, NULL, NULL, 0, FIIE_SAVE_NO_CLOBBER)) != 0)
        goto lib_error;
    fiie_image_free(&work);
    printf("3. Wrote the preview %s: boxes in green, landmarks in red, the %llu pixels\n"
           "   that will be encrypted tinted yellow (%.1f%% of the image)\n",
           p_preview, (unsigned long long)pixels,
           100.0 * (double)pixels / ((double)img.width * img.height));

    /* A fresh key, stored like `fiie keygen` does. */
    if ((rc = fiie_key_generate(&key)) != 0 || (rc = fiie_key_get_bytes(key, raw, sizeof raw)) != 0)
        goto lib_error;
    if (cli_key_write_new(p_key, raw, err, sizeof err) != 0) {
        cli_error("demo: %s", err);
        goto out;
    }
    printf("4. Created a new random key %s (mode 0600)\n", p_key);

    /* Encrypt a copy. */
    if ((rc = fiie_image_convert(&work, &img, img.format)) != 0)
        goto lib_error;
    fiie_encrypt_options eo;
    if ((rc = fiie_encrypt_options_init(&eo)) != 0)
        goto lib_error;
    eo.threads = x.threads;
    size_t hlen = 0;
    rc = fiie_encrypt(key, &work, mask, &eo, NULL, 0, &hlen);
    if (rc != FIIE_E_BUFFER_TOO_SMALL)
        goto lib_error;
    if (!(header = malloc(hlen)))
        goto oom;
    if ((rc = fiie_encrypt(key, &work, mask, &eo, header, hlen, &hlen)) != 0 ||
        (rc = fiie_protected_png_save(&work, header, hlen, p_prot, FIIE_SAVE_NO_CLOBBER)) != 0)
        goto lib_error;
    fiie_image_free(&work);
    printf("5. Encrypted the faces (FIIE v1: Logistic keystream + XChaCha20-Poly1305)\n"
           "   into %s; its %zu-byte fiIE header lists the regions, the nonce\n"
           "   and the authentication tag\n",
           p_prot, hlen);

    /* Decrypt from the files alone: key file and protected PNG. */
    if (cli_key_read(p_key, raw, err, sizeof err) != 0) {
        cli_error("demo: %s", err);
        goto out;
    }
    if ((rc = fiie_key_from_bytes(&key2, raw, sizeof raw)) != 0)
        goto lib_error;
    size_t hlen2 = 0;
    rc = fiie_protected_png_load(&back, p_prot, NULL, 0, &hlen2);
    if (rc != FIIE_E_BUFFER_TOO_SMALL)
        goto lib_error;
    if (!(header2 = malloc(hlen2)))
        goto oom;
    if ((rc = fiie_protected_png_load(&back, p_prot, header2, hlen2, &hlen2)) != 0)
        goto lib_error;
    /* Sanity: outside the mask nothing changed, inside most pixels did. */
    uint64_t changed_in = 0, changed_out = 0;
    int ch = fiie_pixel_format_channels(img.format);
    for (uint32_t y = 0; y < img.height; y++)
        for (uint32_t xx = 0; xx < img.width; xx++) {
            const uint8_t *a = img.data + y * img.stride + (size_t)xx * (size_t)ch;
            const uint8_t *b = back.data + y * back.stride + (size_t)xx * (size_t)ch;
            int diff = memcmp(a, b, (size_t)ch) != 0;
            if (bitmap[(size_t)y * img.width + xx])
                changed_in += (uint64_t)diff;
            else
                changed_out += (uint64_t)diff;
        }
    if ((rc = fiie_decrypt(key2, &back, header2, hlen2, NULL)) != 0)
        goto lib_error;
    if ((rc = fiie_image_save_png(&back, p_rest, NULL, NULL, 0, FIIE_SAVE_NO_CLOBBER)) != 0)
        goto lib_error;
    fiie_image_free(&back);
    printf("6. Decrypted %s with %s into %s\n", p_prot, p_key, p_rest);

    /* Verify from the written file. */
    if ((rc = fiie_image_load(&back, p_rest, NULL)) != 0)
        goto lib_error;
    int exact = same_pixels(&img, &back);
    printf("7. Verified: %s (%llu of %llu protected pixels had changed, %llu outside)\n",
           exact ? "the restored image is bit-exact" : "MISMATCH: the restored image differs",
           (unsigned long long)changed_in, (unsigned long long)pixels,
           (unsigned long long)changed_out);
    if (!exact || changed_out) {
        cli_error("demo: verification failed");
        goto out;
    }
    printf("\nFiles in %s/: preview.png, demo.key, protected.png, restored.png\n"
           "Do the same with your photos:\n"
           "  fiie keygen my.key\n"
           "  fiie encrypt -r photos/ --out-dir protected/ --key-file my.key\n"
           "  fiie decrypt -r protected/ --out-dir restored/ --key-file my.key\n",
           x.out_dir);
    status = CLI_EXIT_OK;
    goto out;
oom:
    rc = FIIE_E_NO_MEMORY;
lib_error:
    cli_error("demo: %s", fiie_strerror(rc));
out:
    sodium_memzero(raw, sizeof raw);
    free(p_preview);
    free(p_key);
    free(p_prot);
    free(p_rest);
    free(header);
    free(header2);
    free(bitmap);
    free(faces);
    fiie_mask_free(mask);
    fiie_key_free(key);
    fiie_key_free(key2);
    fiie_detector_free(det);
    fiie_model_free(model);
    fiie_image_free(&img);
    fiie_image_free(&work);
    fiie_image_free(&back);
    return status;
}
