/* fiie encrypt / fiie decrypt: protect the faces of photos (FIIE v1) and
 * restore them. Both run as batches (files, directories with -r). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "common.h"
#include "keycache.h"
#include "regions.h"
#include "walk.h"

enum {
    OPT_FAST = 1001,
    OPT_REGIONS,
    OPT_MASK_SCALE,
    OPT_SHAPE,
    OPT_NONCE,
    OPT_ALLOW_EMPTY,
    OPT_COMPRESSION,
};

#define COMMON_BATCH_OPTS(suffix_help)                                                            \
    {"recursive", 'r', 0, OPT_RECURSIVE, NULL, "read images from directories recursively"},      \
    {"out-dir", 0, 1, OPT_OUT_DIR, "DIR", "write outputs below DIR, keeping relative paths"},     \
    {"output", 'o', 1, OPT_OUTPUT, "FILE", "output file (one input only)"},                      \
    {"suffix", 0, 1, OPT_SUFFIX, "S", suffix_help},                                               \
    {"force", 'f', 0, OPT_FORCE, NULL, "replace existing output files"},                         \
    {"in-place", 0, 0, OPT_IN_PLACE, NULL, "replace each input file by its output (PNG only)"},  \
    {"threads", 'j', 1, OPT_THREADS, "N", "threads: files in parallel, or within one image"},    \
    {"quiet", 'q', 0, OPT_QUIET, NULL, "only errors; no progress line"},                         \
    {"json", 0, 0, OPT_JSON, NULL, "print a JSON summary of the batch on stdout"},               \
    {"compression", 0, 1, OPT_COMPRESSION, "N", "PNG compression 1 (fastest) .. 9 (smallest); default 4 (libdeflate)"}

static const cli_opt encrypt_opts[] = {
    {"key-file", 'k', 1, OPT_KEY_FILE, "F", "key file (64 hex digits, or 32 raw bytes)"},
    {"passphrase-file", 'p', 1, OPT_PASSPHRASE_FILE, "F", "derive the key from this file's passphrase (Argon2id)"},
    {"fast", 0, 0, OPT_FAST, NULL, "detector defaults instead of the high-recall preset"},
    {"min-face", 0, 1, OPT_MIN_FACE, "N", "smallest face side in pixels (default: 10 up to 3 MP, growing to 20 at 12 MP)"},
    {"factor", 0, 1, OPT_FACTOR, "F", "image pyramid step (default 0.79)"},
    {"thresholds", 0, 1, OPT_THRESHOLDS, "A,B,C", "detector thresholds (default 0.5,0.5,0.3)"},
    {"max-faces", 0, 1, OPT_MAX_FACES, "N", "protect at most the N best faces"},
    {"model", 0, 1, OPT_MODEL, "FILE", "MTCNN model file (default: built in)"},
    {"regions", 0, 1, OPT_REGIONS, "LIST", "protect 'rect:x,y,w,h;ellipse:x,y,w,h' instead of detecting"},
    {"mask-scale", 0, 1, OPT_MASK_SCALE, "S", "enlarge face boxes by S about their centre (default 1.6)"},
    {"shape", 0, 1, OPT_SHAPE, "rect|ellipse", "region shape for faces (default ellipse)"},
    {"allow-empty", 0, 0, OPT_ALLOW_EMPTY, NULL, "no face: write an unprotected copy, exit 0"},
    {"nonce", 0, 1, OPT_NONCE, "HEX", "fixed 24-byte nonce: FOR TESTS ONLY, never reuse"},
    {"paper", 0, 1, OPT_PAPER, "X0,MU", "INSECURE paper algorithm with key (x0, mu), for comparisons"},
    COMMON_BATCH_OPTS("output name suffix (default _fiie.png)"),
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
};

static const cli_opt decrypt_opts[] = {
    {"key-file", 'k', 1, OPT_KEY_FILE, "F", "key file (64 hex digits, or 32 raw bytes)"},
    {"passphrase-file", 'p', 1, OPT_PASSPHRASE_FILE, "F", "passphrase file used at encryption"},
    {"paper", 0, 1, OPT_PAPER, "X0,MU", "key of an image encrypted with --paper"},
    COMMON_BATCH_OPTS("output name suffix (default _decrypted.png)"),
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
};

typedef struct crypt_ctx {
    int encrypt;
    det_settings det;
    fiie_model *model;
    int fast;
    cli_region *regions;
    size_t nregions;
    double mask_scale;
    int32_t shape;
    int allow_empty;
    int have_nonce;
    uint8_t nonce[FIIE_NONCE_BYTES];
    key_source key;
    /* One key for the whole run, shared by every worker (a fiie_key is
     * immutable and may be used by concurrent calls, fiie/cipher.h): the
     * raw key, or the passphrase key of encrypt (one Argon2id run, one salt
     * for the batch; each file still gets its own random nonce). */
    fiie_key *shared_key;
    /* decrypt --passphrase-file: keys by (salt, limits) of the headers. */
    keycache pass_keys;
    int have_pass_keys;
    unsigned compression; /* 0: the library's default level */
    batch_options bo;
    int help;
} crypt_ctx;

