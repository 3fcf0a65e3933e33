#include "crypt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "walk.h"

void crypt_args_init(crypt_args *a, const char *suffix, const char *const *exts)
{
    memset(a, 0, sizeof *a);
    a->bo.writes_output = 1;
    /* -j not given: one file at a time; a single image uses every CPU
     * (results do not depend on the thread count) */
    a->bo.threads = 0;
    a->bo.single_threads = cli_threads_for_cpus(batch_cpu_count());
    a->bo.suffix = suffix;
    a->bo.exts = exts;
}

static int key_option(crypt_args *a, int id, const char *value, char *err, size_t errlen)
{
    switch (id) {
    case OPT_KEY_FILE: a->key.key_file = value; return 1;
    case OPT_PASSPHRASE_FILE: a->key.pass_file = value; return 1;
    case OPT_PASSPHRASE: a->key.pass_prompt = 1; return 1;
    case OPT_PAPER:
        if (parse_paper(value, &a->key.paper_x0, &a->key.paper_mu)) {
            snprintf(err, errlen, "--paper: expected X0,MU with 0 < X0 < 1 and 3.57 <= MU <= 4");
            return -1;
        }
        a->key.paper = 1;
        return 1;
    default: return 0;
    }
}

static int batch_option(batch_options *bo, int id, const char *value, char *err, size_t errlen)
{
    switch (id) {
    case OPT_RECURSIVE: bo->recursive = 1; return 1;
    case OPT_OUT_DIR: bo->out_dir = value; return 1;
    case OPT_OUTPUT: bo->output = value; return 1;
    case OPT_SUFFIX:
        if (!value[0] || strchr(value, '/')) {
            snprintf(err, errlen, "--suffix: must be non-empty and contain no '/'");
            return -1;
        }
        bo->suffix = value;
        return 1;
    case OPT_FORCE: bo->force = 1; return 1;
    case OPT_IN_PLACE: bo->in_place = 1; return 1;
    case OPT_THREADS:
        if (cli_parse_u32(value, 0, FIIE_MAX_THREADS, &bo->threads)) {
            snprintf(err, errlen, "--threads: expected 0..%u (0: one per CPU), got '%s'",
                     FIIE_MAX_THREADS, value);
            return -1;
        }
        if (bo->threads == 0) /* capped like an explicit N (keycache.h relies on it) */
            bo->threads = cli_threads_for_cpus(batch_cpu_count());
        return 1;
    case OPT_QUIET: bo->quiet = 1; return 1;
    case OPT_JSON: bo->json = 1; return 1;
    default: return 0;
    }
}

int crypt_option(crypt_args *a, int id, const char *value, char *err, size_t errlen)
{
    if (id == OPT_COMPRESSION) {
        if (cli_parse_u32(value, 1, 9, &a->compression)) {
            snprintf(err, errlen, "--compression: expected 1..9, got '%s'", value);
            return -1;
        }
        return 1;
    }
    if (id == OPT_HELP) {
        a->help = 1;
        return 1;
    }
    int r = key_option(a, id, value, err, errlen);
    return r ? r : batch_option(&a->bo, id, value, err, errlen);
}

/* The contract form "fiie encrypt IN OUT.png": two positionals and no
 * output option. */
static int is_in_out_form(const crypt_args *a, size_t npos)
{
    return npos == 2 && !a->bo.out_dir && !a->bo.output && !a->bo.in_place && !a->bo.recursive;
}

int crypt_parse(crypt_args *a, const char *cmd, int argc, char **argv, const cli_opt *opts,
                size_t nopts, cli_opt_fn on_opt, void *ctx, char **pos, size_t *npos,
                void (*help)(void))
{
    char err[512];
    if (cli_parse(argc, argv, opts, nopts, on_opt, ctx, pos, npos, err, sizeof err) != 0)
        return cli_usage_error(cmd, "%s", err);
    if (a->help) {
        help();
        return CLI_EXIT_OK;
    }
    int nkeys = (a->key.key_file != NULL) + (a->key.pass_file != NULL) + a->key.pass_prompt +
                a->key.paper;
    if (nkeys > 1)
        return cli_usage_error(cmd, "give only one of --key-file, --passphrase-file, "
                                    "--passphrase, --paper");
    if (nkeys == 0 && !a->no_key_needed)
        return cli_usage_error(cmd, "a key is needed: --key-file F, --passphrase-file F or "
                                    "--passphrase (F may be - for standard input)");
    if (*npos == 0)
        return cli_usage_error(cmd, "no input given");
    if (is_in_out_form(a, *npos)) {
        a->bo.output = pos[1];
        *npos = 1;
    }
    return CRYPT_GO_ON;
}

int crypt_raw_key(const crypt_args *a, const char *cmd, fiie_key **key)
{
    *key = NULL;
    if (!a->key.have_raw)
        return 0;
    int rc = fiie_key_from_bytes(key, a->key.raw, FIIE_KEY_BYTES);
    if (rc)
        cli_error("%s: cannot set up the key: %s", cmd, fiie_strerror(rc));
    return rc;
}

int crypt_worker_new(crypt_worker **w, unsigned threads, char *err, size_t errlen)
{
    *w = calloc(1, sizeof **w);
    if (!*w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    (*w)->threads = threads;
    return 0;
}

void crypt_worker_free(void *ctx, void *ws)
{
    (void)ctx;
    crypt_worker *w = ws;
    if (!w)
        return;
    fiie_detector_free(w->det);
    free(w);
}

void crypt_fail(batch_result *res, const char *what, int rc)
{
    res->status = BATCH_ERROR;
    status_msg(res->msg, sizeof res->msg, what, rc);
}

unsigned crypt_save_flags(const crypt_args *a, const batch_job *job)
{
    unsigned level = FIIE_SAVE_COMPRESSION(a->compression);
    return level | ((a->bo.force || job->in_place) ? 0 : FIIE_SAVE_NO_CLOBBER);
}

int crypt_skip_or_fail(const batch_job *job, batch_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->msg, sizeof res->msg, fmt, ap);
    va_end(ap);
    res->status = job->explicit_output ? BATCH_ERROR : BATCH_SKIPPED;
    return -1;
}

int crypt_make_parents(const batch_job *job, batch_result *res)
{
    if (walk_make_parents(job->output) == 0)
        return 0;
    res->status = BATCH_ERROR;
    snprintf(res->msg, sizeof res->msg, "cannot create the directory of %s: %s", job->output,
             strerror(errno));
    return -1;
}

int crypt_save_checked(const batch_job *job, batch_result *res, int rc)
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
    return -1;
}

void crypt_image_wipe(fiie_image *img)
{
    if (img->data)
        sodium_memzero(img->data, img->stride * img->height);
    fiie_image_free(img);
}
