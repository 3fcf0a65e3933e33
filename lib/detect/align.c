/* 5-point similarity alignment onto the ArcFace 112x112 template. */
#include <math.h>
#include <string.h>

#include "detect/detect.h"
#include "fiie/detector.h"

static const double tmpl[5][2] = {
    {38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366},
    {41.5493, 92.3655}, {70.7299, 92.2041},
};

/* Least-squares similarity u = a x - b y + tx, v = b x + a y + ty: the
 * closed form of Umeyama's method restricted to proper rotations. */
static int similarity(const fiie_face *f, double m[6])
{
    double sx = 0, sy = 0, su = 0, sv = 0;
    for (int i = 0; i < 5; i++) {
        double x = f->landmarks[i][0], y = f->landmarks[i][1];
        if (!isfinite(x) || !isfinite(y))
            return FIIE_E_INVALID_ARGUMENT;
        sx += x;
        sy += y;
        su += tmpl[i][0];
        sv += tmpl[i][1];
    }
    sx /= 5, sy /= 5, su /= 5, sv /= 5;
    double num_a = 0, num_b = 0, den = 0;
    for (int i = 0; i < 5; i++) {
        double x = f->landmarks[i][0] - sx, y = f->landmarks[i][1] - sy;
        double u = tmpl[i][0] - su, v = tmpl[i][1] - sv;
        num_a += x * u + y * v;
        num_b += x * v - y * u;
        den += x * x + y * y;
    }
    if (!(den > 1e-12))
        return FIIE_E_INVALID_ARGUMENT;
    double a = num_a / den, b = num_b / den;
    m[0] = a;
    m[1] = -b;
    m[2] = su - (a * sx - b * sy);
    m[3] = b;
    m[4] = a;
    m[5] = sv - (b * sx + a * sy);
    return FIIE_OK;
}

int fiie_face_alignment_transform(const fiie_face *f, float matrix[6])
{
    if (f == NULL || matrix == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    double m[6];
    int rc = similarity(f, m);
    if (rc != FIIE_OK)
        return rc;
    for (int i = 0; i < 6; i++)
        matrix[i] = (float)m[i];
    return FIIE_OK;
}

int fiie_face_align(const fiie_image *src, const fiie_face *f, fiie_image *out)
{
    if (f == NULL || out == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    int rc = detect_check_image(src);
    if (rc == FIIE_OK)
        rc = detect_check_image(out);
    if (rc != FIIE_OK)
        return rc;
    if (out->width != FIIE_ALIGN_SIZE || out->height != FIIE_ALIGN_SIZE ||
        out->format != src->format)
        return FIIE_E_INVALID_ARGUMENT;
    double m[6];
    if ((rc = similarity(f, m)) != FIIE_OK)
        return rc;
    /* Invert the similarity: image point of each template pixel centre. */
    double det = m[0] * m[4] - m[1] * m[3];
    double i0 = m[4] / det, i1 = -m[1] / det, i3 = -m[3] / det, i4 = m[0] / det;
    double i2 = -(i0 * m[2] + i1 * m[5]), i5 = -(i3 * m[2] + i4 * m[5]);
    const int ch = (src->format == FIIE_PIXEL_RGBA8 || src->format == FIIE_PIXEL_BGRA8) ? 4 : 3;
    const double W = src->width, H = src->height;
    for (int v = 0; v < FIIE_ALIGN_SIZE; v++) {
        uint8_t *dst = out->data + (size_t)v * out->stride;
        for (int u = 0; u < FIIE_ALIGN_SIZE; u++) {
            /* pixel centres: continuous coordinate = index + 0.5 */
            double x = i0 * (u + 0.5) + i1 * (v + 0.5) + i2 - 0.5;
            double y = i3 * (u + 0.5) + i4 * (v + 0.5) + i5 - 0.5;
            double fx = floor(x), fy = floor(y);
            for (int c = 0; c < ch; c++) {
                double acc = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        double px = fx + dx, py = fy + dy;
                        double wgt = (dx ? x - fx : 1 - (x - fx)) * (dy ? y - fy : 1 - (y - fy));
                        if (px < 0 || py < 0 || px >= W || py >= H || wgt == 0)
                            continue;
                        acc += wgt * src->data[(size_t)py * src->stride + (size_t)px * ch + c];
                    }
                long r = lround(acc);
                dst[(size_t)u * ch + c] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
            }
        }
    }
    return FIIE_OK;
}
