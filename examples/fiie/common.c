#include "common.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "walk.h"

const char *const cli_image_exts[] = {"png", "jpg", "jpeg", "bmp", "tga", NULL};
const char *const cli_png_exts[] = {"png", NULL};

int det_option(det_settings *d, int id, const char *value, char *err, size_t errlen)
{
    double v, t[3];
    uint32_t u;
    switch (id) {
    case OPT_MIN_FACE:
        if (cli_parse_double(value, 1, 100000, &v)) {
            snprintf(err, errlen, "--min-face: expected a size in pixels, got '%s'", value);
            return -1;
        }
        d->opts.min_face = (float)v;
        d->set_min_face = 1;
        return 1;
    case OPT_FACTOR:
        if (cli_parse_double(value, 0.01, 0.99, &v)) {
            snprintf(err, errlen, "--factor: expected a number in (0, 1), got '%s'", value);
            return -1;
        }
        d->opts.factor = (float)v;
        d->set_factor = 1;
        return 1;
    case OPT_THRESHOLDS:
        if (cli_parse_double_list(value, 3, 0, 1, t)) {
            snprintf(err, errlen, "--thresholds: expected A,B,C in [0, 1], got '%s'", value);
            return -1;
        }
        for (int i = 0; i < 3; i++)
            d->opts.thresholds[i] = (float)t[i];
        d->set_thresholds = 1;
        return 1;
    case OPT_MAX_FACES:
        if (cli_parse_u32(value, 0, 1000000, &u)) {
            snprintf(err, errlen, "--max-faces: expected a count, got '%s'", value);
            return -1;
        }
        d->opts.max_faces = u;
        return 1;
    case OPT_MODEL:
        d->model = value;
        return 1;
    case OPT_PRESET: {
        int preset;
        if (fiie_detector_preset_from_name(value, &preset) != 0) {
            snprintf(err, errlen, "--preset: expected high-recall, fast or default, got '%s'",
                     value);
            return -1;
        }
        d->preset = preset;
        return 1;
    }
    default:
        return 0;
    }
}

int det_apply_preset(det_settings *d, int preset)
{
    fiie_detector_options p = d->opts;
    int rc = fiie_detector_options_preset(&p, preset);
    if (rc)
        return rc;
    if (!d->set_min_face)
        d->opts.min_face = p.min_face;
    if (!d->set_factor)
        d->opts.factor = p.factor;
    if (!d->set_thresholds)
        memcpy(d->opts.thresholds, p.thresholds, sizeof p.thresholds);
    return 0;
}

int det_load_model(const det_settings *d, fiie_model **model, char *err, size_t errlen)
{
    const char *v = d->model;
    if (v == NULL) {
        int rc = fiie_model_new_default(model);
        if (rc)
            snprintf(err, errlen, "cannot load the built-in face model %s: %s",
                     fiie_model_default_name(), fiie_strerror(rc));
        return rc;
    }
    int is_path = cli_model_is_path(v);
    if (!is_path) {
        int rc = fiie_model_new_embedded(model, v);
        if (rc != FIIE_E_NOT_FOUND) {
            if (rc)
                snprintf(err, errlen, "cannot load the built-in face model %s: %s", v,
                         fiie_strerror(rc));
            return rc;
        }
    }
    /* a file; a bare word that is no embedded model may be one too */
    int rc = fiie_model_new_from_file(model, v);
    if (rc == FIIE_E_IO && !is_path)
        snprintf(err, errlen,
                 "--model %s: no built-in model of that name ('fiie models' lists them) "
                 "and no readable file",
                 v);
    else if (rc)
        snprintf(err, errlen, "cannot load the face model file %s: %s", v, fiie_strerror(rc));
    return rc;
}

int det_new(const det_settings *d, const fiie_model *model, unsigned threads,
            fiie_detector **det, char *err, size_t errlen)
{
    fiie_detector_options o = d->opts;
    o.threads = threads;
    int rc = fiie_detector_new(det, model, &o);
    if (rc) {
        snprintf(err, errlen, "cannot create the detector: %s", fiie_strerror(rc));
        return -1;
    }
    return 0;
}

