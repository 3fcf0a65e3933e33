/* fiie encrypt: protect the faces of photos (FIIE v1), as a batch (files,
 * directories with -r). What it shares with decrypt is in crypt.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "crypt.h"
#include "draw.h"
#include "faces.h"
#include "protected.h"
#include "regions.h"
#include "source.h"

enum {
    OPT_FAST = 1001,
    OPT_REGIONS,
    OPT_MASK_SCALE,
    OPT_SHAPE,
    OPT_NONCE,
    OPT_ALLOW_EMPTY,
    OPT_DRY_RUN,
    OPT_DRAW,
    OPT_SIDECAR,
    OPT_ALLOW_8BIT,
};

static const cli_opt encrypt_opts[] = {
    CRYPT_KEY_OPTS("derive the key from this file's passphrase (Argon2id); - reads stdin"),
    {"preset", 0, 1, OPT_PRESET, "NAME", "detector preset: high-recall (default), fast, default"},
    {"fast", 0, 0, OPT_FAST, NULL, "the same as --preset fast"},
    {"min-face", 0, 1, OPT_MIN_FACE, "N", "smallest face side in pixels (default: 10 up to 3 MP, growing to 20 at 12 MP)"},
    {"factor", 0, 1, OPT_FACTOR, "F", "image pyramid step (default 0.79)"},
    {"thresholds", 0, 1, OPT_THRESHOLDS, "A,B,C", "detector thresholds (default 0.5,0.5,0.3)"},
    {"max-faces", 0, 1, OPT_MAX_FACES, "N", "protect at most the N best faces"},
    {"model", 0, 1, OPT_MODEL, "NAME|FILE", CLI_MODEL_HELP},
    {"regions", 0, 1, OPT_REGIONS, "LIST", "protect 'rect:x,y,w,h;ellipse:x,y,w,h' instead of detecting"},
    {"mask-scale", 0, 1, OPT_MASK_SCALE, "S", "enlarge face boxes by S about their centre (default 1.6)"},
    {"shape", 0, 1, OPT_SHAPE, "rect|ellipse", "region shape for faces (default ellipse)"},
    {"allow-empty", 0, 0, OPT_ALLOW_EMPTY, NULL, "no face: write an unprotected copy, exit 0"},
    {"allow-8bit", 0, 0, OPT_ALLOW_8BIT, NULL, "accept 16-bit images, protected as 8-bit (lossy)"},
    {"sidecar", 0, 0, OPT_SIDECAR, NULL, "also write the header beside the output (NAME.fiie)"},
    {"dry-run", 'n', 0, OPT_DRY_RUN, NULL, "detect and report what would be protected; write nothing"},
    {"draw", 0, 1, OPT_DRAW, "PREVIEW.png", "with --dry-run: draw exactly the regions to protect"},
    {"nonce", 0, 1, OPT_NONCE, "HEX", "fixed 24-byte nonce: FOR TESTS ONLY, never reuse"},
    {"paper", 0, 1, OPT_PAPER, "X0,MU", "INSECURE paper algorithm with key (x0, mu), for comparisons"},
    CRYPT_BATCH_OPTS("output name suffix (default _fiie.png)"),
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
};

typedef struct encrypt_ctx {
    crypt_args args;
    det_settings det;
    fiie_model *model;
    int fast;
    cli_region *regions;
    size_t nregions;
    double mask_scale;
    int32_t shape;
    int allow_empty;
    int dry_run;
    const char *draw;
    int sidecar;
    source_policy source;
    int have_nonce;
    uint8_t nonce[FIIE_NONCE_BYTES];
    /* One key for the whole run, shared by every worker (a fiie_key is
     * immutable and may be used by concurrent calls, fiie/cipher.h): the
     * raw key, or the passphrase key (one Argon2id run, one salt for the
     * batch; each file still gets its own random nonce). */
    fiie_key *key;
} encrypt_ctx;

static int on_opt(void *c, int id, const char *value, char *err, size_t errlen)
{
    encrypt_ctx *x = c;
    int r = det_option(&x->det, id, value, err, errlen);
    if (r == 0)
        r = crypt_option(&x->args, id, value, err, errlen);
    if (r)
        return r < 0 ? -1 : 0;
    switch (id) {
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
    case OPT_ALLOW_8BIT: x->source.allow_8bit = 1; return 0;
    case OPT_SIDECAR: x->sidecar = 1; return 0;
    case OPT_DRY_RUN:
        x->dry_run = 1;
        x->args.no_key_needed = 1;
        x->args.bo.dry_run = 1;
        return 0;
    case OPT_DRAW: x->draw = value; return 0;
    case OPT_NONCE:
        if (cli_parse_hex(value, x->nonce, sizeof x->nonce)) {
            snprintf(err, errlen, "--nonce: expected %u hex digits", 2 * FIIE_NONCE_BYTES);
            return -1;
        }
        x->have_nonce = 1;
        return 0;
    default: return -1;
    }
}

