/* Benchmark (not a test): where the time of `fiie encrypt` and `fiie
 * decrypt` goes on one photo, phase by phase, as the CLI runs them with
 * its defaults (high-recall detector preset, ellipse masks of scale 1.6,
 * FIIE v1, protected PNG). Prints one JSON object of median milliseconds;
 * tests/bench_photo.py runs it next to the OpenCV peer.
 *
 * usage: bench_photo [--runs N] [--threads N] [--min-face F] IMAGE
 *        bench_photo --layers [--unfused] [--min-face F] IMAGE
 *        (CPU time and GMAC/s of every net layer, one thread; see below)
 *
 * Phases: decode (file bytes to pixels), detect split into its three
 * stages (white-box: the cascade's own stage functions), mask, encrypt,
 * encode (PNG with the fiIE chunk, in memory). The decrypt side decodes
 * that PNG, decrypts and encodes the restored image. File reads and
 * writes are left out (the page cache makes them noise). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fiie/fiie.h"
#include "detect/detect.h"

enum { PH_DECODE, PH_STAGE1, PH_STAGE2, PH_STAGE3, PH_MASK, PH_ENCRYPT, PH_ENCODE,
       PH_D_DECODE, PH_D_DECRYPT, PH_D_ENCODE, PH_COUNT };
static const char *const phase_name[PH_COUNT] = {
    "decode", "detect_stage1", "detect_stage2", "detect_stage3", "mask", "encrypt", "encode",
    "decrypt_decode", "decrypt_decrypt", "decrypt_encode"};

typedef struct settings {
    int runs;
    unsigned threads;
    double min_face; /* FIIE_MIN_FACE_BY_SIZE (0): the size rule */
    int layers, unfused;
    const char *path;
} settings;

typedef struct photo_result {
    size_t faces;
    uint32_t width, height;
    size_t png_bytes;
    double min_face;
} photo_result;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Peak resident set of this process in kB (VmHWM: unlike getrusage's
 * maxrss it is not carried over from the parent across exec). */
static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kb;
}

static int read_whole(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    int rc = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (*data = malloc((size_t)n)) != NULL) {
            if (fread(*data, 1, (size_t)n, f) == (size_t)n) {
                *size = (size_t)n;
                rc = 0;
            } else {
                free(*data);
            }
        }
    }
    fclose(f);
    return rc;
}

/* The detector stages timed one by one on a cascade of our own, with the
 * settings fiie_detector_detect() would use. */
static int detect_stages(detect_cascade *c, const fiie_model *m, const detect_params *p,
                         const fiie_image *img, double *t, const detect_list **out)
{
    detect_stage_arg arg = {.m = m, .k = detect_nn_kernels_best(), .p = p};
    c->img = img;
    c->k = arg.k;
    c->stage1.n = c->stage2.n = c->final.n = 0;
    double t0 = now_ms();
    int rc = detect_stage1(c, &arg, (int)img->height, (int)img->width);
    double t1 = now_ms();
    if (!rc)
        rc = detect_stage2(c, &arg);
    double t2 = now_ms();
    if (!rc)
        rc = detect_stage3(c, &arg);
    double t3 = now_ms();
    t[PH_STAGE1] = t1 - t0;
    t[PH_STAGE2] = t2 - t1;
    t[PH_STAGE3] = t3 - t2;
    *out = &c->final;
    return rc;
}

