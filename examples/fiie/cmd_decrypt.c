/* fiie decrypt: restore the faces of PNGs written by fiie encrypt, as a
 * batch (files, directories with -r). What it shares with encrypt is in
 * crypt.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "crypt.h"
#include "keycache.h"
#include "protected.h"

static const cli_opt decrypt_opts[] = {
    CRYPT_KEY_OPTS("passphrase file used at encryption; - reads stdin"),
    {"paper", 0, 1, OPT_PAPER, "X0,MU", "key of an image encrypted with --paper"},
    CRYPT_BATCH_OPTS("output name suffix (default _decrypted.png)"),
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
};

typedef struct decrypt_ctx {
    crypt_args args;
    /* --key-file: one key shared by every worker (fiie/cipher.h: a
     * fiie_key may be used by concurrent calls). */
    fiie_key *key;
    /* --passphrase-file: keys by the (salt, limits) of the headers. */
    keycache pass_keys;
    int have_pass_keys;
    int suffix_given; /* --suffix: the name rule is the suffix alone */
} decrypt_ctx;

static int on_opt(void *c, int id, const char *value, char *err, size_t errlen)
{
    decrypt_ctx *x = c;
    if (id == OPT_SUFFIX)
        x->suffix_given = 1;
    int r = crypt_option(&x->args, id, value, err, errlen);
    return r == 1 ? 0 : -1;
}

static void help(void)
{
    printf("Usage: fiie decrypt [OPTIONS] IN.png OUT.png (-k F | -p F | --passphrase)\n"
           "       fiie decrypt [OPTIONS] INPUT... [-r] [--out-dir DIR] (-k F | ...)\n"
           "\n"
           "Restore the protected pixels of PNGs written by 'fiie encrypt'. The\n"
           "authentication tag is checked before anything is written: with a wrong\n"
           "key or a tampered file nothing is written and the exit status is 3.\n"
           "The header is read from the PNG's fiIE chunk, or from NAME.fiie beside\n"
           "it (encrypt --sidecar) when a program that re-saved the PNG dropped the\n"
           "chunk. The unprotected copy 'encrypt --allow-empty' wrote for an image\n"
           "without faces is copied back unchanged, so a batch round-trips whole.\n"
           "Outputs: IN OUT.png for one file; otherwise NAME.png for NAME_fiie.png\n"
           "(suffixes never stack) and NAME_decrypted.png for other names, or when\n"
           "NAME.png would be the input itself, next to each input or below\n"
           "--out-dir. A batch skips outputs that exist (--force redoes them) and\n"
           "PNGs that are not protected; skips are no error.\n"
           "\n"
           "Options:\n");
    cli_print_options(stdout, decrypt_opts, sizeof decrypt_opts / sizeof decrypt_opts[0]);
    printf("\n" CLI_METADATA_NOTE "\n");
    printf("Exit status: 0 every file restored, 1 an error (some file failed or an\n"
           "output exists), 3 authentication failed for some file (and no other\n"
           "error), 64 usage error.\n");
}

static int worker_init(void *c, void **ws, unsigned threads, char *err, size_t errlen)
{
    (void)c;
    crypt_worker *w;
    if (crypt_worker_new(&w, threads, err, errlen) != 0)
        return -1;
    *ws = w;
    return 0;
}

typedef struct derive_arg {
    const decrypt_ctx *x;
    const uint8_t *header;
    size_t hlen;
} derive_arg;

static int derive_from_header(void *arg, void **value)
{
    const derive_arg *a = arg;
    fiie_key *k = NULL;
    int rc = fiie_key_from_header_passphrase(&k, a->header, a->hlen, a->x->args.key.pass,
                                             a->x->args.key.pass_len);
    *value = k;
    return rc;
}

/* The key for one header: the shared raw key, or the passphrase key for
 * the salt and limits the header records (derived once per run for each
 * of them, whichever worker meets them first). */