static int on_opt(void *c, int id, const char *value, char *err, size_t errlen)
{
    crypt_ctx *x = c;
    if (x->encrypt) {
        int r = det_option(&x->det, id, value, err, errlen);
        if (r)
            return r < 0 ? -1 : 0;
    }
    switch (id) {
    case OPT_KEY_FILE: x->key.key_file = value; return 0;
    case OPT_PASSPHRASE_FILE: x->key.pass_file = value; return 0;
    case OPT_PAPER:
        if (parse_paper(value, &x->key.paper_x0, &x->key.paper_mu)) {
            snprintf(err, errlen, "--paper: expected X0,MU with 0 < X0 < 1 and 3.57 <= MU <= 4");
            return -1;
        }
        x->key.paper = 1;
        return 0;
    case OPT_FAST: x->fast = 1; return 0;
    case OPT_REGIONS: {
        free(x->regions);
        x->regions = NULL;
        int rc = cli_regions_parse(value, strlen(value), &x->regions, &x->nregions, err, errlen);
        if (rc == -2)
            snprintf(err, errlen, "out of memory");
        return rc ? -1 : 0;
    }
    case OPT_MASK_SCALE:
        if (cli_parse_double(value, 0.1, 10, &x->mask_scale)) {
            snprintf(err, errlen, "--mask-scale: expected a factor in [0.1, 10], got '%s'", value);
            return -1;
        }
        return 0;
    case OPT_SHAPE:
        if (strcmp(value, "rect") == 0)
            x->shape = FIIE_SHAPE_RECT;
        else if (strcmp(value, "ellipse") == 0)
            x->shape = FIIE_SHAPE_ELLIPSE;
        else {
            snprintf(err, errlen, "--shape: expected rect or ellipse, got '%s'", value);
            return -1;
        }
        return 0;
    case OPT_ALLOW_EMPTY: x->allow_empty = 1; return 0;
    case OPT_NONCE:
        if (cli_parse_hex(value, x->nonce, sizeof x->nonce)) {
            snprintf(err, errlen, "--nonce: expected %u hex digits", 2 * FIIE_NONCE_BYTES);
            return -1;
        }
        x->have_nonce = 1;
        return 0;
    case OPT_RECURSIVE: x->bo.recursive = 1; return 0;
    case OPT_OUT_DIR: x->bo.out_dir = value; return 0;
    case OPT_OUTPUT: x->bo.output = value; return 0;
    case OPT_SUFFIX:
        if (!value[0] || strchr(value, '/')) {
            snprintf(err, errlen, "--suffix: must be non-empty and contain no '/'");
            return -1;
        }
        x->bo.suffix = value;
        return 0;
    case OPT_FORCE: x->bo.force = 1; return 0;
    case OPT_IN_PLACE: x->bo.in_place = 1; return 0;
    case OPT_THREADS:
        if (cli_parse_u32(value, 0, 64, &x->bo.threads)) {
            snprintf(err, errlen, "--threads: expected 0..64 (0: one per CPU), got '%s'", value);
            return -1;
        }
        if (x->bo.threads == 0) /* capped like an explicit N (keycache.h relies on it) */
            x->bo.threads = batch_cpu_count() < KEYCACHE_SLOTS ? batch_cpu_count() : KEYCACHE_SLOTS;
        return 0;
    case OPT_COMPRESSION:
        if (cli_parse_u32(value, 1, 9, &x->compression)) {
            snprintf(err, errlen, "--compression: expected 1..9, got '%s'", value);
            return -1;
        }
        return 0;
    case OPT_QUIET: x->bo.quiet = 1; return 0;
    case OPT_JSON: x->bo.json = 1; return 0;
    case OPT_HELP: x->help = 1; return 0;
    default: return -1;
    }
}