static int one_run(const settings *s, const uint8_t *file, size_t file_size, const fiie_model *m,
                   detect_cascade *c, const fiie_key *key, double *t, photo_result *r)
{
    fiie_image img, back;
    memset(&back, 0, sizeof back);
    fiie_mask *mask = NULL;
    uint8_t header[FIIE_HEADER_MAX_BYTES];
    uint8_t *png = NULL, *png2 = NULL;
    size_t hlen = 0, png_size = 0, png2_size = 0;
    double t0 = now_ms();
    int rc = fiie_image_load_memory(&img, file, file_size, NULL);
    t[PH_DECODE] = now_ms() - t0;
    if (rc)
        return rc;
    detect_params p = {.min_face = s->min_face, .factor = 0.79, .th = {0.5f, 0.5f, 0.3f}};
    if (p.min_face == FIIE_MIN_FACE_BY_SIZE) /* the fiie encrypt preset */
        p.min_face = detect_min_face_by_size(img.width, img.height);
    r->min_face = p.min_face;
    const detect_list *faces;
    if ((rc = detect_stages(c, m, &p, &img, t, &faces)) != 0)
        goto out;
    t0 = now_ms();
    rc = fiie_mask_new(&mask, img.width, img.height);
    for (size_t i = 0; i < faces->n && rc == 0; i++) {
        const detect_box *b = &faces->v[i];
        rc = fiie_mask_add_box(mask, (float)(b->x1 - 1), (float)(b->y1 - 1), (float)b->x2,
                               (float)b->y2, FIIE_MASK_DEFAULT_SCALE, FIIE_MASK_DEFAULT_SHAPE);
    }
    t[PH_MASK] = now_ms() - t0;
    if (rc)
        goto out;
    r->faces = faces->n;
    r->width = img.width;
    r->height = img.height;
    fiie_encrypt_options eo;
    fiie_encrypt_options_init(&eo);
    eo.threads = s->threads;
    t0 = now_ms();
    rc = fiie_encrypt(key, &img, mask, &eo, header, sizeof header, &hlen);
    t[PH_ENCRYPT] = now_ms() - t0;
    if (rc)
        goto out;
    t0 = now_ms();
    rc = fiie_image_encode_png(&img, FIIE_PNG_CHUNK, header, hlen, &png, &png_size);
    t[PH_ENCODE] = now_ms() - t0;
    if (rc)
        goto out;
    r->png_bytes = png_size;
    t0 = now_ms();
    rc = fiie_image_load_memory(&back, png, png_size, NULL);
    t[PH_D_DECODE] = now_ms() - t0;
    if (rc)
        goto out;
    fiie_decrypt_options dopt;
    fiie_decrypt_options_init(&dopt);
    dopt.threads = s->threads;
    t0 = now_ms();
    rc = fiie_decrypt(key, &back, header, hlen, &dopt);
    t[PH_D_DECRYPT] = now_ms() - t0;
    if (rc)
        goto out;
    t0 = now_ms();
    rc = fiie_image_encode_png(&back, NULL, NULL, 0, &png2, &png2_size);
    t[PH_D_ENCODE] = now_ms() - t0;
out:
    fiie_free(png);
    fiie_free(png2);
    fiie_mask_free(mask);
    fiie_image_free(&back);
    fiie_image_free(&img);
    return rc;
}

/* ---- --layers: CPU time and GMAC/s of each net layer ----------------------
 * The detector runs once on one thread with a kernel table that wraps the
 * best one and adds each call's thread CPU time (robust on a loaded
 * machine, unlike wall time) to its layer's line. With --unfused, P-Net's
 * fused conv1 + pool is timed as the separate conv and pool it replaced
 * (its planar input turned back into HWC outside the timing): the before
 * and after of the fusion in one run. */

#define MAX_LAYER_LINES 32

typedef struct layer_line {
    int kind, k, cin, cout, fused;
    double sec, macs;
} layer_line;

static struct {
    const detect_nn_kernels *best;
    int unfused;
    layer_line line[MAX_LAYER_LINES];
    int n;
    double rgbx_sec;
    float *hwc, *map;
    size_t cap;
} prof;

static double cpu_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static layer_line *line_of(const detect_nn_layer *l, int fused)
{
    for (int i = 0; i < prof.n; i++) {
        layer_line *e = &prof.line[i];
        if (e->kind == l->kind && e->k == l->k && e->cin == l->cin && e->cout == l->cout &&
            e->fused == fused)
            return e;
    }
    if (prof.n == MAX_LAYER_LINES)
        return &prof.line[MAX_LAYER_LINES - 1];
    layer_line *e = &prof.line[prof.n++];
    *e = (layer_line){l->kind, l->k, l->cin, l->cout, fused, 0, 0};
    return e;
}

static double conv_macs(const detect_nn_layer *l, int ih, int iw)
{
    return (double)(ih - l->k + 1) * (iw - l->k + 1) * l->k * l->k * l->cin * l->cout;
}

static void timed_conv(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    double t0 = cpu_sec();
    prof.best->conv(l, in, ih, iw, out);
    layer_line *e = line_of(l, 0);
    e->sec += cpu_sec() - t0;
    e->macs += conv_macs(l, ih, iw);
}