static int header_key(decrypt_ctx *x, const uint8_t *header, size_t hlen, const fiie_key **key,
                      keycache_ref *ref)
{
    if (!x->have_pass_keys) {
        *key = x->key;
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

/* Load a protected PNG, its header (malloc'd; from the chunk or the
 * sidecar) and its ICC profile. @return 0, or -1 with res filled and
 * nothing left allocated but *info. */
static int load_protected(const batch_job *job, fiie_image *img, uint8_t **header, size_t *hlen,
                          protected_source *src, fiie_image_info *info, batch_result *res)
{
    int rc = protected_load(job->input, img, header, hlen, src, info);
    if (rc == FIIE_E_NOT_FOUND) {
        char *side = protected_sidecar_path(job->input);
        crypt_skip_or_fail(job, res,
                           "not a protected image: no fiIE header in the PNG and no sidecar %s "
                           "(a program that re-saves a protected PNG drops the header; "
                           "encrypt --sidecar keeps a copy)",
                           side ? side : "NAME.fiie");
        free(side);
        return -1;
    }
    if (rc) {
        crypt_fail(res, "cannot read protected image", rc);
        return -1;
    }
    return 0;
}

/* Regions and pixels the header protects (for the messages and --json). */
static void count_protected(const uint8_t *header, size_t hlen, batch_result *res)
{
    fiie_mask *mask = NULL;
    if (fiie_mask_from_header(&mask, header, hlen) != 0)
        return;
    uint64_t pixels = 0;
    if (fiie_mask_pixel_count(mask, &pixels) == 0)
        res->pixels = pixels;
    res->faces = fiie_mask_region_count(mask);
    fiie_mask_free(mask);
}

/* Decrypt img in place and save it. @return 0, or non-zero with res filled. */
static int decrypt_and_save(decrypt_ctx *x, const crypt_worker *w, const fiie_key *key,
                            fiie_image *img, const uint8_t *header, size_t hlen,
                            const fiie_image_info *info, const batch_job *job,
                            batch_result *res)
{
    fiie_decrypt_options dopt;
    int rc = fiie_decrypt_options_init(&dopt);
    if (rc) {
        crypt_fail(res, "decryption failed", rc);
        return rc;
    }
    dopt.threads = w->threads;
    if (x->args.key.paper) {
        dopt.paper_x0 = x->args.key.paper_x0;
        dopt.paper_mu = x->args.key.paper_mu;
    }
    rc = header ? fiie_decrypt(key, img, header, hlen, &dopt) : 0;
    if (rc == FIIE_E_AUTH) {
        res->status = BATCH_AUTH;
        snprintf(res->msg, sizeof res->msg,
                 "authentication failed (wrong key, or the file was modified); nothing written");
        return rc;
    }
    if (rc) {
        crypt_fail(res, "decryption failed", rc);
        return rc;
    }
    if (crypt_make_parents(job, res) != 0)
        return -1;
    /* Restored faces are private: mode 0600 from the first byte written. */
    protected_extras e = {info->icc, info->icc_size,
                          crypt_save_flags(&x->args, job) | FIIE_SAVE_PRIVATE, 0};
    rc = protected_save_plain(img, job->output, &e);
    return crypt_save_checked(job, res, rc);
}

static void run(void *c, void *ws, const batch_job *job, batch_result *res)
{
    decrypt_ctx *x = c;
    crypt_worker *w = ws;
    if (path_is_jpeg(job->output)) {
        res->status = BATCH_ERROR;
        snprintf(res->msg, sizeof res->msg, "refusing JPEG output %s (write .png)", job->output);
        return;
    }
    fiie_image img;
    fiie_image_info info;
    uint8_t *header = NULL;
    size_t hlen = 0;
    protected_source src;
    const fiie_key *key = NULL;
    keycache_ref ref = {NULL, -1};
    if (load_protected(job, &img, &header, &hlen, &src, &info, res) != 0)
        goto out;
    int rc = 0;
    if (header) {
        if (protected_key_mismatch(header, hlen, x->args.key.pass != NULL, x->args.key.paper,
                                   res->msg, sizeof res->msg)) {
            res->status = BATCH_ERROR;
            goto out;
        }
        rc = x->args.key.paper ? 0 : header_key(x, header, hlen, &key, &ref);
    }
    if (rc) {
        /* TOO_LARGE from a header: Argon2id limits above the reader's cap */
        char what[160];
        snprintf(what, sizeof what,
                 "cannot derive the key: the header asks for more Argon2id work than "
                 "decrypt allows (at most %u passes, %llu MiB)",
                 FIIE_KDF_READ_MAX_OPSLIMIT,
                 (unsigned long long)(FIIE_KDF_READ_MAX_MEMLIMIT >> 20));
        status_msg(res->msg, sizeof res->msg,
                   rc == FIIE_E_TOO_LARGE ? what : "cannot derive the key", rc);
        res->status = BATCH_ERROR;
        goto out;
    }
    if (header)
        count_protected(header, hlen, res);
    if (decrypt_and_save(x, w, key, &img, header, hlen, &info, job, res) != 0) {
        res->pixels = 0;
        goto out;
    }
    res->status = BATCH_OK;
    if (src == PROTECTED_NOFACE)
        snprintf(res->msg, sizeof res->msg,
                 "no face was protected in it (encrypt --allow-empty); copied unchanged");
    else
        snprintf(res->msg, sizeof res->msg, "%llu pixels restored%s",
                 (unsigned long long)res->pixels,
                 src == PROTECTED_SIDECAR ? " (header from the sidecar)" : "");
out:
    if (x->have_pass_keys)
        keycache_release(&x->pass_keys, &ref);
    crypt_image_wipe(&img);
    fiie_image_info_free(&info);
    free(header);
}

/* The run's keys: the raw key, or a cache of passphrase keys (none for
 * --paper, whose key is in the options). */
static int keys_init(decrypt_ctx *x)
{
    if (!x->args.key.pass)
        return crypt_raw_key(&x->args, "decrypt", &x->key);
    if (keycache_init(&x->pass_keys, (keycache_free_fn)fiie_key_free) != 0) {
        cli_error("decrypt: cannot set up the key: %s", fiie_strerror(FIIE_E_NO_MEMORY));
        return FIIE_E_NO_MEMORY;
    }
    x->have_pass_keys = 1;
    return 0;
}

int cmd_decrypt(int argc, char **argv)
{
    decrypt_ctx x;
    memset(&x, 0, sizeof x);
    crypt_args_init(&x.args, "_decrypted.png", cli_png_exts);
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    int status = crypt_parse(&x.args, "decrypt", argc, argv, decrypt_opts,
                             sizeof decrypt_opts / sizeof decrypt_opts[0], on_opt, &x, pos, &npos,
                             help);
    if (status != CRYPT_GO_ON)
        goto out;
    /* Without --suffix: NAME_fiie.png gives back NAME.png (walk.h). */
    if (strcmp(x.args.bo.suffix, "_decrypted.png") == 0 && !x.suffix_given)
        x.args.bo.strip_marker = "_fiie";
    status = CLI_EXIT_FAIL;
    if (key_source_load(&x.args.key, "decrypt") != 0 || keys_init(&x) != 0)
        goto out;
    batch_ops ops = {"decrypt", worker_init, crypt_worker_free, run};
    status = batch_run(&x.args.bo, &ops, &x, pos, npos);
out:
    fiie_key_free(x.key);
    if (x.have_pass_keys)
        keycache_destroy(&x.pass_keys);
    key_source_wipe(&x.args.key);
    return status;
}
