/* MTCNN model file loader (format: models/README.md). */
#include "detect/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fiie/common.h"
#include "common/common.h"

/* A validated view of the model file. */
typedef struct model_file {
    const unsigned char *data;
    size_t size;
    uint32_t count;
} model_file;

typedef struct tensor_view {
    uint32_t ndim, dims[4], count;
    const unsigned char *data; /* count little-endian float32 */
} tensor_view;

static int parse_entry(const model_file *f, uint32_t i, const char **name, tensor_view *t)
{
    const unsigned char *e = f->data + DETECT_MODEL_HEADER_BYTES + (size_t)i * DETECT_MODEL_ENTRY_BYTES;
    if (memchr(e, 0, DETECT_MODEL_NAME_BYTES) == NULL)
        return FIIE_E_MODEL;
    *name = (const char *)e;
    t->ndim = mem_load_le32(e + 64);
    if (t->ndim < 1 || t->ndim > 4)
        return FIIE_E_MODEL;
    uint64_t count = 1;
    for (uint32_t d = 0; d < 4; d++) {
        t->dims[d] = mem_load_le32(e + 68 + 4 * d);
        if (d < t->ndim) {
            if (t->dims[d] == 0 || t->dims[d] > 65536)
                return FIIE_E_MODEL;
            count *= t->dims[d];
            if (count > DETECT_MODEL_MAX_BYTES / 4)
                return FIIE_E_MODEL;
        } else if (t->dims[d] != 0) {
            return FIIE_E_MODEL;
        }
    }
    uint32_t offset = mem_load_le32(e + 84);
    t->count = mem_load_le32(e + 88);
    uint32_t dtype = mem_load_le32(e + 92);
    size_t data_off = mem_load_le32(f->data + 24);
    size_t end = f->size - DETECT_MODEL_DIGEST_BYTES;
    if (dtype != 1 || t->count != count || offset % 64 != 0 || offset < data_off || offset > end ||
        (size_t)t->count * 4 > end - offset)
        return FIIE_E_MODEL;
    t->data = f->data + offset;
    return FIIE_OK;
}

static int open_file(model_file *f, const void *data, size_t size)
{
    const unsigned char *p = data;
    if (size < DETECT_MODEL_HEADER_BYTES + DETECT_MODEL_DIGEST_BYTES || size > DETECT_MODEL_MAX_BYTES)
        return FIIE_E_MODEL;
    if (memcmp(p, DETECT_MODEL_MAGIC, 8) != 0 || mem_load_le32(p + 8) != DETECT_MODEL_FORMAT_VERSION ||
        mem_load_le64(p + 16) != size || mem_load_le32(p + 28) != 0)
        return FIIE_E_MODEL;
    unsigned char digest[DETECT_MODEL_DIGEST_BYTES];
    if (sodium_init() < 0)
        return FIIE_E_CRYPTO;
    crypto_generichash(digest, sizeof digest, p, size - DETECT_MODEL_DIGEST_BYTES, NULL, 0);
    if (memcmp(digest, p + size - DETECT_MODEL_DIGEST_BYTES, sizeof digest) != 0)
        return FIIE_E_MODEL;
    uint32_t count = mem_load_le32(p + 12);
    size_t data_off = mem_load_le32(p + 24);
    if (count < 1 || count > DETECT_MODEL_MAX_TENSORS ||
        data_off < DETECT_MODEL_HEADER_BYTES + (size_t)count * DETECT_MODEL_ENTRY_BYTES ||
        data_off % 64 != 0 || data_off > size - DETECT_MODEL_DIGEST_BYTES)
        return FIIE_E_MODEL;
    f->data = p;
    f->size = size;
    f->count = count;
    return FIIE_OK;
}

static int find_tensor(const model_file *f, const char *want, tensor_view *out)
{
    for (uint32_t i = 0; i < f->count; i++) {
        const char *name;
        int rc = parse_entry(f, i, &name, out);
        if (rc != FIIE_OK)
            return rc;
        if (strcmp(name, want) == 0)
            return FIIE_OK;
    }
    return FIIE_E_MODEL;
}

static int read_floats(const tensor_view *t, float *dst)
{
    for (uint32_t i = 0; i < t->count; i++) {
        uint32_t bits = mem_load_le32(t->data + 4 * (size_t)i);
        memcpy(&dst[i], &bits, sizeof bits);
        if (!isfinite(dst[i]))
            return FIIE_E_MODEL;
    }
    return FIIE_OK;
}

/* Network description: each conv layer is built from up to three tensor
 * groups ("parts") whose output channels are concatenated (the heads). */
typedef struct layer_spec {
    int kind, k, stride, cin;
    const char *alpha;      /* PReLU tensor or NULL */
    const char *parts[3];   /* tensor prefixes: PREFIX.weight, PREFIX.bias */
    int part_cout[3];
} layer_spec;

#define CONV(k, cin, cout, w, a) {DETECT_NN_CONV, k, 1, cin, a, {w}, {cout}}
#define POOL(k, s) {DETECT_NN_POOL, k, s, 0, NULL, {NULL}, {0}}