static void help(void)
{
    printf("Usage: fiie encrypt [OPTIONS] IN OUT.png (-k F | -p F | --passphrase)\n"
           "       fiie encrypt [OPTIONS] INPUT... [-r] [--out-dir DIR] (-k F | ...)\n"
           "       fiie encrypt --dry-run [--draw PREVIEW.png] [OPTIONS] INPUT...\n"
           "\n"
           "Detect the faces of each image and encrypt exactly those pixels (FIIE v1:\n"
           "Logistic keystream + XChaCha20-Poly1305). The result is a PNG holding the\n"
           "header in a 'fiIE' chunk; only the key holder can restore it bit-exactly\n"
           "with 'fiie decrypt'. A missed face is a leaked face, so detection uses a\n"
           "high-recall preset by default (min face 10 px, growing with the image\n"
           "side above 3 MP to 20 px at 12 MP; factor 0.79, thresholds\n"
           "0.5,0.5,0.3); --preset fast uses the detector defaults. Check photos\n"
           "that matter with --dry-run --draw PREVIEW.png: it draws exactly the\n"
           "regions that would be encrypted (the enlarged ellipses), and writes\n"
           "nothing else. 'fiie detect --preset high-recall' finds the same faces.\n"
           "\n"
           "Outputs: IN OUT.png for one file; otherwise NAME_fiie.png next to each\n"
           "input, or below --out-dir keeping relative paths. Running a batch again\n"
           "skips the inputs whose output exists (--force redoes them) and the\n"
           "inputs that already are protected images; skips are no error. With -o\n"
           "an existing output is an error. A failed or interrupted write leaves\n"
           "no partial or temporary file. An image without any face is reported\n"
           "and nothing is written for it (exit status 2), unless --allow-empty.\n"
           "JPEG output is refused. WebP, TIFF, GIF and HEIC inputs are refused\n"
           "(\"Unsupported format\"); 16-bit PNGs need --allow-8bit; grey images\n"
           "are stored as RGB (a warning); an ICC colour profile is kept.\n"
           "\n"
           "Options:\n");
    cli_print_options(stdout, encrypt_opts, sizeof encrypt_opts / sizeof encrypt_opts[0]);
    printf("\n" CLI_METADATA_NOTE "\n");
    printf("Exit status: 0 every file protected, 1 an error (some file failed or\n"
           "an output exists), 2 no face found in some file (and no error), 64\n"
           "usage error.\n");
}

static int worker_init(void *c, void **ws, unsigned threads, char *err, size_t errlen)
{
    encrypt_ctx *x = c;
    crypt_worker *w;
    if (crypt_worker_new(&w, threads, err, errlen) != 0)
        return -1;
    if (!x->regions && det_new(&x->det, x->model, threads, &w->det, err, errlen)) {
        crypt_worker_free(x, w);
        return -1;
    }
    *ws = w;
    return 0;
}

/* Refuse what could never be decrypted: a JPEG output (lossy) and
 * --in-place on a non-PNG input. Skip an input that already is a protected
 * image (encrypting it again would keep only the new header, losing the
 * first) or the no-face copy of an earlier run. */
static int refuse_job(const batch_job *job, batch_result *res)
{
    if (path_is_jpeg(job->output)) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg,
                 "refusing JPEG output %s: lossy compression destroys the ciphertext (write .png)",
                 job->output);
        return -1;
    }
    if (job->in_place && !path_is_png(job->input)) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg, "--in-place needs PNG input (the output is a PNG)");
        return -1;
    }
    size_t chunk = 0;
    int rc = fiie_png_read_chunk(job->input, FIIE_PNG_CHUNK, NULL, 0, &chunk);
    if (rc == 0 || rc == FIIE_E_BUFFER_TOO_SMALL)
        return crypt_skip_or_fail(job, res, "already protected (it has a fiIE header); "
                                            "never encrypted twice");
    rc = fiie_png_read_chunk(job->input, PROTECTED_NOFACE_CHUNK, NULL, 0, &chunk);
    if (rc == 0 || rc == FIIE_E_BUFFER_TOO_SMALL)
        return crypt_skip_or_fail(job, res, "the no-face copy of an earlier 'encrypt "
                                            "--allow-empty'; nothing to protect");
    return 0;
}

