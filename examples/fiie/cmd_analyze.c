/* fiie analyze PLAIN CIPHER [--mask M] [--cipher2 C2] [--json]: the usual
 * image-cipher statistics, per channel, inside the protected region only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "json.h"
#include "regions.h"
#include "stats.h"

enum { OPT_MASK = 1001, OPT_CIPHER2 };

static const cli_opt analyze_opts[] = {
    {"mask", 'm', 1, OPT_MASK, "M", "region: a bitmap image (non-zero = inside) or 'rect:x,y,w,h;...'"},
    {"cipher2", 0, 1, OPT_CIPHER2, "C2", "second encryption of PLAIN: adds NPCR/UACI"},
    {"json", 0, 0, OPT_JSON, NULL, "print one JSON object"},
    {"help", 'h', 0, OPT_HELP, NULL, "show this help"},
};

typedef struct analyze_ctx {
    const char *mask, *cipher2;
    int json, help;
} analyze_ctx;

static int on_opt(void *c, int id, const char *value, char *err, size_t errlen)
{
    analyze_ctx *x = c;
    (void)err;
    (void)errlen;
    switch (id) {
    case OPT_MASK: x->mask = value; return 0;
    case OPT_CIPHER2: x->cipher2 = value; return 0;
    case OPT_JSON: x->json = 1; return 0;
    case OPT_HELP: x->help = 1; return 0;
    default: return -1;
    }
}

static void help(void)
{
    printf("Usage: fiie analyze PLAIN CIPHER [--mask M] [--cipher2 C2] [--json]\n"
           "\n"
           "Statistics of a protected image, per channel (R, G, B), over the\n"
           "protected pixels only: Shannon entropy (and the expected entropy of\n"
           "that many uniform random bytes), chi-square of the histogram (255\n"
           "degrees of freedom; uniform data stays below the 5%% critical value\n"
           "most of the time), adjacent-pixel correlation horizontally,\n"
           "vertically and diagonally for plain and cipher, and with --cipher2\n"
           "(another encryption of PLAIN) NPCR and UACI with the critical values\n"
           "of Wu, Noonan and Agaian (2011) at alpha 0.05, 0.01, 0.001.\n"
           "\n"
           "The region comes from CIPHER's fiIE header unless --mask is given.\n"
           "\n"
           "Options:\n");
    cli_print_options(stdout, analyze_opts, sizeof analyze_opts / sizeof analyze_opts[0]);
}

/* An image and, if it is a protected PNG, its header. */
typedef struct loaded {
    fiie_image img;
    uint8_t *header;
    size_t hlen;
} loaded;

static int load_any(const char *path, loaded *l)
{
    memset(l, 0, sizeof *l);
    size_t hlen = 0;
    int rc = fiie_protected_png_load(&l->img, path, NULL, 0, &hlen);
    if (rc == FIIE_E_BUFFER_TOO_SMALL && hlen > 0) {
        l->header = malloc(hlen);
        if (!l->header)
            return FIIE_E_NO_MEMORY;
        rc = fiie_protected_png_load(&l->img, path, l->header, hlen, &l->hlen);
        if (rc == 0)
            return 0;
        free(l->header);
        l->header = NULL;
        return rc;
    }
    if (rc != FIIE_E_NOT_FOUND && rc != FIIE_E_IMAGE_FORMAT)
        return rc ? rc : FIIE_E_HEADER;
    return fiie_image_load(&l->img, path, NULL);
}

static void unload(loaded *l)
{
    fiie_image_free(&l->img);
    free(l->header);
}

static int mask_to_bitmap(fiie_mask *m, uint8_t **bitmap)
{
    size_t w = fiie_mask_width(m), h = fiie_mask_height(m);
    *bitmap = malloc(w * h);
    if (!*bitmap)
        return FIIE_E_NO_MEMORY;
    int rc = fiie_mask_rasterize(m, *bitmap, w);
    if (rc) {
        free(*bitmap);
        *bitmap = NULL;
    }
    return rc;
}