int det_probe(det_settings *d, const fiie_model *model, const char *cmd)
{
    fiie_detector *det = NULL;
    fiie_detector_options o = d->opts;
    o.threads = 1;
    int rc = fiie_detector_new(&det, model, &o);
    fiie_detector_free(det);
    if (rc)
        cli_error("%s: cannot create the detector: %s", cmd, fiie_strerror(rc));
    return rc;
}

/* A secret in a file others can read is no longer a secret. */
static void warn_if_shared(const char *cmd, const char *what, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "fiie %s: warning: %s %s is accessible by other users (mode %04o); "
                        "chmod 600 it\n",
                cmd, what, path, (unsigned)(st.st_mode & 07777));
}

int key_source_load(key_source *k, const char *cmd)
{
    char err[512];
    if (k->key_file) {
        int rc = cli_key_read(k->key_file, k->raw, err, sizeof err);
        if (rc) {
            cli_error("%s: %s", cmd, err);
            return -1;
        }
        k->have_raw = 1;
        warn_if_shared(cmd, "key file", k->key_file);
    }
    if (k->pass_file) {
        int rc = cli_passphrase_read(k->pass_file, &k->pass, &k->pass_len, err, sizeof err);
        if (rc) {
            cli_error("%s: %s", cmd, err);
            return -1;
        }
        warn_if_shared(cmd, "passphrase file", k->pass_file);
    }
    if (k->pass_prompt) {
        int rc = cli_passphrase_prompt("Passphrase: ", k->pass_confirm, &k->pass, &k->pass_len,
                                       err, sizeof err);
        if (rc) {
            cli_error("%s: %s", cmd, err);
            return -1;
        }
    }
    return 0;
}

void key_source_wipe(key_source *k)
{
    sodium_memzero(k->raw, sizeof k->raw);
    cli_secret_free(k->pass, k->pass_len);
    k->pass = NULL;
    k->pass_len = 0;
}


int parse_paper(const char *s, double *x0, double *mu)
{
    double v[2];
    if (cli_parse_double_list(s, 2, 0, 4, v))
        return -1;
    if (!(v[0] > 0 && v[0] < 1) || !(v[1] >= 3.57 && v[1] <= 4))
        return -1;
    *x0 = v[0];
    *mu = v[1];
    return 0;
}

void status_msg(char *buf, size_t len, const char *what, int status)
{
    snprintf(buf, len, "%s: %s", what, fiie_strerror(status));
}

static int has_ext(const char *path, const char *const *exts)
{
    return walk_has_ext(path, exts);
}

int path_is_jpeg(const char *path)
{
    static const char *const j[] = {"jpg", "jpeg", "jpe", "jfif", NULL};
    return has_ext(path, j);
}

int path_is_png(const char *path)
{
    return has_ext(path, cli_png_exts);
}

/* BINDIR/../DATADIR/fiie/sample.png beside the running executable, in
 * buf, or NULL. */
static const char *sample_beside_executable(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    int len = snprintf(buf, cap, "%s/%s", exe, FIIE_SAMPLE_FROM_BINDIR);
    return len > 0 && (size_t)len < cap ? buf : NULL;
}

const char *sample_image_path(void)
{
    /* An explicit override, then the copy installed with this binary, then
     * the source tree it was built from, then the configured prefix. */
    static _Thread_local char beside[PATH_MAX + 64];
    const char *env = getenv("FIIE_SAMPLE_IMAGE");
    const char *candidates[] = {env, sample_beside_executable(beside, sizeof beside),
                                FIIE_SAMPLE_SOURCE, FIIE_SAMPLE_INSTALLED};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        struct stat st;
        if (candidates[i] && candidates[i][0] && stat(candidates[i], &st) == 0 &&
            S_ISREG(st.st_mode))
            return candidates[i];
    }
    return NULL;
}