/* The mask of one image: the --regions, or the detected faces enlarged
 * by --mask-scale (their count into res->faces). */
static int build_mask(encrypt_ctx *x, crypt_worker *w, const fiie_image *img, fiie_mask *mask,
                      size_t *nfaces, batch_result *res)
{
    int rc = 0;
    if (x->regions) {
        for (size_t i = 0; i < x->nregions && rc == 0; i++)
            rc = fiie_mask_add_region(mask, x->regions[i].shape, x->regions[i].x, x->regions[i].y,
                                      x->regions[i].w, x->regions[i].h);
        if (rc)
            crypt_fail(res, "bad region", rc);
        return rc;
    }
    fiie_face *faces = NULL;
    rc = faces_detect(w->det, img, &faces, nfaces);
    if (rc) {
        crypt_fail(res, "detection failed", rc);
        return rc;
    }
    for (size_t i = 0; i < *nfaces && rc == 0; i++)
        rc = fiie_mask_add_box(mask, faces[i].box[0], faces[i].box[1], faces[i].box[2],
                               faces[i].box[3], (float)x->mask_scale, x->shape);
    free(faces);
    if (rc)
        crypt_fail(res, "cannot build the mask", rc);
    else
        res->faces = *nfaces;
    return rc;
}

/* What a protected or no-face copy is saved with. */
static protected_extras extras_for(const encrypt_ctx *x, const batch_job *job,
                                   const fiie_image_info *info)
{
    protected_extras e = {info->icc, info->icc_size, crypt_save_flags(&x->args, job), x->sidecar};
    return e;
}

/* No pixel to protect: report it, or write the unprotected copy that
 * --allow-empty asks for (marked, so that decrypt copies it back). */
static void save_empty(encrypt_ctx *x, const fiie_image *img, const fiie_image_info *info,
                       const batch_job *job, batch_result *res)
{
    const char *why = x->regions ? "the regions cover no pixel of the image" : "no face found";
    if (!x->allow_empty || x->dry_run) {
        res->status = x->dry_run && x->allow_empty ? BATCH_OK : BATCH_NOFACE;
        snprintf(res->msg, sizeof res->msg, "%s; %s", why,
                 x->dry_run ? (x->allow_empty ? "an unprotected copy would be written"
                                              : "nothing would be written")
                            : "nothing written");
        return;
    }
    if (crypt_make_parents(job, res) != 0)
        return;
    protected_extras e = extras_for(x, job, info);
    int failed_sidecar;
    int rc = protected_save(img, NULL, 0, job->output, &e, &failed_sidecar);
    if (crypt_save_checked(job, res, rc) == 0) {
        res->status = BATCH_OK;
        snprintf(res->msg, sizeof res->msg, "%s; unprotected copy written (--allow-empty)", why);
    }
}

static int encrypt_options(const encrypt_ctx *x, const crypt_worker *w, fiie_encrypt_options *eo)
{
    int rc = fiie_encrypt_options_init(eo);
    if (rc)
        return rc;
    eo->threads = w->threads;
    if (x->args.key.paper) {
        eo->alg = FIIE_ALG_PAPER;
        eo->paper_x0 = x->args.key.paper_x0;
        eo->paper_mu = x->args.key.paper_mu;
    }
    if (x->have_nonce) {
        eo->flags |= FIIE_ENCRYPT_FIXED_NONCE;
        memcpy(eo->nonce, x->nonce, sizeof eo->nonce);
    }
    return 0;
}