static const layer_spec pnet_spec[] = {
    CONV(3, 3, 10, "pnet.conv1", "pnet.prelu1.alpha"),
    POOL(2, 2),
    CONV(3, 10, 16, "pnet.conv2", "pnet.prelu2.alpha"),
    CONV(3, 16, 32, "pnet.conv3", "pnet.prelu3.alpha"),
    {DETECT_NN_CONV, 1, 1, 32, NULL, {"pnet.conv4_1", "pnet.conv4_2"}, {2, 4}},
};
static const layer_spec rnet_spec[] = {
    CONV(3, 3, 28, "rnet.conv1", "rnet.prelu1.alpha"),
    POOL(3, 2),
    CONV(3, 28, 48, "rnet.conv2", "rnet.prelu2.alpha"),
    POOL(3, 2),
    CONV(2, 48, 64, "rnet.conv3", "rnet.prelu3.alpha"),
    CONV(3, 64, 128, "rnet.fc4", "rnet.prelu4.alpha"),
    {DETECT_NN_CONV, 1, 1, 128, NULL, {"rnet.fc5_1", "rnet.fc5_2"}, {2, 4}},
};
static const layer_spec onet_spec[] = {
    CONV(3, 3, 32, "onet.conv1", "onet.prelu1.alpha"),
    POOL(3, 2),
    CONV(3, 32, 64, "onet.conv2", "onet.prelu2.alpha"),
    POOL(3, 2),
    CONV(3, 64, 64, "onet.conv3", "onet.prelu3.alpha"),
    POOL(2, 2),
    CONV(2, 64, 128, "onet.conv4", "onet.prelu4.alpha"),
    CONV(3, 128, 256, "onet.fc5", "onet.prelu5.alpha"),
    {DETECT_NN_CONV, 1, 1, 256, NULL, {"onet.fc6_1", "onet.fc6_2", "onet.fc6_3"}, {2, 4, 10}},
};

static int spec_cout(const layer_spec *s)
{
    int c = 0;
    for (int i = 0; i < 3 && s->parts[i]; i++)
        c += s->part_cout[i];
    return c;
}

static size_t spec_floats(const layer_spec *spec, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (spec[i].kind != DETECT_NN_CONV)
            continue;
        size_t cp = ((size_t)spec_cout(&spec[i]) + 7) / 8 * 8;
        total += (size_t)spec[i].k * spec[i].k * spec[i].cin * cp + 2 * cp;
    }
    return total;
}

/* File layout [o][kh = image x][kw = image y][c] (fully connected weights
 * [o][(x*k + y)*c] are the same thing) into [ky][kx][c][o_pad]: the nets
 * were trained on transposed images, we run them on upright ones. */
