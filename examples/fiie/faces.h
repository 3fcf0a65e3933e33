/* Faces for the fiie commands: running the detector into an array that
 * grows as needed, writing faces as JSON, drawing them for a person to
 * check. Shared by detect, encrypt, demo and bench. */
#ifndef FIIE_CLI_FACES_H
#define FIIE_CLI_FACES_H

#include <stddef.h>

#include "fiie/fiie.h"

#include "json.h"

/** Detect the faces of img into a new array (free() it; NULL when none).
 * @return 0 or a FIIE_E_* status (nothing allocated then). */
int faces_detect(fiie_detector *d, const fiie_image *img, fiie_face **faces, size_t *n);

/** Append the faces as a JSON array of {"box", "score", "landmarks"}. */
void faces_to_json(jbuf *b, const fiie_face *faces, size_t n);

/** Draw each box (green) and its landmarks (red) onto img. */
void faces_draw(fiie_image *img, const fiie_face *faces, size_t n);

#endif