static void timed_pool(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    double t0 = cpu_sec();
    prof.best->pool(l, in, ih, iw, out);
    line_of(l, 0)->sec += cpu_sec() - t0;
}

static void timed_rgbx(const uint8_t *p, int n, int bpp, int bgr, float *dst)
{
    double t0 = cpu_sec();
    prof.best->rgbx(p, n, bpp, bgr, dst);
    prof.rgbx_sec += cpu_sec() - t0;
}

static void timed_conv_pool(const detect_nn_layer *conv, const detect_nn_layer *pool, const float *in,
                            int ih, int iw, float *out)
{
    if (prof.unfused) {
        const size_t n = (size_t)ih * iw * (size_t)(conv->cin > conv->cout ? conv->cin : conv->cout);
        if (n > prof.cap) {
            float *a = realloc(prof.hwc, n * sizeof *a), *b = a ? realloc(prof.map, n * sizeof *b) : NULL;
            if (a == NULL || b == NULL) {
                prof.hwc = a;
                prof.unfused = 0; /* out of memory: time the fused kernel */
            } else {
                prof.hwc = a;
                prof.map = b;
                prof.cap = n;
            }
        }
    }
    if (prof.unfused) {
        for (int y = 0; y < ih; y++)
            for (int x = 0; x < iw; x++)
                for (int c = 0; c < conv->cin; c++)
                    prof.hwc[((size_t)y * iw + x) * conv->cin + c] = in[((size_t)y * conv->cin + c) * iw + x];
        timed_conv(conv, prof.hwc, ih, iw, prof.map);
        timed_pool(pool, prof.map, ih - conv->k + 1, iw - conv->k + 1, out);
        return;
    }
    double t0 = cpu_sec();
    prof.best->conv_pool(conv, pool, in, ih, iw, out);
    layer_line *e = line_of(conv, 1);
    e->sec += cpu_sec() - t0;
    e->macs += conv_macs(conv, ih, iw);
}

static int layer_profile(const settings *s, const uint8_t *file, size_t file_size, const fiie_model *m)
{
    fiie_image img;
    int rc = fiie_image_load_memory(&img, file, file_size, NULL);
    if (rc)
        return rc;
    detect_cascade *c = NULL;
    if ((rc = detect_cascade_new(&c, 1)) != 0) {
        fiie_image_free(&img);
        return rc;
    }
    prof.best = detect_nn_kernels_best();
    prof.unfused = s->unfused;
    const detect_nn_kernels k = {timed_conv, timed_pool, "timed", timed_rgbx, timed_conv_pool};
    detect_params p = {.min_face = s->min_face, .factor = 0.79, .th = {0.5f, 0.5f, 0.3f}};
    if (p.min_face == FIIE_MIN_FACE_BY_SIZE)
        p.min_face = detect_min_face_by_size(img.width, img.height);
    detect_stage_arg arg = {.m = m, .k = &k, .p = &p};
    c->img = &img;
    c->k = &k;
    printf("{\"image\": \"%s\", \"kernels\": \"%s\", \"unfused\": %d, \"stages\": [", s->path,
           prof.best->name, prof.unfused);
    for (int st = 1; st <= 3 && rc == 0; st++) {
        prof.n = 0;
        prof.rgbx_sec = 0;
        double t0 = cpu_sec();
        rc = st == 1 ? detect_stage1(c, &arg, (int)img.height, (int)img.width)
             : st == 2 ? detect_stage2(c, &arg)
                       : detect_stage3(c, &arg);
        double total = cpu_sec() - t0, nets = 0;
        printf("%s\n {\"stage\": %d, \"cpu_ms\": %.1f, \"rgbx_ms\": %.1f, \"layers\": [", st > 1 ? "," : "",
               st, total * 1e3, prof.rgbx_sec * 1e3);
        for (int i = 0; i < prof.n; i++) {
            const layer_line *e = &prof.line[i];
            nets += e->sec;
            printf("%s\n  {\"layer\": \"%s%s k%d %d->%d\", \"cpu_ms\": %.1f, \"gmac\": %.3f, \"gmac_per_s\": %.2f}",
                   i ? "," : "", e->kind == DETECT_NN_CONV ? "conv" : "pool", e->fused ? "+pool" : "", e->k,
                   e->cin, e->cout, e->sec * 1e3, e->macs / 1e9, e->sec > 0 ? e->macs / e->sec / 1e9 : 0.0);
        }
        /* the rest: resampling (its x and y passes), NMS, bookkeeping */
        printf("], \"nets_ms\": %.1f, \"rest_ms\": %.1f}", nets * 1e3,
               (total - nets - prof.rgbx_sec) * 1e3);
    }
    printf("]}\n");
    free(prof.hwc);
    free(prof.map);
    detect_cascade_free(c);
    fiie_image_free(&img);
    return rc;
}