static void help(int encrypt)
{
    if (encrypt) {
        printf("Usage: fiie encrypt [OPTIONS] IN OUT.png (--key-file F | --passphrase-file F)\n"
               "       fiie encrypt [OPTIONS] INPUT... [-r] [--out-dir DIR] (--key-file F | ...)\n"
               "\n"
               "Detect the faces of each image and encrypt exactly those pixels (FIIE v1:\n"
               "Logistic keystream + XChaCha20-Poly1305). The result is a PNG holding the\n"
               "header in a 'fiIE' chunk; only the key holder can restore it bit-exactly\n"
               "with 'fiie decrypt'. A missed face is a leaked face, so detection uses a\n"
               "high-recall preset by default (min face 10 px, growing with the image\n"
               "side above 3 MP to 20 px at 12 MP; factor 0.79, thresholds\n"
               "0.5,0.5,0.3); --fast uses the detector defaults. Check the preview of\n"
               "'fiie detect --draw' on photos that matter.\n"
               "\n"
               "Outputs: IN OUT.png for one file; otherwise NAME_fiie.png next to each\n"
               "input, or below --out-dir keeping relative paths. Existing files are\n"
               "never replaced without --force, the output directory is never read as\n"
               "input, and a failed write leaves no partial file. An image without any\n"
               "face is reported and nothing is written for it (exit status 2), unless\n"
               "--allow-empty. JPEG output of a protected image is refused.\n"
               "\n"
               "Options:\n");
        cli_print_options(stdout, encrypt_opts, sizeof encrypt_opts / sizeof encrypt_opts[0]);
    } else {
        printf("Usage: fiie decrypt [OPTIONS] IN.png OUT.png (--key-file F | --passphrase-file F)\n"
               "       fiie decrypt [OPTIONS] INPUT... [-r] [--out-dir DIR] (--key-file F | ...)\n"
               "\n"
               "Restore the protected pixels of PNGs written by 'fiie encrypt'. The\n"
               "authentication tag is checked before anything is written: with a wrong\n"
               "key or a tampered file nothing is written and the exit status is 3.\n"
               "Outputs: IN OUT.png for one file; otherwise NAME_decrypted.png next to\n"
               "each input, or below --out-dir. Existing files are never replaced\n"
               "without --force.\n"
               "\n"
               "Options:\n");
        cli_print_options(stdout, decrypt_opts, sizeof decrypt_opts / sizeof decrypt_opts[0]);
    }
    printf("\n" CLI_METADATA_NOTE "\n");
    if (encrypt)
        printf("Exit status: 0 every file protected, 1 an error (some file failed or\n"
               "an output exists), 2 no face found in some file (and no error), 64\n"
               "usage error.\n");
    else
        printf("Exit status: 0 every file restored, 1 an error (some file failed or an\n"
               "output exists), 3 authentication failed for some file (and no other\n"
               "error), 64 usage error.\n");
}

/* ---- per-worker state ---- */

typedef struct crypt_worker {
    fiie_detector *det;     /* one per worker (the model is shared) */
    unsigned threads;       /* within one image */
} crypt_worker;

static int worker_init(void *c, void **ws, unsigned threads, char *err, size_t errlen)
{
    crypt_ctx *x = c;
    crypt_worker *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->threads = threads;
    if (x->encrypt && !x->regions && det_new(&x->det, x->model, threads, &w->det, err, errlen)) {
        free(w);
        return -1;
    }
    *ws = w;
    return 0;
}

static void worker_fini(void *c, void *ws)
{
    (void)c;
    crypt_worker *w = ws;
    if (!w)
        return;
    fiie_detector_free(w->det);
    free(w);
}

