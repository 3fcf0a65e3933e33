/* Parser of the --regions argument: "rect:x,y,w,h;ellipse:x,y,w,h".
 * A pure function over (bytes, length) so that it can be fuzzed. */
#ifndef FIIE_CLI_REGIONS_H
#define FIIE_CLI_REGIONS_H

#include <stddef.h>
#include <stdint.h>

/* Shape numbers equal the FIIE v1 / fiie_shape values. */
#define CLI_SHAPE_RECT 0
#define CLI_SHAPE_ELLIPSE 1

/* Most regions one list may hold (the FIIE v1 header's 16-bit count). */
#define CLI_MAX_REGIONS 65535u

typedef struct cli_region {
    int32_t shape;
    int32_t x, y;  /* any int32 */
    uint32_t w, h; /* 1 .. UINT32_MAX */
} cli_region;

/**
 * Parse a region list. Grammar (no spaces):
 *   list   = region *( ";" region ) [ ";" ]
 *   region = ("rect" / "ellipse") ":" int "," int "," uint "," uint
 * x and y are decimal int32 (optional leading '-'); w and h decimal, >= 1,
 * <= UINT32_MAX. Anything else (junk, overflow, negative or zero sizes,
 * NUL bytes, empty list, more than CLI_MAX_REGIONS) is an error.
 * @param text  the bytes (need not be NUL-terminated)
 * @param len   their count
 * @param out   receives a malloc'd array (free()), NULL on error
 * @param n     receives its length
 * @param err   error message buffer (may be NULL)
 * @return 0, or -1 for a syntax/range error, -2 when out of memory.
 */
int cli_regions_parse(const char *text, size_t len, cli_region **out, size_t *n,
                      char *err, size_t errlen);

#endif
