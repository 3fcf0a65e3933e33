#include "progress.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fmt_duration(char *b, size_t n, double s)
{
    if (!(s >= 0) || s > 359999)
        snprintf(b, n, "--:--");
    else {
        unsigned long t = (unsigned long)(s + 0.5);
        if (t >= 3600)
            snprintf(b, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
        else
            snprintf(b, n, "%lu:%02lu", t / 60, t % 60);
    }
}

int progress_format(char *buf, size_t len, size_t done, size_t total, uint64_t faces,
                    size_t skipped, double elapsed, int width)
{
    char bar[128];
    if (width < 0)
        width = 0;
    if (width > (int)sizeof bar - 1)
        width = (int)sizeof bar - 1;
    int fill = total ? (int)((double)width * (double)done / (double)total) : 0;
    if (fill > width)
        fill = width;
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(width - fill));
    bar[width] = '\0';
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    char eta[32];
    if (done == 0 || rate <= 0)
        snprintf(eta, sizeof eta, "--:--");
    else
        fmt_duration(eta, sizeof eta, (double)(total - done) / rate);
    char skip[40] = "";
    if (skipped)
        snprintf(skip, sizeof skip, ", %zu skipped", skipped);
    return snprintf(buf, len, "[%s] %zu/%zu file%s, %llu face%s%s, %.1f files/s, ETA %s", bar,
                    done, total, total == 1 ? "" : "s", (unsigned long long)faces,
                    faces == 1 ? "" : "s", skip, rate, eta);
}

void progress_init(progress *p, FILE *out, int enabled, size_t total)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    p->out = enabled ? out : NULL;
    p->total = total;
    p->start = progress_now();
}

static void draw(progress *p, double now)
{
    char line[256];
    progress_format(line, sizeof line, p->done, p->total, p->faces, p->skipped, now - p->start,
                    24);
    fprintf(p->out, "\r%s\033[K", line);
    fflush(p->out);
    p->drawn = 1;
    p->last_draw = now;
}

void progress_step(progress *p, uint64_t faces, int skipped)
{
    pthread_mutex_lock(&p->lock);
    p->done++;
    p->faces += faces;
    p->skipped += skipped != 0;
    if (p->out) {
        double now = progress_now();
        if (now - p->last_draw >= 0.1 || p->done == p->total)
            draw(p, now);
    }
    pthread_mutex_unlock(&p->lock);
}

void progress_clear(progress *p)
{
    pthread_mutex_lock(&p->lock);
    if (p->out && p->drawn) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
        p->drawn = 0;
    }
    pthread_mutex_unlock(&p->lock);
}

void progress_finish(progress *p)
{
    progress_clear(p);
    pthread_mutex_destroy(&p->lock);
}

void progress_printf(progress *p, FILE *f, const char *fmt, ...)
{
    pthread_mutex_lock(&p->lock);
    if (p->out && p->drawn) {
        fputs("\r\033[K", p->out);
        p->drawn = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fflush(f);
    pthread_mutex_unlock(&p->lock);
}