/* The run's key: from the key file, or from the passphrase (encrypt). */
static int shared_key_init(crypt_ctx *x, const char *cmd)
{
    int rc = 0;
    if (x->key.have_raw)
        rc = fiie_key_from_bytes(&x->shared_key, x->key.raw, FIIE_KEY_BYTES);
    else if (x->key.pass && x->encrypt)
        rc = fiie_key_from_passphrase(&x->shared_key, x->key.pass, x->key.pass_len, NULL);
    else if (x->key.pass) {
        if (keycache_init(&x->pass_keys, (keycache_free_fn)fiie_key_free) != 0)
            rc = FIIE_E_NO_MEMORY;
        else
            x->have_pass_keys = 1;
    }
    if (rc)
        cli_error("%s: cannot set up the key: %s", cmd, fiie_strerror(rc));
    return rc;
}

static void fail_status(batch_result *res, const char *what, int rc)
{
    res->status = BATCH_ERROR;
    status_msg(res->msg, sizeof res->msg, what, rc);
}

/* Save: PNG only, never a partial file, never replacing without --force. */
static int save_checked(crypt_ctx *x, const batch_job *job, batch_result *res, int rc)
{
    if (rc == 0)
        return 0;
    if (rc == FIIE_E_EXISTS) {
        res->status = BATCH_EXISTS;
        snprintf(res->msg, sizeof res->msg, "%s exists; not overwritten (use --force)", job->output);
    } else {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg, "cannot write %s: %s", job->output, fiie_strerror(rc));
    }
    (void)x;
    return -1;
}

/* Create the output's missing parent directories (only once there is
 * something to write, so failed files leave no empty directories). */
static int make_parents(const batch_job *job, batch_result *res)
{
    if (walk_make_parents(job->output) == 0)
        return 0;
    res->status = BATCH_ERROR;
    snprintf(res->msg, sizeof res->msg, "cannot create the directory of %s: %s", job->output,
             strerror(errno));
    return -1;
}

static unsigned save_flags(const crypt_ctx *x, const batch_job *job)
{
    unsigned level = FIIE_SAVE_COMPRESSION(x->compression);
    return level | ((x->bo.force || job->in_place) ? 0 : FIIE_SAVE_NO_CLOBBER);
}

