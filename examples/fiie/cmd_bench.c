/* fiie bench detect IMAGE [--threads N] [--runs N] [--json]
 * fiie bench cipher [--threads N] [--json]
 * Benchmarks, not tests: they print timings and never judge them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <sodium.h>

#include "cli.h"
#include "common.h"
#include "faces.h"
#include "progress.h"

enum { OPT_RUNS = 1001, OPT_SIZE };

static const cli_opt bench_detect_opts[] = {
    {"threads", 'j', 1, OPT_THREADS, "N", "detector threads (default 1)"},
    {"runs", 'n', 1, OPT_RUNS, "N", "timed runs after 2 warm-up runs (default 25)"},
    {"min-face", 0, 1, OPT_MIN_FACE, "N", "detector option (default 20)"},
    {"factor", 0, 1, OPT_FACTOR, "F", "detector option (default 0.709)"},
    {"thresholds", 0, 1, OPT_THRESHOLDS, "A,B,C", "detector option (default 0.6,0.7,0.7)"},
    {"model", 0, 1, OPT_MODEL, "NAME|FILE", CLI_MODEL_HELP},
    {"json", 0, 0, OPT_JSON, NULL, "one JSON object"},
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
};

static const cli_opt bench_cipher_opts[] = {
    {"threads", 'j', 1, OPT_THREADS, "N", "threads (default 1)"},
    {"size", 0, 1, OPT_SIZE, "MB", "bytes per measurement in MiB (default 48)"},
    {"json", 0, 0, OPT_JSON, NULL, "one JSON object"},
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
};

typedef struct bench_ctx {
    det_settings det;
    unsigned threads;
    uint32_t runs;
    uint32_t size_mb;
    int json, help;
} bench_ctx;

static int on_opt(void *c, int id, const char *value, char *err, size_t errlen)
{
    bench_ctx *x = c;
    int r = det_option(&x->det, id, value, err, errlen);
    if (r)
        return r < 0 ? -1 : 0;
    switch (id) {
    case OPT_THREADS:
        if (cli_parse_u32(value, 1, FIIE_MAX_THREADS, &x->threads)) {
            snprintf(err, errlen, "--threads: expected 1..%u", FIIE_MAX_THREADS);
            return -1;
        }
        return 0;
    case OPT_RUNS:
        if (cli_parse_u32(value, 1, 100000, &x->runs)) {
            snprintf(err, errlen, "--runs: expected 1..100000");
            return -1;
        }
        return 0;
    case OPT_SIZE:
        if (cli_parse_u32(value, 1, 4096, &x->size_mb)) {
            snprintf(err, errlen, "--size: expected 1..4096 MiB");
            return -1;
        }
        return 0;
    case OPT_JSON: x->json = 1; return 0;
    case OPT_HELP: x->help = 1; return 0;
    default: return -1;
    }
}

static void help(void)
{
    printf("Usage: fiie bench detect IMAGE [--threads N] [--runs N] [--json]\n"
           "       fiie bench cipher [--threads N] [--json]\n"
           "\n"
           "bench detect: time face detection on IMAGE (2 warm-up runs, then N timed\n"
           "runs) and print the median, minimum and maximum milliseconds per image and\n"
           "the peak resident memory of the process. --json prints\n"
           "  {\"median_ms\": M, \"min_ms\": m, \"max_ms\": X, \"runs\": N, \"threads\": T,\n"
           "   \"peak_rss_kb\": R}\n"
           "\n"
           "bench cipher: throughput in GB/s (10^9 bytes per second) of the Logistic\n"
           "keystream layer alone, of full FIIE v1 encryption (bytes of protected\n"
           "region stream), and of libsodium's XChaCha20 stream cipher alone as a\n"
           "reference, all in the same run. --json prints\n"
           "  {\"logistic_gbps\": A, \"fiie_v1_gbps\": B, \"xchacha20_gbps\": C, \"threads\": T}\n"
           "\n"
           "Options of bench detect:\n");
    cli_print_options(stdout, bench_detect_opts, sizeof bench_detect_opts / sizeof bench_detect_opts[0]);
    printf("\nOptions of bench cipher:\n");
    cli_print_options(stdout, bench_cipher_opts, sizeof bench_cipher_opts / sizeof bench_cipher_opts[0]);
    printf("\nExit status: 0 results printed, 1 an error, 64 usage error.\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* kilobytes on Linux */
}

