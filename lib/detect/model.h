/* MTCNN model: file format parser, weight repacking, the embedded models
 * (internal; the public part is in fiie/detector.h). */
#ifndef FIIE_LIB_DETECT_MODEL_H
#define FIIE_LIB_DETECT_MODEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fiie/detector.h"
#include "detect/nn.h"

#define DETECT_MODEL_MAGIC "FIIEMTCN"
#define DETECT_MODEL_FORMAT_VERSION 1u
#define DETECT_MODEL_HEADER_BYTES 32u
#define DETECT_MODEL_ENTRY_BYTES 96u
#define DETECT_MODEL_NAME_BYTES 64u
#define DETECT_MODEL_DIGEST_BYTES 32u
#define DETECT_MODEL_MAX_TENSORS 256u
/* Alignment of the repacked weights (a cache line). */
#define DETECT_MODEL_ALIGN 64u
/* Refuse files larger than this before reading them. */
#define DETECT_MODEL_MAX_BYTES (64u << 20)

struct fiie_model {
    atomic_uint refs;
    detect_nn_net pnet, rnet, onet;
    float *storage; /* all repacked weights */
};

/* Take one more reference (the model stays immutable). */
fiie_model *detect_model_ref(const fiie_model *m);

/* A model file compiled into the library (models/meson.build lists them;
 * models/embed.py generates the table below at build time). */
typedef struct detect_embedded_model {
    const char *name;          /* stable name, e.g. FIIE_MODEL_MTCNN_ORIGINAL */
    const unsigned char *data; /* the .fiiem file's bytes */
    size_t size;
} detect_embedded_model;

extern const detect_embedded_model detect_embedded_models[];
extern const size_t detect_embedded_model_count;
/* The name fiie_model_new_default() loads; one of the table's. */
extern const char detect_embedded_default_name[];

/* The embedded model of that name, or NULL. */
const detect_embedded_model *detect_embedded_find(const char *name);

#endif /* FIIE_LIB_DETECT_MODEL_H */
