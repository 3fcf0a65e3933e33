/* MTCNN model: file format parser, weight repacking, the embedded default
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
/* Refuse files larger than this before reading them. */
#define DETECT_MODEL_MAX_BYTES (64u << 20)

struct fiie_model {
    atomic_uint refs;
    detect_nn_net pnet, rnet, onet;
    float *storage; /* all repacked weights */
};

/* Take one more reference (the model stays immutable). */
fiie_model *detect_model_ref(const fiie_model *m);

/* The bytes of models/mtcnn.fiiem compiled into the library. */
extern const unsigned char detect_model_embedded[];
extern const uint64_t detect_model_embedded_size;

#endif /* FIIE_LIB_DETECT_MODEL_H */
