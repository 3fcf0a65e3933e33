/* Memory for secrets and for the image pipeline's big buffers.
 *
 * Pixels, file bytes, inflated or filtered scanlines and compressed
 * streams may all show faces: whatever is released is wiped first, or
 * handed back to the system, which zeroes pages before it gives them to
 * anyone else.
 *
 * Big buffers come straight from the system (mmap) rather than from
 * malloc. free() of a large malloc block raises glibc's dynamic mmap
 * threshold to that block's size, and from then on every image-sized
 * buffer lives on the heap: freed, it stays resident as fragmented free
 * space. A process protecting a folder then grows with each photo (a
 * Python or Dask worker: 3.97x the decoded 12 MP image per thread after 8
 * photos, 2.91x with the threshold fixed). The library must not change
 * malloc's settings (they are the process's), so it keeps its big buffers
 * off the heap instead. */
#define _GNU_SOURCE /* mremap */
#include <sodium.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/common.h"

void common_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        sodium_memzero(p, n);
}

void common_free_wiped(void *p, size_t n)
{
    common_wipe(p, n);
    free(p);
}

void *common_alloc_pages(size_t n)
{
    if (n == 0)
        return NULL;
#ifdef MAP_ANONYMOUS
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
#else
    return calloc(1, n);
#endif
}

void common_free_pages(void *p, size_t n)
{
    if (p == NULL)
        return;
#ifdef MAP_ANONYMOUS
    munmap(p, n);
#else
    common_free_wiped(p, n);
#endif
}

/* ---- buffers that know their size ------------------------------------------ */

/* In front of every buffer: its usable size. A buffer is mapped pages
 * exactly when that size is COMMON_BUF_PAGES_MIN or more (then the whole
 * block, header included, is `size + BUF_HEAD` bytes). The header keeps
 * the caller's part aligned as malloc's is. */
typedef struct buf_head {
    size_t size;
} buf_head;

#define BUF_HEAD (((sizeof(buf_head) + alignof(max_align_t) - 1) / alignof(max_align_t)) * alignof(max_align_t))

static buf_head *head_of(const void *p)
{
    return (buf_head *)(void *)((const uint8_t *)p - BUF_HEAD);
}

static int is_mapped(size_t size)
{
    return size >= COMMON_BUF_PAGES_MIN;
}

void *common_buf_alloc(size_t n)
{
    if (n > SIZE_MAX - BUF_HEAD)
        return NULL;
    const size_t total = n + BUF_HEAD;
    buf_head *h = is_mapped(n) ? common_alloc_pages(total) : calloc(1, total);
    if (h == NULL)
        return NULL;
    h->size = n;
    return (uint8_t *)h + BUF_HEAD;
}

size_t common_buf_size(const void *p)
{
    return p != NULL ? head_of(p)->size : 0;
}

void common_buf_free(void *p)
{
    if (p == NULL)
        return;
    buf_head *h = head_of(p);
    const size_t total = h->size + BUF_HEAD;
    if (is_mapped(h->size))
        common_free_pages(h, total); /* the system zeroes them */
    else
        common_free_wiped(h, total);
}

void *common_buf_realloc(void *p, size_t n)
{
    if (p == NULL)
        return common_buf_alloc(n);
    buf_head *h = head_of(p);
#if defined(__linux__) && defined(MREMAP_MAYMOVE)
    /* Mapped to mapped: the kernel moves the pages, no copy is left. */
    if (is_mapped(h->size) && is_mapped(n) && n <= SIZE_MAX - BUF_HEAD) {
        void *q = mremap(h, h->size + BUF_HEAD, n + BUF_HEAD, MREMAP_MAYMOVE);
        if (q == MAP_FAILED)
            return NULL; /* p stays valid */
        ((buf_head *)q)->size = n;
        return (uint8_t *)q + BUF_HEAD;
    }
#endif
    void *q = common_buf_alloc(n);
    if (q == NULL)
        return NULL; /* p stays valid, as after a failed realloc() */
    memcpy(q, p, h->size < n ? h->size : n);
    common_buf_free(p);
    return q;
}
