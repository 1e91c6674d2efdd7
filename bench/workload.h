/* What the benchmark's clients share: the clock, and the messages they
 * send (fixed headers, then LINE-byte lines). */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HDRS "From: <bench@example.org>\r\nTo: <sink@example.org>\r\nSubject: bench\r\n" \
             "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-Id: <bench@example.org>\r\n\r\n"
#define LINE 78

static inline double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A SIZE-byte message: the headers, then lines of 'x' (no line starts with
 * a dot), ending with CRLF. */
static inline char *small_message(size_t size) {
    size_t hl = strlen(HDRS);
    char *m = malloc(size + 1);
    memcpy(m, HDRS, hl);
    for (size_t i = hl; i < size; i++)
        m[i] = (i - hl) % LINE == LINE - 2 ? '\r' : (i - hl) % LINE == LINE - 1 ? '\n' : 'x';
    if (size >= 2) {
        m[size - 2] = '\r';
        m[size - 1] = '\n';
    }
    m[size] = 0;
    return m;
}

#endif