/* The region bitmap (width x height, non-zero inside). */
static int region_bitmap(const analyze_ctx *x, const loaded *cipher, uint8_t **bitmap,
                         const char **source, char *err, size_t errlen)
{
    uint32_t w = cipher->img.width, h = cipher->img.height;
    fiie_mask *m = NULL;
    int rc;
    if (x->mask && (strncmp(x->mask, "rect:", 5) == 0 || strncmp(x->mask, "ellipse:", 8) == 0)) {
        cli_region *r = NULL;
        size_t n = 0;
        if (cli_regions_parse(x->mask, strlen(x->mask), &r, &n, err, errlen) != 0)
            return -1;
        rc = fiie_mask_new(&m, w, h);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = fiie_mask_add_region(m, r[i].shape, r[i].x, r[i].y, r[i].w, r[i].h);
        free(r);
        *source = "regions";
    } else if (x->mask) {
        fiie_image mi;
        rc = fiie_image_load(&mi, x->mask, NULL);
        if (rc) {
            snprintf(err, errlen, "%s: %s", x->mask, fiie_strerror(rc));
            return -1;
        }
        if (mi.width != w || mi.height != h) {
            snprintf(err, errlen, "mask %s is %ux%u, the images %ux%u", x->mask, mi.width,
                     mi.height, w, h);
            fiie_image_free(&mi);
            return -1;
        }
        *bitmap = malloc((size_t)w * h);
        if (!*bitmap) {
            fiie_image_free(&mi);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        int ch = fiie_pixel_format_channels(mi.format);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t xx = 0; xx < w; xx++) {
                const uint8_t *p = mi.data + (size_t)y * mi.stride + (size_t)xx * (size_t)ch;
                (*bitmap)[(size_t)y * w + xx] = (p[0] | p[1] | p[2]) != 0;
            }
        fiie_image_free(&mi);
        *source = "bitmap";
        return 0;
    } else if (cipher->header) {
        rc = fiie_mask_from_header(&m, cipher->header, cipher->hlen);
        *source = "header";
    } else {
        snprintf(err, errlen, "CIPHER has no fiIE header; give the region with --mask");
        return -1;
    }
    if (rc == 0)
        rc = mask_to_bitmap(m, bitmap);
    fiie_mask_free(m);
    if (rc) {
        snprintf(err, errlen, "cannot build the region: %s", fiie_strerror(rc));
        return -1;
    }
    return 0;
}

typedef struct chan_stats {
    uint64_t n;
    double ent_p, ent_c, chi_p, chi_c, corr_p[3], corr_c[3], npcr, uaci;
} chan_stats;

static stats_plane plane_of(const fiie_image *img, unsigned ch, const uint8_t *bitmap)
{
    stats_plane p = {img->data, img->stride, img->width, img->height,
                     (unsigned)fiie_pixel_format_channels(img->format), ch, bitmap, img->width};
    /* BGR layouts: channel c of R,G,B lives at byte 2-c. */
    if (img->format == FIIE_PIXEL_BGR8 || img->format == FIIE_PIXEL_BGRA8)
        p.channel = 2 - ch;
    return p;
}