/* Encrypt img under mask and save it with its header. */
static int encrypt_and_save(encrypt_ctx *x, crypt_worker *w, fiie_image *img,
                            const fiie_image_info *info, const fiie_mask *mask,
                            const batch_job *job, batch_result *res)
{
    fiie_encrypt_options eo;
    int rc = encrypt_options(x, w, &eo);
    if (rc) {
        crypt_fail(res, "encryption options", rc);
        return rc;
    }
    size_t hlen = 0;
    rc = fiie_encrypt(x->key, img, mask, &eo, NULL, 0, &hlen);
    if (rc != FIIE_E_BUFFER_TOO_SMALL || hlen == 0) {
        rc = rc ? rc : FIIE_E_INVALID_ARGUMENT;
        /* Only a library built for known-answer tests honours a fixed
         * nonce: say so rather than a bare "not supported". */
        crypt_fail(res, rc == FIIE_E_UNSUPPORTED && x->have_nonce
                            ? "encryption failed: --nonce needs a library built with "
                              "-Dtest_hooks=true"
                            : "encryption failed",
                   rc);
        return rc;
    }
    uint8_t *header = malloc(hlen);
    if (!header) {
        crypt_fail(res, "encryption failed", FIIE_E_NO_MEMORY);
        return FIIE_E_NO_MEMORY;
    }
    rc = fiie_encrypt(x->key, img, mask, &eo, header, hlen, &hlen);
    if (rc) {
        crypt_fail(res, "encryption failed", rc);
    } else if (crypt_make_parents(job, res) != 0) {
        rc = -1;
    } else {
        protected_extras e = extras_for(x, job, info);
        int failed_sidecar = 0;
        rc = protected_save(img, header, hlen, job->output, &e, &failed_sidecar);
        if (rc && failed_sidecar) {
            res->status = BATCH_ERROR;
            snprintf(res->msg, sizeof res->msg,
                     "cannot write the sidecar of %s: %s; nothing written", job->output,
                     rc == FIIE_E_EXISTS ? "it exists (--force replaces it)" : fiie_strerror(rc));
        } else {
            rc = crypt_save_checked(job, res, rc);
        }
    }
    free(header);
    return rc;
}

/* --dry-run --draw: the image with exactly the mask's regions tinted and
 * outlined (one input only, checked at start). */
static void draw_preview(const encrypt_ctx *x, const fiie_image *img, const fiie_mask *mask,
                         batch_result *res)
{
    fiie_image copy;
    uint8_t *bitmap = malloc((size_t)img->width * img->height);
    int rc = bitmap ? fiie_image_convert(&copy, img, FIIE_PIXEL_RGB8) : FIIE_E_NO_MEMORY;
    if (rc == 0) {
        rc = fiie_mask_rasterize(mask, bitmap, img->width);
        if (rc == 0) {
            static const uint8_t red[3] = {255, 0, 0};
            draw_tint(&copy, bitmap, img->width, red, 96);
            draw_outline(&copy, bitmap, img->width, red);
            protected_extras e = {NULL, 0, x->args.bo.force ? 0u : FIIE_SAVE_NO_CLOBBER, 0};
            rc = protected_save_plain(&copy, x->draw, &e);
        }
        fiie_image_free(&copy);
    }
    free(bitmap);
    if (rc) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg, "cannot write the preview %s: %s", x->draw,
                 rc == FIIE_E_EXISTS ? "it exists (--force replaces it)" : fiie_strerror(rc));
    }
}

/* Check the input's format, depth and colour (source.h) and load it. */
static int load_source(const encrypt_ctx *x, const batch_job *job, fiie_image *img,
                       fiie_image_info *info, batch_result *res)
{
    memset(img, 0, sizeof *img);
    char why[400];
    if (source_check(job->input, &x->source, info, res->warn, sizeof res->warn, why,
                     sizeof why) != 0) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg, "%s", why);
        return -1;
    }
    int rc = fiie_image_load(img, job->input, NULL);
    if (rc) {
        crypt_fail(res, "cannot read image", rc);
        return -1;
    }
    return 0;
}

static void run(void *c, void *ws, const batch_job *job, batch_result *res)
{
    encrypt_ctx *x = c;
    crypt_worker *w = ws;
    if (refuse_job(job, res) != 0)
        return;
    fiie_image img;
    fiie_image_info info;
    fiie_mask *mask = NULL;
    size_t nfaces = 0;
    uint64_t pixels = 0;
    int rc;
    if (load_source(x, job, &img, &info, res) != 0)
        goto out;
    rc = fiie_mask_new(&mask, img.width, img.height);
    if (rc) {
        crypt_fail(res, "cannot create mask", rc);
        goto out;
    }
    if (build_mask(x, w, &img, mask, &nfaces, res) != 0)
        goto out;
    rc = fiie_mask_pixel_count(mask, &pixels);
    if (rc) {
        crypt_fail(res, "cannot build the mask", rc);
        goto out;
    }
    if (x->draw)
        draw_preview(x, &img, mask, res);
    if (res->status == BATCH_ERROR)
        goto out;
    if (pixels == 0) {
        save_empty(x, &img, &info, job, res);
        goto out;
    }
    if (!x->dry_run && encrypt_and_save(x, w, &img, &info, mask, job, res) != 0)
        goto out;
    res->status = BATCH_OK;
    res->pixels = pixels;
    const char *verb = x->dry_run ? "would be protected" : "protected";
    if (x->regions)
        snprintf(res->msg, sizeof res->msg, "%zu region%s, %llu pixels %s", x->nregions,
                 x->nregions == 1 ? "" : "s", (unsigned long long)pixels, verb);
    else
        snprintf(res->msg, sizeof res->msg, "%zu face%s, %llu pixels %s", nfaces,
                 nfaces == 1 ? "" : "s", (unsigned long long)pixels, verb);
out:
    fiie_mask_free(mask);
    fiie_image_info_free(&info);
    crypt_image_wipe(&img); /* the plain pixels of the faces are in img */
}