static int bench_detect(bench_ctx *x, const char *path)
{
    fiie_image img;
    int rc = fiie_image_load(&img, path, NULL);
    if (rc) {
        cli_error("bench: %s: %s", path, fiie_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    char err[512];
    fiie_model *model = NULL;
    fiie_detector *det = NULL;
    double *t = calloc(x->runs, sizeof *t);
    int status = CLI_EXIT_FAIL;
    if (!t) {
        cli_error("bench: out of memory");
        goto out;
    }
    if (det_load_model(&x->det, &model, err, sizeof err) != 0) {
        cli_error("bench: %s", err);
        goto out;
    }
    x->det.opts.threads = x->threads;
    rc = fiie_detector_new(&det, model, &x->det.opts);
    if (rc) {
        cli_error("bench: cannot create the detector: %s", fiie_strerror(rc));
        goto out;
    }
    fiie_face *faces = NULL;
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        free(faces);
        rc = faces_detect(det, &img, &faces, &n);
        if (rc) {
            cli_error("bench: detection failed: %s", fiie_strerror(rc));
            goto out;
        }
    }
    free(faces);
    for (uint32_t i = 0; i < x->runs; i++) {
        double t0 = progress_now();
        rc = faces_detect(det, &img, &faces, &n);
        t[i] = (progress_now() - t0) * 1000.0;
        free(faces);
        if (rc) {
            cli_error("bench: detection failed: %s", fiie_strerror(rc));
            goto out;
        }
    }
    qsort(t, x->runs, sizeof *t, cmp_double);
    double median = x->runs % 2 ? t[x->runs / 2] : (t[x->runs / 2 - 1] + t[x->runs / 2]) / 2;
    long rss = peak_rss_kb();
    if (x->json)
        printf("{\"median_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f, \"runs\": %u, "
               "\"threads\": %u, \"peak_rss_kb\": %ld}\n",
               median, t[0], t[x->runs - 1], x->runs, x->threads, rss);
    else
        printf("detect %s (%ux%u): %zu face%s; median %.2f ms, min %.2f ms, max %.2f ms over %u "
               "runs, %u thread%s; peak RSS %ld kB\n",
               path, img.width, img.height, n, n == 1 ? "" : "s", median, t[0], t[x->runs - 1],
               x->runs, x->threads, x->threads == 1 ? "" : "s", rss);
    status = CLI_EXIT_OK;
out:
    free(t);
    fiie_detector_free(det);
    fiie_model_free(model);
    fiie_image_free(&img);
    return status;
}

/* XChaCha20 over a buffer split among threads: each part continues the
 * stream at its own block counter, so the result equals one call. */
#define XC_BLOCK 64 /* bytes per XChaCha20 block (one counter step) */
typedef struct xc_part {
    uint8_t *buf;
    size_t len;
    uint64_t ic;
    const uint8_t *nonce, *key;
} xc_part;

static void *xc_run(void *a)
{
    xc_part *p = a;
    crypto_stream_xchacha20_xor_ic(p->buf, p->buf, p->len, p->nonce, p->ic, p->key);
    return NULL;
}

static void xchacha_threads(uint8_t *buf, size_t len, const uint8_t *nonce, const uint8_t *key,
                            unsigned threads)
{
    xc_part parts[FIIE_MAX_THREADS];
    pthread_t th[FIIE_MAX_THREADS];
    int created[FIIE_MAX_THREADS] = {0};
    size_t chunk = (len / threads + XC_BLOCK - 1) / XC_BLOCK * XC_BLOCK;
    for (unsigned i = 0; i < threads && i < FIIE_MAX_THREADS; i++) {
        size_t off = (size_t)i * chunk;
        if (off >= len)
            break;
        parts[i] = (xc_part){buf + off, off + chunk > len ? len - off : chunk, off / XC_BLOCK,
                             nonce, key};
        if (i > 0 && pthread_create(&th[i], NULL, xc_run, &parts[i]) == 0)
            created[i] = 1;
        else if (i > 0)
            xc_run(&parts[i]);
    }
    if (len)
        xc_run(&parts[0]);
    for (unsigned i = 1; i < threads && i < FIIE_MAX_THREADS; i++)
        if (created[i])
            pthread_join(th[i], NULL);
}

/* Repeat fn until at least `min_s` seconds have passed; best-of rate. */
#define MEASURE(bytes, min_s, stmt, out_gbps)                                                     \
    do {                                                                                          \
        double best = 0, start = progress_now();                                                  \
        int reps = 0;                                                                             \
        while (reps < 3 || progress_now() - start < (min_s)) {                                    \
            double t0 = progress_now();                                                           \
            stmt;                                                                                 \
            double dt = progress_now() - t0;                                                      \
            double r = (double)(bytes) / dt / 1e9;                                                \
            if (r > best)                                                                         \
                best = r;                                                                         \
            reps++;                                                                               \
        }                                                                                         \
        (out_gbps) = best;                                                                        \
    } while (0)

static int bench_cipher(bench_ctx *x)
{
    size_t bytes = (size_t)x->size_mb << 20;
    /* A square-ish RGB image whose region stream is about `bytes` long,
     * fully covered by one rectangle. */
    uint32_t w = 4096, h = (uint32_t)(bytes / 3 / w);
    if (h < 1)
        h = 1;
    size_t stream = (size_t)w * h * 3;
    uint8_t *buf = malloc(stream);
    fiie_image img;
    memset(&img, 0, sizeof img);
    fiie_key *key = NULL;
    fiie_mask *mask = NULL;
    uint8_t *header = NULL;
    int status = CLI_EXIT_FAIL;
    int rc;
    if (!buf || (rc = fiie_image_alloc(&img, w, h, FIIE_PIXEL_RGB8)) != 0) {
        cli_error("bench: out of memory");
        goto out;
    }
    randombytes_buf(img.data, stream);
    if ((rc = fiie_key_generate(&key)) != 0 || (rc = fiie_mask_new(&mask, w, h)) != 0 ||
        (rc = fiie_mask_add_region(mask, FIIE_SHAPE_RECT, 0, 0, w, h)) != 0) {
        cli_error("bench: setup failed: %s", fiie_strerror(rc));
        goto out;
    }
    uint8_t nonce[FIIE_NONCE_BYTES], rawkey[FIIE_KEY_BYTES];
    randombytes_buf(nonce, sizeof nonce);
    randombytes_buf(rawkey, sizeof rawkey);
    fiie_encrypt_options eo;
    fiie_encrypt_options_init(&eo);
    eo.threads = x->threads;
    size_t hlen = 0;
    rc = fiie_encrypt(key, &img, mask, &eo, NULL, 0, &hlen);
    header = rc == FIIE_E_BUFFER_TOO_SMALL ? malloc(hlen) : NULL;
    if (!header) {
        cli_error("bench: header size query failed: %s", fiie_strerror(rc));
        goto out;
    }
    double lg = 0, v1 = 0, xc = 0;
    int err_ks = 0, err_enc = 0;
    MEASURE(stream, 1.0, err_ks |= fiie_keystream(key, nonce, buf, stream, x->threads), lg);
    MEASURE(stream, 1.0, err_enc |= fiie_encrypt(key, &img, mask, &eo, header, hlen, &hlen), v1);
    MEASURE(stream, 1.0, xchacha_threads(buf, stream, nonce, rawkey, x->threads), xc);
    if (err_ks || err_enc) {
        cli_error("bench: %s failed", err_ks ? "fiie_keystream" : "fiie_encrypt");
        goto out;
    }
    if (x->json)
        printf("{\"logistic_gbps\": %.4f, \"fiie_v1_gbps\": %.4f, \"xchacha20_gbps\": %.4f, "
               "\"threads\": %u}\n",
               lg, v1, xc, x->threads);
    else
        printf("cipher, %u thread%s, %.1f MB per run (best of >= 1 s each):\n"
               "  Logistic keystream layer  %7.3f GB/s\n"
               "  FIIE v1 encrypt (full)    %7.3f GB/s\n"
               "  XChaCha20 (libsodium)     %7.3f GB/s\n",
               x->threads, x->threads == 1 ? "" : "s", (double)stream / 1e6, lg, v1, xc);
    status = CLI_EXIT_OK;
    sodium_memzero(rawkey, sizeof rawkey);
out:
    free(header);
    free(buf);
    fiie_mask_free(mask);
    fiie_key_free(key);
    fiie_image_free(&img);
    return status;
}

int cmd_bench(int argc, char **argv)
{
    bench_ctx x;
    memset(&x, 0, sizeof x);
    x.threads = 1;
    x.runs = 25;
    x.size_mb = 48;
    fiie_detector_options_init(&x.det.opts);
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    char err[512];
    const int is_cipher = argc > 0 && strcmp(argv[0], "cipher") == 0;
    const cli_opt *opts = is_cipher ? bench_cipher_opts : bench_detect_opts;
    size_t nopts = is_cipher ? sizeof bench_cipher_opts / sizeof bench_cipher_opts[0]
                             : sizeof bench_detect_opts / sizeof bench_detect_opts[0];
    if (cli_parse(argc, argv, opts, nopts, on_opt, &x, pos, &npos, err, sizeof err) != 0)
        return cli_usage_error("bench", "%s", err);
    if (x.help) {
        help();
        return CLI_EXIT_OK;
    }
    if (npos == 0)
        return cli_usage_error("bench", "expected 'detect IMAGE' or 'cipher'");
    if (strcmp(pos[0], "detect") == 0) {
        if (npos != 2)
            return cli_usage_error("bench", "bench detect needs one IMAGE");
        return bench_detect(&x, pos[1]);
    }
    if (strcmp(pos[0], "cipher") == 0) {
        if (npos != 1)
            return cli_usage_error("bench", "bench cipher takes no arguments");
        return bench_cipher(&x);
    }
    return cli_usage_error("bench", "unknown benchmark '%s' (detect or cipher)", pos[0]);
}
