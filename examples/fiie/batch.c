#include "batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "progress.h"
#include "signals.h"

const char *batch_status_name(batch_status s)
{
    switch (s) {
    case BATCH_OK: return "ok";
    case BATCH_NOFACE: return "no_face";
    case BATCH_AUTH: return "auth_failed";
    case BATCH_EXISTS: return "exists";
    case BATCH_SKIPPED: return "skipped";
    default: return "error";
    }
}

unsigned batch_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 && n <= 1024 ? (unsigned)n : 1;
}

/* What is kept of a finished file until the end of the batch. Small on
 * purpose: a batch's memory grows only by a slot per file (the message is
 * kept only for failures, which the JSON summary lists). */
typedef struct slot_result {
    batch_status status;
    uint64_t faces;
    uint64_t pixels;
    char *msg;        /* owned; NULL for successes */
    char *line;       /* owned until printed */
} slot_result;

typedef struct slot {
    batch_job job;
    slot_result res;
    char *output;     /* owned */
    int planned;      /* 1: status decided before running (collision, exists) */
    int finished;
} slot;

typedef struct shared {
    const batch_options *o;
    const batch_ops *ops;
    void *ctx;
    slot *slots;
    size_t n;
    size_t next;        /* next job to hand out */
    size_t printed;     /* lines printed in input order so far */
    pthread_mutex_t lock;
    progress prog;
    int show_ok;        /* print a line per successful file on stderr */
} shared;

typedef struct worker {
    shared *sh;
    void *state;
    batch_result res;   /* scratch for the file being run */
    pthread_t thread;
} worker;

static void report(shared *sh, const slot *s, batch_status status, const char *msg)
{
    const batch_options *o = sh->o;
    int has_msg = msg && msg[0];
    if (status == BATCH_SKIPPED) {
        if (!o->quiet)
            progress_printf(&sh->prog, stderr, "fiie %s: %s: skipped: %s\n", sh->ops->command,
                            s->job.input, has_msg ? msg : "nothing to do");
    } else if (status == BATCH_OK) {
        if (sh->show_ok || o->dry_run) {
            if (s->output)
                progress_printf(&sh->prog, stderr, "%s %s %s%s%s%s\n", s->job.input,
                                o->dry_run ? "would be written to" : "->", s->output,
                                has_msg ? " (" : "", has_msg ? msg : "", has_msg ? ")" : "");
            else if (has_msg)
                progress_printf(&sh->prog, stderr, "%s: %s\n", s->job.input, msg);
        }
    } else if (!(o->quiet && status == BATCH_NOFACE && sh->n > 1)) {
        progress_printf(&sh->prog, stderr, "fiie %s: %s: %s\n", sh->ops->command, s->job.input,
                        has_msg ? msg : batch_status_name(status));
    }
}

/* A planned outcome (decided before running). */
static void plan_result(slot *s, batch_status status, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s->planned = 1;
    s->res.status = status;
    free(s->res.msg);
    s->res.msg = strdup(buf); /* NULL: the status name is shown instead */
}

/* Print finished lines in input order (called with sh->lock held). */
static void flush_lines(shared *sh)
{
    while (sh->printed < sh->n && sh->slots[sh->printed].finished) {
        slot *s = &sh->slots[sh->printed];
        if (s->res.line) {
            progress_printf(&sh->prog, stdout, "%s\n", s->res.line);
            free(s->res.line);
            s->res.line = NULL;
        }
        sh->printed++;
    }
}

static void *work(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        size_t i = sh->next;
        while (i < sh->n && sh->slots[i].planned) {
            /* Decided before running (collision, existing output):
             * reported here so that messages keep the input order. */
            report(sh, &sh->slots[i], sh->slots[i].res.status, sh->slots[i].res.msg);
            sh->slots[i].finished = 1;
            progress_step(&sh->prog, 0, sh->slots[i].res.status == BATCH_SKIPPED);
            i++;
        }
        sh->next = i < sh->n ? i + 1 : i;
        flush_lines(sh);
        pthread_mutex_unlock(&sh->lock);
        if (i >= sh->n)
            break;
        slot *s = &sh->slots[i];
        batch_result *r = &w->res;
        memset(r, 0, sizeof *r);
        if (cli_interrupted()) {
            /* Ending: start nothing new (the signal handler exits once
             * the writes in progress are complete). */
            r->status = BATCH_ERROR;
            snprintf(r->msg, sizeof r->msg, "interrupted");
        } else {
            sh->ops->run(sh->ctx, w->state, &s->job, r);
        }
        if (r->status == BATCH_EXISTS && !s->job.explicit_output) {
            /* Appeared since planning (another run): a skip as well. */
            r->status = BATCH_SKIPPED;
            snprintf(r->msg, sizeof r->msg, "%s exists (--force redoes it)", s->output);
        }
        if (r->warn[0] && !sh->o->quiet)
            progress_printf(&sh->prog, stderr, "fiie %s: %s: warning: %s\n", sh->ops->command,
                            s->job.input, r->warn);
        report(sh, s, r->status, r->msg);
        progress_step(&sh->prog, r->faces, r->status == BATCH_SKIPPED);
        s->res.status = r->status;
        s->res.faces = r->faces;
        s->res.pixels = r->pixels;
        s->res.line = r->line;
        if (r->status != BATCH_OK && r->msg[0])
            s->res.msg = strdup(r->msg);
        pthread_mutex_lock(&sh->lock);
        s->finished = 1;
        flush_lines(sh);
        pthread_mutex_unlock(&sh->lock);
    }
    return NULL;
}

