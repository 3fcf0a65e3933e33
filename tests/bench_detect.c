/* Benchmark (not a test): median milliseconds of fiie_detector_detect()
 * per image after warm-up, the median CPU time of the process per image
 * (steadier than the wall clock on a shared machine) and the peak RSS.
 *
 * usage: bench_detect [--threads N] [--runs N] [IMAGE.png ...]
 * (default: faces_640x480.png and faces_1280x720.png of FIIE_TEST_DATA) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fiie/fiie.h"
#include "test_util.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* CPU time of the whole process (all threads): on a loaded machine it
 * varies much less than the wall clock. */
static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int bench(const char *path, unsigned threads, int runs)
{
    fiie_image img;
    int rc = fiie_image_load(&img, path, NULL);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", path, fiie_strerror(rc));
        return 1;
    }
    const int w = (int)img.width, h = (int)img.height;
    fiie_detector_options o;
    fiie_detector_options_init(&o);
    o.threads = threads;
    fiie_detector *d;
    rc = fiie_detector_new(&d, NULL, &o);
    if (rc != 0) {
        fprintf(stderr, "fiie_detector_new: %s\n", fiie_strerror(rc));
        fiie_image_free(&img);
        return 1;
    }
    fiie_face faces[64];
    size_t n = 0;
    for (int i = 0; i < 3; i++)
        if (fiie_detector_detect(d, &img, faces, 64, &n) != FIIE_OK)
            return 1;
    double *t = malloc(sizeof *t * 2 * (size_t)runs), *c = t + runs;
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms(), c0 = cpu_ms();
        if (fiie_detector_detect(d, &img, faces, 64, &n) != FIIE_OK)
            return 1;
        t[i] = now_ms() - t0;
        c[i] = cpu_ms() - c0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    qsort(c, (size_t)runs, sizeof *c, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s %dx%d threads=%u faces=%zu: median %.2f ms (min %.2f, max %.2f, runs %d), "
           "cpu median %.2f ms, peak RSS %ld kB\n",
           path, w, h, threads, n, t[runs / 2], t[0], t[runs - 1], runs, c[runs / 2],
           ru.ru_maxrss);
    free(t);
    fiie_detector_free(d);
    fiie_image_free(&img);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned threads = 1;
    int runs = 25, nimg = 0, rc = 0;
    const char *imgs[64];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (nimg < 64)
            imgs[nimg++] = argv[i];
    }
    if (runs < 1)
        runs = 1;
    if (nimg == 0) {
        static char a[1024], b[1024];
        snprintf(a, sizeof a, "%s/images/faces_640x480.png", test_data_dir());
        snprintf(b, sizeof b, "%s/images/faces_1280x720.png", test_data_dir());
        imgs[nimg++] = a;
        imgs[nimg++] = b;
    }
    for (int i = 0; i < nimg; i++)
        rc |= bench(imgs[i], threads, runs);
    return rc;
}