static int parse_args(int argc, char **argv, settings *s)
{
    s->runs = 5;
    s->threads = 1;
    s->min_face = 0;
    s->layers = s->unfused = 0;
    s->path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            s->runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            s->threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--min-face") == 0 && i + 1 < argc)
            s->min_face = atof(argv[++i]);
        else if (strcmp(argv[i], "--layers") == 0)
            s->layers = 1;
        else if (strcmp(argv[i], "--unfused") == 0)
            s->unfused = 1;
        else if (s->path == NULL && argv[i][0] != '-')
            s->path = argv[i];
        else
            return -1;
    }
    return s->path != NULL && s->runs >= 1 && s->threads >= 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    settings s;
    if (parse_args(argc, argv, &s) != 0) {
        fprintf(stderr, "usage: bench_photo [--runs N] [--threads N] [--min-face F] IMAGE\n"
                        "       bench_photo --layers [--unfused] [--min-face F] IMAGE\n");
        return 64;
    }
    uint8_t *file = NULL;
    size_t file_size = 0;
    if (read_whole(s.path, &file, &file_size) != 0) {
        fprintf(stderr, "%s: cannot read\n", s.path);
        return 1;
    }
    fiie_model *m = NULL;
    detect_cascade *c = NULL;
    fiie_key *key = NULL;
    uint8_t raw[FIIE_KEY_BYTES];
    memset(raw, 7, sizeof raw);
    int rc = fiie_model_new_default(&m);
    if (!rc)
        rc = detect_cascade_new(&c, (int)s.threads);
    if (!rc)
        rc = fiie_key_from_bytes(&key, raw, sizeof raw);
    if (!rc && s.layers) {
        rc = layer_profile(&s, file, file_size, m);
        if (rc)
            fprintf(stderr, "%s: %s\n", s.path, fiie_strerror(rc));
        fiie_key_free(key);
        detect_cascade_free(c);
        fiie_model_free(m);
        free(file);
        return rc ? 1 : 0;
    }
    double *t = calloc((size_t)(s.runs + 1) * PH_COUNT, sizeof *t);
    photo_result r;
    memset(&r, 0, sizeof r);
    /* one warm-up run (index 0, not counted), then the timed runs */
    for (int i = 0; i <= s.runs && rc == 0 && t != NULL; i++)
        rc = one_run(&s, file, file_size, m, c, key, t + (size_t)i * PH_COUNT, &r);
    if (rc || t == NULL) {
        fprintf(stderr, "%s: %s\n", s.path, fiie_strerror(rc ? rc : FIIE_E_NO_MEMORY));
        rc = 1;
    } else {
        printf("{\"image\": \"%s\", \"width\": %u, \"height\": %u, \"faces\": %zu, "
               "\"min_face\": %.2f, \"threads\": %u, \"runs\": %d, \"png_bytes\": %zu, "
               "\"peak_rss_kb\": %ld, \"median_ms\": {",
               s.path, r.width, r.height, r.faces, r.min_face, s.threads, s.runs, r.png_bytes,
               peak_rss_kb());
        double *col = malloc(sizeof *col * (size_t)s.runs);
        for (int ph = 0; ph < PH_COUNT && col != NULL; ph++) {
            for (int i = 0; i < s.runs; i++)
                col[i] = t[(size_t)(i + 1) * PH_COUNT + (size_t)ph];
            qsort(col, (size_t)s.runs, sizeof *col, cmp_double);
            printf("%s\"%s\": %.1f", ph ? ", " : "", phase_name[ph], col[s.runs / 2]);
        }
        printf("}}\n");
        free(col);
        rc = 0;
    }
    free(t);
    fiie_key_free(key);
    detect_cascade_free(c);
    fiie_model_free(m);
    free(file);
    return rc;
}