/* Usage checks of encrypt's own options. @return CRYPT_GO_ON or 64. */
static int check_usage(const encrypt_ctx *x, size_t npos)
{
    if (x->have_nonce && (npos != 1 || x->args.bo.recursive))
        return cli_usage_error("encrypt", "--nonce is for single-file tests only (a nonce must never repeat)");
    if (x->have_nonce && x->args.key.paper)
        return cli_usage_error("encrypt", "--nonce has no meaning with --paper");
    if (x->draw && !x->dry_run)
        return cli_usage_error("encrypt", "--draw goes with --dry-run (the preview of what "
                                          "would be protected)");
    if (x->draw && (npos != 1 || x->args.bo.recursive))
        return cli_usage_error("encrypt", "--draw needs exactly one input image");
    return CRYPT_GO_ON;
}

/* The run's key: the raw key, or one derived from the passphrase (none
 * for --paper, whose key is in the options). */
static int key_init(encrypt_ctx *x)
{
    if (!x->args.key.pass)
        return crypt_raw_key(&x->args, "encrypt", &x->key);
    int rc = fiie_key_from_passphrase(&x->key, x->args.key.pass, x->args.key.pass_len, NULL);
    if (rc)
        cli_error("encrypt: cannot set up the key: %s", fiie_strerror(rc));
    return rc;
}

int cmd_encrypt(int argc, char **argv)
{
    encrypt_ctx x;
    memset(&x, 0, sizeof x);
    crypt_args_init(&x.args, "_fiie.png", cli_image_exts);
    x.mask_scale = FIIE_MASK_DEFAULT_SCALE;
    x.det.preset = -1;
    x.args.key.pass_confirm = 1; /* a typed passphrase is asked twice */
    x.shape = FIIE_MASK_DEFAULT_SHAPE;
    int rc = fiie_detector_options_init(&x.det.opts);
    if (rc) {
        cli_error("encrypt: %s", fiie_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    char err[512];
    int status = crypt_parse(&x.args, "encrypt", argc, argv, encrypt_opts,
                             sizeof encrypt_opts / sizeof encrypt_opts[0], on_opt, &x, pos, &npos,
                             help);
    if (status == CRYPT_GO_ON)
        status = check_usage(&x, npos);
    if (status != CRYPT_GO_ON)
        goto out;
    status = CLI_EXIT_FAIL;
    /* The high-recall preset unless --preset or --fast; explicit options win. */
    rc = det_apply_preset(&x.det, x.det.preset >= 0 ? x.det.preset
                                  : x.fast          ? FIIE_DETECTOR_PRESET_FAST
                                                    : FIIE_DETECTOR_PRESET_HIGH_RECALL);
    if (rc) {
        cli_error("encrypt: %s", fiie_strerror(rc));
        goto out;
    }
    if (x.args.key.paper)
        fprintf(stderr, "fiie encrypt: WARNING: --paper uses the published, INSECURE scheme "
                        "(no nonce, no authentication); for comparisons only\n");
    if (!x.dry_run && (key_source_load(&x.args.key, "encrypt") != 0 || key_init(&x) != 0))
        goto out;
    if (!x.regions) {
        if (det_load_model(&x.det, &x.model, err, sizeof err) != 0) {
            cli_error("encrypt: %s", err);
            goto out;
        }
        if (det_probe(&x.det, x.model, "encrypt") != 0)
            goto out;
    }
    batch_ops ops = {"encrypt", worker_init, crypt_worker_free, run};
    status = batch_run(&x.args.bo, &ops, &x, pos, npos);
out:
    fiie_key_free(x.key);
    fiie_model_free(x.model);
    free(x.regions);
    key_source_wipe(&x.args.key);
    return status;
}