static void walk_warn(void *ctx, const char *path, const char *msg)
{
    fprintf(stderr, "fiie %s: %s: %s\n", (const char *)ctx, path, msg);
}

static int cmp_slot_output(const void *a, const void *b)
{
    const slot *x = *(slot *const *)a, *y = *(slot *const *)b;
    int c = strcmp(x->output, y->output);
    if (c)
        return c;
    return x->job.index < y->job.index ? -1 : x->job.index > y->job.index;
}

/* Decide the output of every file and the ones that must not run. */
static int plan(shared *sh, const walk_list *l, char **inputs, size_t ninputs)
{
    const batch_options *o = sh->o;
    for (size_t i = 0; i < l->n; i++) {
        slot *s = &sh->slots[i];
        s->job.index = i;
        s->job.input = l->items[i].path;
        if (!o->writes_output)
            continue;
        if (o->in_place) {
            s->output = strdup(l->items[i].path);
            s->job.in_place = 1;
        } else if (o->output) {
            s->output = strdup(o->output);
            s->job.explicit_output = 1;
        } else {
            const char *rel = o->out_dir ? l->items[i].rel : l->items[i].path;
            if (o->strip_marker)
                s->output = walk_restored_path(o->out_dir, rel, o->strip_marker,
                                               l->items[i].path);
            if (!s->output)
                s->output = walk_output_path(o->out_dir, rel, o->suffix);
        }
        if (!s->output)
            return -1;
        s->job.output = s->output;
    }
    (void)inputs;
    (void)ninputs;
    if (!o->writes_output)
        return 0;
    /* Two inputs mapping to one output name (a.jpg and a.png): the first
     * in input order wins, the others are errors, never a silent overwrite. */
    slot **order = malloc(l->n * sizeof *order);
    if (!order && l->n)
        return -1;
    for (size_t i = 0; i < l->n; i++)
        order[i] = &sh->slots[i];
    qsort(order, l->n, sizeof *order, cmp_slot_output);
    for (size_t i = 1; i < l->n; i++)
        if (strcmp(order[i]->output, order[i - 1]->output) == 0) {
            slot *s = order[i];
            size_t k = i - 1;
            while (k > 0 && strcmp(order[k - 1]->output, s->output) == 0)
                k--;
            plan_result(s, BATCH_ERROR, "output %s would also be written for %s; skipped",
                        s->output, order[k]->job.input);
        }
    free(order);
    for (size_t i = 0; i < l->n; i++) {
        slot *s = &sh->slots[i];
        if (s->planned || s->job.in_place)
            continue;
        struct stat in_st, out_st;
        if (stat(s->output, &out_st) != 0)
            continue;
        if (stat(s->job.input, &in_st) == 0 && in_st.st_dev == out_st.st_dev &&
            in_st.st_ino == out_st.st_ino) {
            plan_result(s, BATCH_ERROR,
                        "output %s is the input itself (use --in-place to replace it)", s->output);
        } else if (!o->force && s->job.explicit_output) {
            plan_result(s, BATCH_EXISTS, "%s exists; not overwritten (use --force)", s->output);
        } else if (!o->force) {
            /* A re-run: what was done is not redone, and is no error. */
            plan_result(s, BATCH_SKIPPED, "%s exists (--force redoes it)", s->output);
        }
    }
    return 0;
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* The last line of a batch on stderr: every file counted once. */
static void print_summary(const char *cmd, const batch_options *o, size_t files, size_t ok,
                          size_t skipped, size_t noface, size_t auth, size_t errors,
                          uint64_t faces)
{
    char skip[64] = "";
    if (skipped)
        snprintf(skip, sizeof skip, "%zu skipped, ", skipped);
    if (!o->writes_output)
        fprintf(stderr, "fiie %s: %zu file%s, %llu face%s, %zu error%s\n", cmd, files,
                plural(files), (unsigned long long)faces, plural((size_t)faces), errors,
                plural(errors));
    else if (strcmp(cmd, "decrypt") == 0)
        fprintf(stderr, "fiie %s: %zu file%s: %zu restored, %s%zu authentication failure%s, %zu "
                        "error%s\n",
                cmd, files, plural(files), ok, skip, auth, plural(auth), errors, plural(errors));
    else if (auth == 0)
        fprintf(stderr, "fiie %s: %zu file%s: %zu done (%llu face%s), %s%zu without faces, %zu "
                        "error%s\n",
                cmd, files, plural(files), ok, (unsigned long long)faces, plural((size_t)faces),
                skip, noface, errors, plural(errors));
    else
        fprintf(stderr, "fiie %s: %zu file%s: %zu done, %s%zu authentication failure%s, %zu "
                        "error%s\n",
                cmd, files, plural(files), ok, skip, auth, plural(auth), errors, plural(errors));
}

static void json_summary(shared *sh, int exit_status, int walk_problems)
{
    jbuf b;
    jb_init(&b);
    uint64_t faces = 0, pixels = 0;
    size_t counts[6] = {0};
    jb_raw(&b, "{\"command\": ");
    jb_str(&b, sh->ops->command);
    jb_raw(&b, ", \"files\": [");
    for (size_t i = 0; i < sh->n; i++) {
        slot *s = &sh->slots[i];
        slot_result *r = &s->res;
        counts[r->status <= BATCH_SKIPPED ? r->status : BATCH_ERROR]++;
        faces += r->faces;
        pixels += r->pixels;
        jb_raw(&b, i ? ", {\"input\": " : "{\"input\": ");
        jb_str(&b, s->job.input);
        jb_raw(&b, ", \"output\": ");
        if (r->status == BATCH_OK && s->output)
            jb_str(&b, s->output);
        else
            jb_raw(&b, "null");
        jb_raw(&b, ", \"status\": ");
        jb_str(&b, batch_status_name(r->status));
        jb_raw(&b, ", \"faces\": ");
        jb_uint(&b, r->faces);
        jb_raw(&b, ", \"protected_pixels\": ");
        jb_uint(&b, r->pixels);
        if (r->status == BATCH_SKIPPED) {
            jb_raw(&b, ", \"note\": ");
            jb_str(&b, r->msg ? r->msg : batch_status_name(r->status));
        } else if (r->status != BATCH_OK) {
            jb_raw(&b, ", \"error\": ");
            jb_str(&b, r->msg ? r->msg : batch_status_name(r->status));
        }
        jb_raw(&b, "}");
    }
    jb_raw(&b, "], \"summary\": {\"files\": ");
    jb_uint(&b, sh->n);
    jb_raw(&b, ", \"ok\": ");
    jb_uint(&b, counts[BATCH_OK]);
    jb_raw(&b, ", \"skipped\": ");
    jb_uint(&b, counts[BATCH_SKIPPED]);
    jb_raw(&b, ", \"no_face\": ");
    jb_uint(&b, counts[BATCH_NOFACE]);
    jb_raw(&b, ", \"auth_failed\": ");
    jb_uint(&b, counts[BATCH_AUTH]);
    jb_raw(&b, ", \"failed\": ");
    jb_uint(&b, counts[BATCH_ERROR] + counts[BATCH_EXISTS]);
    jb_raw(&b, ", \"input_errors\": ");
    jb_uint(&b, (uint64_t)walk_problems);
    jb_raw(&b, ", \"faces\": ");
    jb_uint(&b, faces);
    jb_raw(&b, ", \"protected_pixels\": ");
    jb_uint(&b, pixels);
    jb_raw(&b, "}, \"exit_status\": ");
    jb_int(&b, exit_status);
    jb_raw(&b, "}");
    if (jb_print_line(&b, stdout) != 0)
        fprintf(stderr, "fiie %s: cannot write the JSON summary\n", sh->ops->command);
    jb_free(&b);
}

int batch_run(const batch_options *o, const batch_ops *ops, void *ctx, char **inputs,
              size_t ninputs)
{
    const char *cmd = ops->command;
    if (ninputs == 0)
        return cli_usage_error(cmd, "no input given");
    if (o->writes_output) {
        int modes = (o->in_place != 0) + (o->output != NULL) + (o->out_dir != NULL);
        if (modes > 1)
            return cli_usage_error(cmd, "use only one of -o, --out-dir and --in-place");
    }
    walk_options wo = {o->recursive, o->exts, o->writes_output ? o->suffix : NULL, 0, 0, 0};
    if (o->out_dir) {
        struct stat st;
        if (stat(o->out_dir, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                return cli_usage_error(cmd, "--out-dir %s is not a directory", o->out_dir);
            wo.have_skip_dir = 1;
            wo.skip_dev = st.st_dev;
            wo.skip_ino = st.st_ino;
        }
    }
    walk_list l = {0};
    int problems = walk_collect((const char *const *)inputs, ninputs, &wo, &l, walk_warn,
                                (void *)cmd);
    if (problems < 0) {
        walk_list_free(&l);
        cli_error("%s: out of memory", cmd);
        return CLI_EXIT_FAIL;
    }
    /* (A missing input is reported above and ends with status 1 below, not
     * as a usage error.) */
    if (o->output && l.n > 0 &&
        !(ninputs == 1 && l.n == 1 && strcmp(l.items[0].path, inputs[0]) == 0)) {
        walk_list_free(&l);
        return cli_usage_error(cmd, "-o FILE needs exactly one input file (use --out-dir for several)");
    }
    if (l.n == 0) {
        if (problems == 0)
            fprintf(stderr, "fiie %s: no input images found\n", cmd);
        walk_list_free(&l);
        return CLI_EXIT_FAIL;
    }

    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.o = o;
    sh.ops = ops;
    sh.ctx = ctx;
    sh.n = l.n;
    sh.slots = calloc(l.n, sizeof *sh.slots);
    int rc = CLI_EXIT_FAIL;
    worker *workers = NULL;
    size_t nworkers = 0;
    if (!sh.slots || plan(&sh, &l, inputs, ninputs) != 0) {
        cli_error("%s: out of memory", cmd);
        goto out;
    }
    /* Without -j a single image gets every CPU (the results do not depend
     * on the thread count) and a folder goes one file at a time (memory
     * stays one worker's). */
    unsigned threads = o->threads ? o->threads : 1;
    nworkers = l.n > 1 ? (threads < l.n ? threads : l.n) : 1;
    unsigned inner = l.n > 1 ? 1 : o->threads ? threads : o->single_threads ? o->single_threads : 1;
    workers = calloc(nworkers, sizeof *workers);
    if (!workers) {
        cli_error("%s: out of memory", cmd);
        goto out;
    }
    for (size_t i = 0; i < nworkers; i++) {
        char err[512] = "";
        workers[i].sh = &sh;
        if (ops->worker_init && ops->worker_init(ctx, &workers[i].state, inner, err, sizeof err) != 0) {
            cli_error("%s: %s", cmd, err[0] ? err : "cannot start");
            nworkers = i;
            goto out;
        }
    }
    pthread_mutex_init(&sh.lock, NULL);
    int interactive = isatty(STDERR_FILENO);
    progress_init(&sh.prog, stderr, interactive && !o->quiet && l.n > 1, l.n);
    sh.show_ok = !o->quiet && !(interactive && l.n > 1);
    size_t started = 1;
    for (size_t i = 1; i < nworkers; i++) {
        if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0)
            break; /* fewer workers: still correct, only slower */
        started++;
    }
    work(&workers[0]);
    for (size_t i = 1; i < started; i++)
        pthread_join(workers[i].thread, NULL);
    pthread_mutex_lock(&sh.lock);
    flush_lines(&sh);
    pthread_mutex_unlock(&sh.lock);
    progress_finish(&sh.prog);
    pthread_mutex_destroy(&sh.lock);

    size_t n_err = 0, n_auth = 0, n_noface = 0, n_ok = 0, n_skip = 0;
    uint64_t faces = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (sh.slots[i].res.status == BATCH_OK)
            faces += sh.slots[i].res.faces;
        switch (sh.slots[i].res.status) {
        case BATCH_OK: n_ok++; break;
        case BATCH_AUTH: n_auth++; break;
        case BATCH_NOFACE: n_noface++; break;
        case BATCH_SKIPPED: n_skip++; break;
        default: n_err++; break;
        }
    }
    rc = (n_err || problems) ? CLI_EXIT_FAIL : n_auth ? CLI_EXIT_AUTH : n_noface ? CLI_EXIT_NOFACE
                                                                               : CLI_EXIT_OK;
    if (!o->quiet && (l.n > 1 || problems || n_skip))
        print_summary(cmd, o, l.n, n_ok, n_skip, n_noface, n_auth, n_err + (size_t)problems,
                      faces);
    if (o->json)
        json_summary(&sh, rc, problems);
out:
    if (workers) {
        for (size_t i = 0; i < nworkers; i++)
            if (ops->worker_fini)
                ops->worker_fini(ctx, workers[i].state);
        free(workers);
    }
    if (sh.slots) {
        for (size_t i = 0; i < l.n; i++) {
            free(sh.slots[i].output);
            free(sh.slots[i].res.line);
            free(sh.slots[i].res.msg);
        }
        free(sh.slots);
    }
    walk_list_free(&l);
    return rc;
}
