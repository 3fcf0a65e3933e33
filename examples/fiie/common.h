/* Pieces shared by several commands: detector options, batch options,
 * keys, status messages. Uses the public libfiie API only. */
#ifndef FIIE_CLI_COMMON_H
#define FIIE_CLI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "fiie/fiie.h"

#include "args.h"
#include "batch.h"
#include "keyfile.h"

/* Option ids shared by the commands (each command adds its own above 1000). */
enum {
    OPT_HELP = 1,
    OPT_MIN_FACE,
    OPT_FACTOR,
    OPT_THRESHOLDS,
    OPT_MAX_FACES,
    OPT_MODEL,
    OPT_THREADS,
    OPT_RECURSIVE,
    OPT_OUT_DIR,
    OPT_OUTPUT,
    OPT_FORCE,
    OPT_IN_PLACE,
    OPT_QUIET,
    OPT_JSON,
    OPT_SUFFIX,
    OPT_KEY_FILE,
    OPT_PASSPHRASE_FILE,
    OPT_PAPER,
    OPT_COMPRESSION,
    OPT_PASSPHRASE,  /* --passphrase: ask on the terminal */
    OPT_PRESET,      /* --preset NAME: detector preset */
};

/* Detector settings from the command line. */
typedef struct det_settings {
    fiie_detector_options opts;
    const char *model;       /* --model NAME|FILE; NULL: the default model */
    int set_min_face, set_factor, set_thresholds;
    int preset;              /* --preset, or -1: the command's own default */
} det_settings;

/* Handle a detector option (--preset included); returns 1 if `id` was one,
 * 0 if not, -1 on a bad value. */
int det_option(det_settings *d, int id, const char *value, char *err, size_t errlen);

/* Take the library's preset (a fiie_detector_preset) for the settings
 * not given explicitly (--min-face, --factor, --thresholds win).
 * Returns 0 or a FIIE_E_* status. */
int det_apply_preset(det_settings *d, int preset);

/* Load the model once (shared by every worker): --model is an embedded
 * model's name unless it contains a '/' or ends in ".fiiem" (then, or when
 * no embedded model has that name, a file); no --model: the default. */
int det_load_model(const det_settings *d, fiie_model **model, char *err, size_t errlen);

/* Check that the options make a detector (before starting workers); the
 * options are used exactly as given (the preset included). Prints the
 * error. */
int det_probe(det_settings *d, const fiie_model *model, const char *cmd);

/* A worker's own detector on the shared model, with `threads` workers of
 * its own inside one image. Returns 0, or -1 with the reason in err. */
int det_new(const det_settings *d, const fiie_model *model, unsigned threads,
            fiie_detector **det, char *err, size_t errlen);

/* Key material from the command line, turned into a fiie_key per worker. */
typedef struct key_source {
    const char *key_file;  /* "-": standard input */
    const char *pass_file; /* "-": standard input */
    int pass_prompt;       /* --passphrase: ask on the terminal, without echo */
    int pass_confirm;      /* ask twice (encrypt) */
    uint8_t raw[FIIE_KEY_BYTES];
    int have_raw;
    char *pass;            /* passphrase (secret) */
    size_t pass_len;
    int paper;             /* --paper X0,MU */
    double paper_x0, paper_mu;
} key_source;

/* Read the key file / passphrase file named on the command line, or ask
 * for the passphrase; warn about a key or passphrase file that other
 * users can read. */
int key_source_load(key_source *k, const char *cmd);
/* Wipe everything. */
void key_source_wipe(key_source *k);

/* Parse "X0,MU" of --paper. */
int parse_paper(const char *s, double *x0, double *mu);

/* "PATH: text of status" into buf. */
void status_msg(char *buf, size_t len, const char *what, int status);

/* Image extensions read from directories. */
extern const char *const cli_image_exts[];
extern const char *const cli_png_exts[];

/* Is the path's extension one of .jpg/.jpeg (case-insensitive)? */
int path_is_jpeg(const char *path);
int path_is_png(const char *path);

/* Locate the bundled sample photo; returns NULL when it cannot be found. */
const char *sample_image_path(void);

#endif