static int load_part(const model_file *f, const layer_spec *s, const char *prefix, int cout,
                     int o0, int cp, float *w, float *b, float *tmp)
{
    char name[DETECT_MODEL_NAME_BYTES + 16];
    tensor_view t;
    const int k = s->k, cin = s->cin;
    snprintf(name, sizeof name, "%s.weight", prefix);
    int rc = find_tensor(f, name, &t);
    if (rc != FIIE_OK)
        return rc;
    int conv_shape = t.ndim == 4 && t.dims[0] == (uint32_t)cout && t.dims[1] == (uint32_t)k &&
                     t.dims[2] == (uint32_t)k && t.dims[3] == (uint32_t)cin;
    int fc_shape = t.ndim == 2 && t.dims[0] == (uint32_t)cout &&
                   t.dims[1] == (uint32_t)(k * k * cin);
    if (!conv_shape && !fc_shape)
        return FIIE_E_MODEL;
    if ((rc = read_floats(&t, tmp)) != FIIE_OK)
        return rc;
    for (int o = 0; o < cout; o++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
                for (int c = 0; c < cin; c++)
                    w[(((size_t)ky * k + kx) * cin + c) * cp + o0 + o] =
                        tmp[(((size_t)o * k + kx) * k + ky) * cin + c];
    snprintf(name, sizeof name, "%s.bias", prefix);
    if ((rc = find_tensor(f, name, &t)) != FIIE_OK)
        return rc;
    if (t.ndim != 1 || t.dims[0] != (uint32_t)cout)
        return FIIE_E_MODEL;
    return read_floats(&t, b + o0);
}

static int build_net(const model_file *f, const layer_spec *spec, int n, detect_nn_net *net,
                     float **cursor, float *tmp)
{
    net->n = n;
    net->in_c = 3;
    int c = 3;
    for (int i = 0; i < n; i++) {
        const layer_spec *s = &spec[i];
        detect_nn_layer *l = &net->layer[i];
        memset(l, 0, sizeof *l);
        l->kind = s->kind;
        l->k = s->k;
        l->stride = s->stride;
        l->cin = c;
        if (s->kind == DETECT_NN_POOL) {
            l->cout = l->cout_pad = c;
            continue;
        }
        l->cout = spec_cout(s);
        l->cout_pad = (l->cout + 7) / 8 * 8;
        const int cp = l->cout_pad;
        float *w = *cursor;
        float *b = w + (size_t)s->k * s->k * s->cin * cp;
        float *alpha = b + cp;
        *cursor = alpha + cp;
        int o0 = 0;
        for (int p = 0; p < 3 && s->parts[p]; p++) {
            int rc = load_part(f, s, s->parts[p], s->part_cout[p], o0, cp, w, b, tmp);
            if (rc != FIIE_OK)
                return rc;
            o0 += s->part_cout[p];
        }
        l->w = w;
        l->b = b;
        if (s->alpha) {
            tensor_view t;
            int rc = find_tensor(f, s->alpha, &t);
            if (rc != FIIE_OK)
                return rc;
            if (t.ndim != 1 || t.dims[0] != (uint32_t)l->cout)
                return FIIE_E_MODEL;
            if ((rc = read_floats(&t, alpha)) != FIIE_OK)
                return rc;
            l->alpha = alpha;
        }
        c = l->cout;
    }
    return FIIE_OK;
}

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

int fiie_model_new_from_memory(fiie_model **out, const void *data, size_t size)
{
    if (out == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    *out = NULL;
    if (data == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    model_file f;
    int rc = open_file(&f, data, size);
    if (rc != FIIE_OK)
        return rc;
    size_t total = spec_floats(pnet_spec, COUNT(pnet_spec)) +
                   spec_floats(rnet_spec, COUNT(rnet_spec)) +
                   spec_floats(onet_spec, COUNT(onet_spec));
    fiie_model *m = calloc(1, sizeof *m);
    float *tmp = malloc(256 * 1152 * sizeof *tmp); /* largest tensor: onet.fc5 */
    /* Every tensor is a multiple of 8 floats from the start: with the
     * start on a cache line, no 8-float weight load of the kernels
     * straddles two lines (malloc's 16 bytes made half of them do, and
     * cost R-Net a third of its speed). */
    const size_t bytes = (total * sizeof(float) + DETECT_MODEL_ALIGN - 1) / DETECT_MODEL_ALIGN *
                         DETECT_MODEL_ALIGN;
    if (m == NULL || tmp == NULL || (m->storage = aligned_alloc(DETECT_MODEL_ALIGN, bytes)) == NULL) {
        free(tmp);
        free(m);
        return FIIE_E_NO_MEMORY;
    }
    memset(m->storage, 0, bytes);
    float *cursor = m->storage;
    rc = build_net(&f, pnet_spec, COUNT(pnet_spec), &m->pnet, &cursor, tmp);
    if (rc == FIIE_OK)
        rc = build_net(&f, rnet_spec, COUNT(rnet_spec), &m->rnet, &cursor, tmp);
    if (rc == FIIE_OK)
        rc = build_net(&f, onet_spec, COUNT(onet_spec), &m->onet, &cursor, tmp);
    free(tmp);
    if (rc != FIIE_OK) {
        free(m->storage);
        free(m);
        return rc;
    }
    atomic_init(&m->refs, 1);
    *out = m;
    return FIIE_OK;
}

const detect_embedded_model *detect_embedded_find(const char *name)
{
    for (size_t i = 0; i < detect_embedded_model_count; i++)
        if (strcmp(detect_embedded_models[i].name, name) == 0)
            return &detect_embedded_models[i];
    return NULL;
}

const char *fiie_model_embedded_name(size_t index)
{
    return index < detect_embedded_model_count ? detect_embedded_models[index].name : NULL;
}

const char *fiie_model_default_name(void)
{
    return detect_embedded_default_name;
}

int fiie_model_new_embedded(fiie_model **out, const char *name)
{
    if (out == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    *out = NULL;
    if (name == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    const detect_embedded_model *e = detect_embedded_find(name);
    if (e == NULL)
        return FIIE_E_NOT_FOUND;
    return fiie_model_new_from_memory(out, e->data, e->size);
}

int fiie_model_new_default(fiie_model **out)
{
    return fiie_model_new_embedded(out, detect_embedded_default_name);
}

int fiie_model_new_from_file(fiie_model **out, const char *path)
{
    if (out == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    *out = NULL;
    if (path == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    uint8_t *buf = NULL;
    size_t len = 0;
    /* The same size limit as fiie_model_new_from_memory(), checked before
     * anything is read. */
    int rc = common_read_file(path, DETECT_MODEL_MAX_BYTES, &buf, &len);
    if (rc == FIIE_OK)
        rc = fiie_model_new_from_memory(out, buf, len);
    common_buf_free(buf);
    return rc;
}

fiie_model *detect_model_ref(const fiie_model *m)
{
    fiie_model *mm = (fiie_model *)m; /* only the counter changes */
    atomic_fetch_add_explicit(&mm->refs, 1, memory_order_relaxed);
    return mm;
}

void fiie_model_free(fiie_model *m)
{
    if (m == NULL)
        return;
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
        free(m->storage);
        free(m);
    }
}