int cmd_analyze(int argc, char **argv)
{
    analyze_ctx x;
    memset(&x, 0, sizeof x);
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    char err[512];
    if (cli_parse(argc, argv, analyze_opts, sizeof analyze_opts / sizeof analyze_opts[0], on_opt,
                  &x, pos, &npos, err, sizeof err) != 0)
        return cli_usage_error("analyze", "%s", err);
    if (x.help) {
        help();
        return CLI_EXIT_OK;
    }
    if (npos != 2)
        return cli_usage_error("analyze", "expected PLAIN and CIPHER");
    loaded plain, cipher, cipher2;
    memset(&cipher2, 0, sizeof cipher2);
    int rc = load_any(pos[0], &plain);
    if (rc) {
        cli_error("analyze: %s: %s", pos[0], fiie_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    int status = CLI_EXIT_FAIL;
    uint8_t *bitmap = NULL;
    rc = load_any(pos[1], &cipher);
    if (rc) {
        cli_error("analyze: %s: %s", pos[1], fiie_strerror(rc));
        unload(&plain);
        return CLI_EXIT_FAIL;
    }
    if (x.cipher2 && (rc = load_any(x.cipher2, &cipher2)) != 0) {
        cli_error("analyze: %s: %s", x.cipher2, fiie_strerror(rc));
        goto out;
    }
    if (plain.img.width != cipher.img.width || plain.img.height != cipher.img.height ||
        (x.cipher2 && (cipher2.img.width != cipher.img.width || cipher2.img.height != cipher.img.height))) {
        cli_error("analyze: the images differ in size");
        goto out;
    }
    const char *source = "";
    if (region_bitmap(&x, &cipher, &bitmap, &source, err, sizeof err) != 0) {
        cli_error("analyze: %s", err);
        goto out;
    }
    chan_stats cs[3];
    memset(cs, 0, sizeof cs);
    for (unsigned c = 0; c < 3; c++) {
        uint64_t hist[256];
        stats_plane pp = plane_of(&plain.img, c, bitmap), pc = plane_of(&cipher.img, c, bitmap);
        cs[c].n = stats_histogram(&pp, hist);
        cs[c].ent_p = stats_entropy(hist);
        cs[c].chi_p = stats_chi_square(hist);
        stats_histogram(&pc, hist);
        cs[c].ent_c = stats_entropy(hist);
        cs[c].chi_c = stats_chi_square(hist);
        for (int d = 0; d < 3; d++) {
            cs[c].corr_p[d] = stats_correlation(&pp, d, NULL);
            cs[c].corr_c[d] = stats_correlation(&pc, d, NULL);
        }
        cs[c].npcr = cs[c].uaci = -1;
        if (x.cipher2) {
            stats_plane p2 = plane_of(&cipher2.img, c, bitmap);
            stats_npcr_uaci(&pc, &p2, &cs[c].npcr, &cs[c].uaci);
        }
    }
    uint64_t n = cs[0].n;
    if (n == 0) {
        cli_error("analyze: the region holds no pixel");
        goto out;
    }
    double ideal = stats_entropy_ideal(n), chi_crit = stats_chi_square_critical(255, 0.05);
    static const double alphas[3] = {0.05, 0.01, 0.001};
    double wu[3][3];
    for (int a = 0; a < 3; a++)
        stats_wu_critical(n, alphas[a], &wu[a][0], &wu[a][1], &wu[a][2]);
    static const char *names[3] = {"R", "G", "B"};
    if (x.json) {
        jbuf b;
        jb_init(&b);
        jb_raw(&b, "{\"plain\": ");
        jb_str(&b, pos[0]);
        jb_raw(&b, ", \"cipher\": ");
        jb_str(&b, pos[1]);
        jb_raw(&b, ", \"cipher2\": ");
        jb_str(&b, x.cipher2);
        jb_raw(&b, ", \"region_source\": ");
        jb_str(&b, source);
        jb_raw(&b, ", \"pixels\": ");
        jb_uint(&b, n);
        jb_raw(&b, ", \"entropy_ideal\": ");
        jb_num(&b, ideal);
        jb_raw(&b, ", \"chi_square_critical_0.05\": ");
        jb_num(&b, chi_crit);
        jb_raw(&b, ", \"channels\": [");
        for (int c = 0; c < 3; c++) {
            jb_raw(&b, c ? ", {\"channel\": " : "{\"channel\": ");
            jb_str(&b, names[c]);
            jb_raw(&b, ", \"entropy\": {\"plain\": ");
            jb_num(&b, cs[c].ent_p);
            jb_raw(&b, ", \"cipher\": ");
            jb_num(&b, cs[c].ent_c);
            jb_raw(&b, ", \"ideal\": ");
            jb_num(&b, ideal);
            jb_raw(&b, "}, \"chi_square\": {\"plain\": ");
            jb_num(&b, cs[c].chi_p);
            jb_raw(&b, ", \"cipher\": ");
            jb_num(&b, cs[c].chi_c);
            jb_raw(&b, ", \"critical_0.05\": ");
            jb_num(&b, chi_crit);
            jb_raw(&b, "}, \"correlation\": {");
            for (int k = 0; k < 2; k++) {
                const double *v = k ? cs[c].corr_c : cs[c].corr_p;
                jb_raw(&b, k ? ", \"cipher\": {\"h\": " : "\"plain\": {\"h\": ");
                jb_num(&b, v[0]);
                jb_raw(&b, ", \"v\": ");
                jb_num(&b, v[1]);
                jb_raw(&b, ", \"d\": ");
                jb_num(&b, v[2]);
                jb_raw(&b, "}");
            }
            jb_raw(&b, "}, \"npcr\": ");
            if (x.cipher2)
                jb_num(&b, cs[c].npcr);
            else
                jb_raw(&b, "null");
            jb_raw(&b, ", \"uaci\": ");
            if (x.cipher2)
                jb_num(&b, cs[c].uaci);
            else
                jb_raw(&b, "null");
            jb_raw(&b, "}");
        }
        jb_raw(&b, "], \"wu_critical\": [");
        for (int a = 0; a < 3; a++) {
            jb_raw(&b, a ? ", {\"alpha\": " : "{\"alpha\": ");
            jb_num(&b, alphas[a]);
            jb_raw(&b, ", \"npcr\": ");
            jb_num(&b, wu[a][0]);
            jb_raw(&b, ", \"uaci_low\": ");
            jb_num(&b, wu[a][1]);
            jb_raw(&b, ", \"uaci_high\": ");
            jb_num(&b, wu[a][2]);
            jb_raw(&b, "}");
        }
        jb_raw(&b, "]}");
        int wr = jb_print_line(&b, stdout);
        jb_free(&b);
        if (wr) {
            cli_error("analyze: cannot write the output");
            goto out;
        }
    } else {
        printf("Region: %llu pixels per channel (from %s)\n", (unsigned long long)n,
               strcmp(source, "header") == 0 ? "the fiIE header" : source);
        printf("Entropy ideal for %llu samples: %.6f bits; chi-square critical value (df 255, "
               "alpha 0.05): %.2f\n\n",
               (unsigned long long)n, ideal, chi_crit);
        printf("%-3s %10s %10s %12s %12s %23s %23s\n", "ch", "H(plain)", "H(cipher)", "chi2(plain)",
               "chi2(cipher)", "corr plain H/V/D", "corr cipher H/V/D");
        for (int c = 0; c < 3; c++)
            printf("%-3s %10.6f %10.6f %12.1f %12.1f %7.4f/%7.4f/%7.4f %7.4f/%7.4f/%7.4f\n", names[c],
                   cs[c].ent_p, cs[c].ent_c, cs[c].chi_p, cs[c].chi_c, cs[c].corr_p[0],
                   cs[c].corr_p[1], cs[c].corr_p[2], cs[c].corr_c[0], cs[c].corr_c[1],
                   cs[c].corr_c[2]);
        if (x.cipher2) {
            printf("\nNPCR/UACI between %s and %s:\n", pos[1], x.cipher2);
            for (int c = 0; c < 3; c++)
                printf("%-3s NPCR %8.4f%%  UACI %8.4f%%\n", names[c], cs[c].npcr, cs[c].uaci);
            printf("Wu et al. (2011) critical values for %llu pixels:\n", (unsigned long long)n);
            for (int a = 0; a < 3; a++) {
                int npcr_ok = 1, uaci_ok = 1;
                for (int c = 0; c < 3; c++) {
                    npcr_ok &= cs[c].npcr >= wu[a][0];
                    uaci_ok &= cs[c].uaci >= wu[a][1] && cs[c].uaci <= wu[a][2];
                }
                printf("  alpha %-5g NPCR > %.4f%% (%s)  UACI in [%.4f%%, %.4f%%] (%s)\n", alphas[a],
                       wu[a][0], npcr_ok ? "pass" : "FAIL", wu[a][1], wu[a][2],
                       uaci_ok ? "pass" : "FAIL");
            }
        }
    }
    status = CLI_EXIT_OK;
out:
    free(bitmap);
    unload(&plain);
    unload(&cipher);
    unload(&cipher2);
    return status;
}