static void run_encrypt(void *c, void *ws, const batch_job *job, batch_result *res)
{
    crypt_ctx *x = c;
    crypt_worker *w = ws;
    fiie_image img;
    fiie_mask *mask = NULL;
    fiie_face *faces = NULL;
    uint8_t *header = NULL;
    size_t nfaces = 0;
    if (path_is_jpeg(job->output)) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg,
                 "refusing JPEG output %s: lossy compression destroys the ciphertext (write .png)",
                 job->output);
        return;
    }
    if (job->in_place && !path_is_png(job->input)) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg, "--in-place needs PNG input (the output is a PNG)");
        return;
    }
    /* Encrypting a protected image again would drop its header (the
     * output carries only the new one): the first layer could never be
     * decrypted. Refuse. */
    size_t chunk = 0;
    int rc = fiie_png_read_chunk(job->input, FIIE_PNG_CHUNK, NULL, 0, &chunk);
    if (rc == 0 || rc == FIIE_E_BUFFER_TOO_SMALL) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg,
                 "already protected (it has a fiIE header); decrypt it first");
        return;
    }
    rc = fiie_image_load(&img, job->input, NULL);
    if (rc) {
        fail_status(res, "cannot read image", rc);
        return;
    }
    rc = fiie_mask_new(&mask, img.width, img.height);
    if (rc) {
        fail_status(res, "cannot create mask", rc);
        goto out;
    }
    if (x->regions) {
        for (size_t i = 0; i < x->nregions && rc == 0; i++)
            rc = fiie_mask_add_region(mask, x->regions[i].shape, x->regions[i].x, x->regions[i].y,
                                      x->regions[i].w, x->regions[i].h);
        if (rc) {
            fail_status(res, "bad region", rc);
            goto out;
        }
    } else {
        rc = detect_faces(w->det, &img, &faces, &nfaces);
        if (rc) {
            fail_status(res, "detection failed", rc);
            goto out;
        }
        for (size_t i = 0; i < nfaces && rc == 0; i++)
            rc = fiie_mask_add_box(mask, faces[i].box[0], faces[i].box[1], faces[i].box[2],
                                   faces[i].box[3], (float)x->mask_scale, x->shape);
        if (rc) {
            fail_status(res, "cannot build the mask", rc);
            goto out;
        }
        res->faces = nfaces;
    }
    uint64_t pixels = 0;
    rc = fiie_mask_pixel_count(mask, &pixels);
    if (rc) {
        fail_status(res, "cannot build the mask", rc);
        goto out;
    }
    if (pixels == 0) {
        const char *why = x->regions ? "the regions cover no pixel of the image" : "no face found";
        if (!x->allow_empty) {
            res->status = BATCH_NOFACE;
            snprintf(res->msg, sizeof res->msg, "%s; nothing written", why);
            goto out;
        }
        if (make_parents(job, res) != 0)
            goto out;
        rc = fiie_image_save_png(&img, job->output, NULL, NULL, 0, save_flags(x, job));
        if (save_checked(x, job, res, rc) == 0) {
            res->status = BATCH_OK;
            snprintf(res->msg, sizeof res->msg, "%s; unprotected copy written (--allow-empty)", why);
        }
        goto out;
    }
    fiie_encrypt_options eo;
    rc = fiie_encrypt_options_init(&eo);
    if (rc) {
        fail_status(res, "encryption options", rc);
        goto out;
    }
    eo.threads = w->threads;
    if (x->key.paper) {
        eo.alg = FIIE_ALG_PAPER;
        eo.paper_x0 = x->key.paper_x0;
        eo.paper_mu = x->key.paper_mu;
    }
    if (x->have_nonce) {
        eo.flags |= FIIE_ENCRYPT_FIXED_NONCE;
        memcpy(eo.nonce, x->nonce, sizeof eo.nonce);
    }
    size_t hlen = 0;
    rc = fiie_encrypt(x->shared_key, &img, mask, &eo, NULL, 0, &hlen);
    if (rc != FIIE_E_BUFFER_TOO_SMALL || hlen == 0) {
        fail_status(res, "encryption failed", rc ? rc : FIIE_E_INVALID_ARGUMENT);
        goto out;
    }
    header = malloc(hlen);
    if (!header) {
        fail_status(res, "encryption failed", FIIE_E_NO_MEMORY);
        goto out;
    }
    rc = fiie_encrypt(x->shared_key, &img, mask, &eo, header, hlen, &hlen);
    if (rc) {
        fail_status(res, "encryption failed", rc);
        goto out;
    }
    if (make_parents(job, res) != 0)
        goto out;
    rc = fiie_protected_png_save(&img, header, hlen, job->output, save_flags(x, job));
    if (save_checked(x, job, res, rc) == 0) {
        res->status = BATCH_OK;
        res->pixels = pixels;
        if (x->regions)
            snprintf(res->msg, sizeof res->msg, "%zu region%s, %llu pixels protected", x->nregions,
                     x->nregions == 1 ? "" : "s", (unsigned long long)pixels);
        else
            snprintf(res->msg, sizeof res->msg, "%zu face%s, %llu pixels protected", nfaces,
                     nfaces == 1 ? "" : "s", (unsigned long long)pixels);
    }
out:
    free(header);
    free(faces);
    fiie_mask_free(mask);
    /* The plain pixels of the faces are in img: wipe before release. */
    if (img.data)
        sodium_memzero(img.data, img.stride * img.height);
    fiie_image_free(&img);
}

typedef struct derive_arg {
    const crypt_ctx *x;
    const uint8_t *header;
    size_t hlen;
} derive_arg;

static int derive_from_header(void *arg, void **value)
{
    const derive_arg *a = arg;
    fiie_key *k = NULL;
    int rc = fiie_key_from_header_passphrase(&k, a->header, a->hlen, a->x->key.pass,
                                             a->x->key.pass_len);
    *value = k;
    return rc;
}

/* The key for one header: the shared raw key, or the passphrase key for
 * the salt and limits the header records (derived once per run for each
 * of them, whichever worker meets them first). */
