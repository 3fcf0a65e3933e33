#include "faces.h"

#include <stdint.h>
#include <stdlib.h>

#include "draw.h"

int faces_detect(fiie_detector *d, const fiie_image *img, fiie_face **faces, size_t *n)
{
    /* Most photos have few faces; one retry with the count the detector
     * reports covers the others. */
    size_t cap = 32;
    *faces = NULL;
    *n = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        fiie_face *f = calloc(cap, sizeof *f);
        if (!f)
            return FIIE_E_NO_MEMORY;
        size_t got = 0;
        int rc = fiie_detector_detect(d, img, f, cap, &got);
        if (rc == 0) {
            *faces = f;
            *n = got;
            return 0;
        }
        free(f);
        if (rc != FIIE_E_BUFFER_TOO_SMALL || got <= cap)
            return rc;
        cap = got;
    }
    return FIIE_E_NO_MEMORY;
}

void faces_to_json(jbuf *b, const fiie_face *faces, size_t n)
{
    jb_raw(b, "[");
    for (size_t i = 0; i < n; i++) {
        const fiie_face *f = &faces[i];
        jb_raw(b, i ? ", {\"box\": [" : "{\"box\": [");
        for (int k = 0; k < 4; k++) {
            if (k)
                jb_raw(b, ", ");
            jb_numf(b, f->box[k]);
        }
        jb_raw(b, "], \"score\": ");
        jb_numf(b, f->score);
        jb_raw(b, ", \"landmarks\": [");
        for (int k = 0; k < FIIE_FACE_LANDMARKS; k++) {
            jb_raw(b, k ? ", [" : "[");
            jb_numf(b, f->landmarks[k][0]);
            jb_raw(b, ", ");
            jb_numf(b, f->landmarks[k][1]);
            jb_raw(b, "]");
        }
        jb_raw(b, "]}");
    }
    jb_raw(b, "]");
}

void faces_draw(fiie_image *img, const fiie_face *faces, size_t n)
{
    static const uint8_t green[3] = {0, 255, 0}, red[3] = {255, 32, 32};
    int thick = (int)((img->width > img->height ? img->width : img->height) / 400) + 2;
    for (size_t i = 0; i < n; i++) {
        const fiie_face *f = &faces[i];
        draw_box(img, f->box[0], f->box[1], f->box[2], f->box[3], thick, green);
        for (int k = 0; k < FIIE_FACE_LANDMARKS; k++)
            draw_dot(img, f->landmarks[k][0], f->landmarks[k][1], thick, red);
    }
}
