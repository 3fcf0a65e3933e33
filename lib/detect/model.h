/* MTCNN model: file format parser, weight repacking, the embedded default
 * (internal; the public part is in fiie/detector.h). */
#ifndef FIIE_MODEL_H
#define FIIE_MODEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fiie/detector.h"
#include "detect/nn.h"

#define FIIE_MODEL_MAGIC "FIIEMTCN"
#define FIIE_MODEL_FORMAT_VERSION 1u
#define FIIE_MODEL_HEADER_BYTES 32u
#define FIIE_MODEL_ENTRY_BYTES 96u
#define FIIE_MODEL_NAME_BYTES 64u
#define FIIE_MODEL_DIGEST_BYTES 32u
#define FIIE_MODEL_MAX_TENSORS 256u
/* Refuse files larger than this before reading them. */
#define FIIE_MODEL_MAX_BYTES (64u << 20)

struct fiie_model {
    atomic_uint refs;
    nn_net pnet, rnet, onet;
    float *storage; /* all repacked weights */
};

/* Take one more reference (the model stays immutable). */
fiie_model *fiie_model_ref(const fiie_model *m);

/* The bytes of models/mtcnn.fiiem compiled into the library. */
extern const unsigned char fiie_model_embedded[];
extern const uint64_t fiie_model_embedded_size;

#endif /* FIIE_MODEL_H */
