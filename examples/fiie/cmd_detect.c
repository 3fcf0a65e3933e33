/* fiie detect [options] IMAGE...: one JSON object per image per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "protected.h"
#include "source.h"
#include "common.h"
#include "faces.h"
#include "json.h"

enum { OPT_DRAW = 1001 };

static const cli_opt detect_opts[] = {
    {"preset", 0, 1, OPT_PRESET, "NAME", "detector preset: default, high-recall (encrypt's), fast"},
    {"min-face", 0, 1, OPT_MIN_FACE, "N", "smallest face side in pixels (default 20)"},
    {"factor", 0, 1, OPT_FACTOR, "F", "image pyramid step, 0 < F < 1 (default 0.709)"},
    {"thresholds", 0, 1, OPT_THRESHOLDS, "A,B,C", "P-Net, R-Net, O-Net score thresholds (default 0.6,0.7,0.7)"},
    {"max-faces", 0, 1, OPT_MAX_FACES, "N", "keep at most N best faces (default: all)"},
    {"model", 0, 1, OPT_MODEL, "NAME|FILE", CLI_MODEL_HELP},
    {"threads", 'j', 1, OPT_THREADS, "N", "threads: files in parallel, or within one image"},
    {"recursive", 'r', 0, OPT_RECURSIVE, NULL, "read images from directories recursively"},
    {"draw", 0, 1, OPT_DRAW, "OUT.png", "write a copy with boxes and landmarks (one input only)"},
    {"force", 'f', 0, OPT_FORCE, NULL, "allow --draw to replace an existing file"},
    {"quiet", 'q', 0, OPT_QUIET, NULL, "no progress line"},
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
};

typedef struct detect_ctx {
    det_settings det;
    fiie_model *model;
    const char *draw;
    int force;
    int help;
    unsigned threads;
    int recursive, quiet;
} detect_ctx;

static int on_opt(void *c, int id, const char *value, char *err, size_t errlen)
{
    detect_ctx *x = c;
    int r = det_option(&x->det, id, value, err, errlen);
    if (r)
        return r < 0 ? -1 : 0;
    switch (id) {
    case OPT_THREADS:
        if (cli_parse_u32(value, 0, FIIE_MAX_THREADS, &x->threads)) {
            snprintf(err, errlen, "--threads: expected 0..%u (0: one per CPU), got '%s'",
                     FIIE_MAX_THREADS, value);
            return -1;
        }
        return 0;
    case OPT_RECURSIVE: x->recursive = 1; return 0;
    case OPT_DRAW: x->draw = value; return 0;
    case OPT_FORCE: x->force = 1; return 0;
    case OPT_QUIET: x->quiet = 1; return 0;
    case OPT_HELP: x->help = 1; return 0;
    default: return -1;
    }
}

static void help(void)
{
    printf("Usage: fiie detect [OPTIONS] IMAGE...\n"
           "\n"
           "Find faces (MTCNN) and print one JSON object per image per line:\n"
           "  {\"image\": PATH, \"width\": W, \"height\": H, \"faces\": [{\"box\": [x1,y1,x2,y2],\n"
           "   \"score\": S, \"landmarks\": [[x,y],[x,y],[x,y],[x,y],[x,y]]}, ...]}\n"
           "Boxes are 0-based pixel coordinates; landmarks are left eye, right eye,\n"
           "nose, left and right mouth corner. Lines come in input order. An\n"
           "unreadable image gets an error on stderr, the others are still\n"
           "processed, and the exit status is 1.\n"
           "\n"
           "Settings: the detector's defaults (--preset default: min face 20, factor\n"
           "0.709, thresholds 0.6,0.7,0.7). 'fiie encrypt' detects with --preset\n"
           "high-recall; pass it here to see the faces encrypt would find, or use\n"
           "'fiie encrypt --dry-run --draw PREVIEW.png' to see the exact regions.\n"
           "\n"
           "Options:\n");
    cli_print_options(stdout, detect_opts, sizeof detect_opts / sizeof detect_opts[0]);
    printf("\n" CLI_METADATA_NOTE
           "\nExit status: 0 every image was read (with or without faces), 1 an error\n"
           "(some image could not be read), 64 usage error.\n");
}

typedef struct detect_worker {
    fiie_detector *det;
} detect_worker;

static int worker_init(void *c, void **ws, unsigned threads, char *err, size_t errlen)
{
    detect_ctx *x = c;
    detect_worker *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (det_new(&x->det, x->model, threads, &w->det, err, errlen)) {
        free(w);
        return -1;
    }
    *ws = w;
    return 0;
}

static void worker_fini(void *c, void *ws)
{
    (void)c;
    detect_worker *w = ws;
    if (w) {
        fiie_detector_free(w->det);
        free(w);
    }
}

static void run(void *c, void *ws, const batch_job *job, batch_result *res)
{
    detect_ctx *x = c;
    detect_worker *w = ws;
    fiie_image img;
    int rc = fiie_image_load(&img, job->input, NULL);
    if (rc) {
        res->status = BATCH_ERROR;
        source_load_error(res->msg, sizeof res->msg, "cannot read image", job->input, rc);
        return;
    }
    fiie_face *faces = NULL;
    size_t n = 0;
    rc = faces_detect(w->det, &img, &faces, &n);
    if (rc) {
        res->status = BATCH_ERROR;
        status_msg(res->msg, sizeof res->msg, "detection failed", rc);
        fiie_image_free(&img);
        return;
    }
    jbuf b;
    jb_init(&b);
    jb_raw(&b, "{\"image\": ");
    jb_str(&b, job->input);
    jb_raw(&b, ", \"width\": ");
    jb_uint(&b, img.width);
    jb_raw(&b, ", \"height\": ");
    jb_uint(&b, img.height);
    jb_raw(&b, ", \"faces\": ");
    faces_to_json(&b, faces, n);
    jb_raw(&b, "}");
    res->faces = n;
    res->status = BATCH_OK;
    if (b.oom) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg, "out of memory");
        jb_free(&b);
    } else {
        res->line = b.data; /* handed over to the batch engine */
    }
    if (x->draw && res->status == BATCH_OK) {
        faces_draw(&img, faces, n);
        protected_extras e = {NULL, 0, x->force ? 0u : FIIE_SAVE_NO_CLOBBER, 0};
        rc = protected_save_plain(&img, x->draw, &e);
        if (rc) {
            res->status = BATCH_ERROR;
            if (rc == FIIE_E_EXISTS)
                snprintf(res->msg, sizeof res->msg, "%s exists; not overwritten (use --force)", x->draw);
            else
                snprintf(res->msg, sizeof res->msg, "cannot write %s: %s", x->draw, fiie_strerror(rc));
        }
    }
    free(faces);
    fiie_image_free(&img);
}