static int decrypt_key(crypt_ctx *x, const uint8_t *header, size_t hlen, const fiie_key **key,
                       keycache_ref *ref)
{
    if (!x->have_pass_keys) {
        *key = x->shared_key;
        return 0;
    }
    fiie_header_info info;
    int rc = fiie_header_parse(&info, header, hlen);
    if (rc)
        return rc;
    if (!info.kdf)
        return FIIE_E_NOT_FOUND;
    uint8_t id[KEYCACHE_ID_BYTES];
    keycache_id(id, info.salt, info.opslimit, info.memlimit);
    derive_arg a = {x, header, hlen};
    rc = keycache_get(&x->pass_keys, id, derive_from_header, &a, ref);
    *key = ref->value;
    return rc;
}

static void run_decrypt(void *c, void *ws, const batch_job *job, batch_result *res)
{
    crypt_ctx *x = c;
    crypt_worker *w = ws;
    fiie_image img;
    memset(&img, 0, sizeof img);
    if (path_is_jpeg(job->output)) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg, "refusing JPEG output %s (write .png)", job->output);
        return;
    }
    size_t hlen = 0;
    int rc = fiie_protected_png_load(&img, job->input, NULL, 0, &hlen);
    if (rc != FIIE_E_BUFFER_TOO_SMALL) {
        if (rc == FIIE_E_NOT_FOUND)
            snprintf(res->msg, sizeof res->msg, "not a protected image (no fiIE header)");
        else
            status_msg(res->msg, sizeof res->msg, "cannot read protected image",
                       rc ? rc : FIIE_E_HEADER);
        res->status = BATCH_ERROR;
        fiie_image_free(&img);
        return;
    }
    uint8_t *header = malloc(hlen ? hlen : 1);
    if (!header) {
        fail_status(res, "cannot read protected image", FIIE_E_NO_MEMORY);
        return;
    }
    rc = fiie_protected_png_load(&img, job->input, header, hlen, &hlen);
    if (rc) {
        fail_status(res, "cannot read protected image", rc);
        free(header);
        return;
    }
    const fiie_key *key = NULL;
    keycache_ref ref = {NULL, -1};
    fiie_decrypt_options dopt;
    rc = fiie_decrypt_options_init(&dopt);
    if (rc == 0 && !x->key.paper)
        rc = decrypt_key(x, header, hlen, &key, &ref);
    if (rc) {
        if (rc == FIIE_E_NOT_FOUND)
            snprintf(res->msg, sizeof res->msg,
                     "this image was protected with a key file, not a passphrase");
        else
            status_msg(res->msg, sizeof res->msg, "cannot derive the key", rc);
        res->status = BATCH_ERROR;
        goto out;
    }
    dopt.threads = w->threads;
    if (x->key.paper) {
        dopt.paper_x0 = x->key.paper_x0;
        dopt.paper_mu = x->key.paper_mu;
    }
    fiie_mask *mask = NULL;
    if (fiie_mask_from_header(&mask, header, hlen) == 0) {
        uint64_t pixels = 0;
        if (fiie_mask_pixel_count(mask, &pixels) == 0)
            res->pixels = pixels;
        res->faces = fiie_mask_region_count(mask);
        fiie_mask_free(mask);
    }
    rc = fiie_decrypt(key, &img, header, hlen, &dopt);
    if (rc == FIIE_E_AUTH) {
        res->status = BATCH_AUTH;
        res->pixels = 0;
        snprintf(res->msg, sizeof res->msg,
                 "authentication failed (wrong key, or the file was modified); nothing written");
        goto out;
    }
    if (rc) {
        fail_status(res, "decryption failed", rc);
        res->pixels = 0;
        goto out;
    }
    if (make_parents(job, res) != 0) {
        res->pixels = 0;
        goto out;
    }
    rc = fiie_image_save_png(&img, job->output, NULL, NULL, 0, save_flags(x, job));
    if (save_checked(x, job, res, rc) == 0) {
        res->status = BATCH_OK;
        snprintf(res->msg, sizeof res->msg, "%llu pixels restored", (unsigned long long)res->pixels);
    } else {
        res->pixels = 0;
    }
out:
    if (x->have_pass_keys)
        keycache_release(&x->pass_keys, &ref);
    if (img.data)
        sodium_memzero(img.data, img.stride * img.height);
    fiie_image_free(&img);
    free(header);
}

/* The contract form "fiie encrypt IN OUT.png": two positionals and no
 * output option. */
static int is_in_out_form(const crypt_ctx *x, size_t npos)
{
    if (npos != 2 || x->bo.out_dir || x->bo.output || x->bo.in_place || x->bo.recursive)
        return 0;
    return 1;
}