int cmd_detect(int argc, char **argv)
{
    detect_ctx x;
    memset(&x, 0, sizeof x);
    x.threads = 1;
    x.det.preset = -1;
    int rc = fiie_detector_options_init(&x.det.opts);
    if (rc) {
        cli_error("detect: %s", fiie_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    char err[512];
    if (cli_parse(argc, argv, detect_opts, sizeof detect_opts / sizeof detect_opts[0], on_opt, &x,
                  pos, &npos, err, sizeof err) != 0)
        return cli_usage_error("detect", "%s", err);
    if (x.help) {
        help();
        return CLI_EXIT_OK;
    }
    if (npos == 0)
        return cli_usage_error("detect", "no IMAGE given");
    if (x.draw && (npos != 1 || x.recursive))
        return cli_usage_error("detect", "--draw needs exactly one input image");
    if (x.threads == 0)
        x.threads = cli_threads_for_cpus(batch_cpu_count());
    /* --preset, then the explicit options over it (as encrypt). */
    if (x.det.preset >= 0 && (rc = det_apply_preset(&x.det, x.det.preset)) != 0) {
        cli_error("detect: %s", fiie_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    if (det_load_model(&x.det, &x.model, err, sizeof err) != 0) {
        cli_error("detect: %s", err);
        return CLI_EXIT_FAIL;
    }
    batch_options bo = {0};
    bo.recursive = x.recursive;
    bo.quiet = x.quiet;
    bo.threads = x.threads;
    bo.exts = cli_image_exts;
    batch_ops ops = {"detect", worker_init, worker_fini, run};
    rc = batch_run(&bo, &ops, &x, pos, npos);
    fiie_model_free(x.model);
    return rc;
}