static int run_command(int encrypt, int argc, char **argv)
{
    const char *cmd = encrypt ? "encrypt" : "decrypt";
    crypt_ctx x;
    memset(&x, 0, sizeof x);
    x.encrypt = encrypt;
    x.mask_scale = FIIE_MASK_DEFAULT_SCALE;
    x.shape = FIIE_MASK_DEFAULT_SHAPE;
    x.bo.writes_output = 1;
    x.bo.threads = 1;
    x.bo.suffix = encrypt ? "_fiie.png" : "_decrypted.png";
    x.bo.exts = encrypt ? cli_image_exts : cli_png_exts;
    int rc = fiie_detector_options_init(&x.det.opts);
    if (rc) {
        cli_error("%s: %s", cmd, fiie_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    char err[512];
    const cli_opt *opts = encrypt ? encrypt_opts : decrypt_opts;
    size_t nopts = encrypt ? sizeof encrypt_opts / sizeof encrypt_opts[0]
                           : sizeof decrypt_opts / sizeof decrypt_opts[0];
    int status = CLI_EXIT_FAIL;
    if (cli_parse(argc, argv, opts, nopts, on_opt, &x, pos, &npos, err, sizeof err) != 0) {
        status = cli_usage_error(cmd, "%s", err);
        goto out;
    }
    if (x.help) {
        help(encrypt);
        status = CLI_EXIT_OK;
        goto out;
    }
    int nkeys = (x.key.key_file != NULL) + (x.key.pass_file != NULL) + x.key.paper;
    if (nkeys != 1) {
        status = cli_usage_error(cmd, nkeys ? "give only one of --key-file, --passphrase-file, --paper"
                                            : "a key is needed: --key-file F or --passphrase-file F");
        goto out;
    }
    if (npos == 0) {
        status = cli_usage_error(cmd, "no input given");
        goto out;
    }
    if (is_in_out_form(&x, npos)) {
        x.bo.output = pos[1];
        npos = 1;
    }
    if (encrypt) {
        /* The high-recall preset unless --fast; explicit options win. */
        if (!x.fast) {
            if (!x.det.set_min_face)
                x.det.opts.min_face = CLI_RECALL_MIN_FACE;
            if (!x.det.set_factor)
                x.det.opts.factor = CLI_RECALL_FACTOR;
            if (!x.det.set_thresholds) {
                x.det.opts.thresholds[0] = CLI_RECALL_T0;
                x.det.opts.thresholds[1] = CLI_RECALL_T1;
                x.det.opts.thresholds[2] = CLI_RECALL_T2;
            }
        }
        if (x.have_nonce && (npos != 1 || x.bo.recursive)) {
            status = cli_usage_error(cmd, "--nonce is for single-file tests only (a nonce must never repeat)");
            goto out;
        }
        if (x.have_nonce && x.key.paper) {
            status = cli_usage_error(cmd, "--nonce has no meaning with --paper");
            goto out;
        }
        if (x.key.paper)
            fprintf(stderr, "fiie encrypt: WARNING: --paper uses the published, INSECURE scheme "
                            "(no nonce, no authentication); for comparisons only\n");
    }
    if (key_source_load(&x.key, cmd) != 0)
        goto out;
    if (shared_key_init(&x, cmd) != 0)
        goto out;
    if (encrypt && !x.regions) {
        if (det_load_model(&x.det, &x.model, err, sizeof err) != 0) {
            cli_error("%s: %s", cmd, err);
            goto out;
        }
        if (det_probe(&x.det, x.model, cmd) != 0)
            goto out;
    }
    batch_ops ops = {cmd, worker_init, worker_fini, encrypt ? run_encrypt : run_decrypt};
    status = batch_run(&x.bo, &ops, &x, pos, npos);
out:
    fiie_key_free(x.shared_key);
    if (x.have_pass_keys)
        keycache_destroy(&x.pass_keys);
    fiie_model_free(x.model);
    free(x.regions);
    key_source_wipe(&x.key);
    return status;
}

int cmd_encrypt(int argc, char **argv)
{
    return run_command(1, argc, argv);
}

int cmd_decrypt(int argc, char **argv)
{
    return run_command(0, argc, argv);
}
