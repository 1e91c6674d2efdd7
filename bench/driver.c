/* Benchmark driver: one C program, public libESMTP API only, built against
 * Debian's libESMTP and against ours.  Sends a workload to the sink and
 * prints one line: "<workload> seconds=<s> messages=<n> bytes=<n>
 * rcpts=<n> maxrss_kib=<n> ok=<0|1>" where ok says every status was 2xx.
 *
 * usage: driver PORT many SIZE COUNT
 *        driver PORT rcpts COUNT
 *        driver PORT sessions COUNT
 *        driver PORT big MIB plain|dots */
#define _GNU_SOURCE
#include <stddef.h>
#include <libesmtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workload.h"

static int all_ok = 1;
static unsigned long long rcpt_count;


/* A message made of fixed headers and a body of LINE-byte lines, generated
 * block by block so the driver itself needs no memory for big messages. */
struct gen {
    unsigned long long total, sent;
    int dots;
    char *block;
    size_t block_len;
};

#define BLOCK (LINE * 840)

static char *make_block(int dots) {
    char *b = malloc(BLOCK);
    for (size_t i = 0; i < BLOCK; i += LINE) {
        memset(b + i, 'a' + (int)(i / LINE) % 26, LINE - 2);
        if (dots)
            b[i] = '.';
        b[i + LINE - 2] = '\r';
        b[i + LINE - 1] = '\n';
    }
    return b;
}

static const char *gen_cb(void **ctx, int *len, void *arg) {
    struct gen *g = arg;
    (void)ctx;
    if (len == NULL) {
        g->sent = 0;
        return NULL;
    }
    size_t hl = strlen(HDRS);
    if (g->sent == 0) {
        g->sent = hl;
        *len = (int)hl;
        return HDRS;
    }
    unsigned long long left = g->total - g->sent;
    size_t n = left < BLOCK ? (size_t)left : BLOCK;
    n -= n % LINE;
    g->sent += n;
    *len = (int)n;
    return g->block;
}

static void check_rcpt(smtp_recipient_t r, const char *mb, void *arg) {
    (void)mb;
    (void)arg;
    const smtp_status_t *st = smtp_recipient_status(r);
    if (st->code / 100 != 2)
        all_ok = 0;
    rcpt_count++;
}

static void check_msg(smtp_message_t m, void *arg) {
    (void)arg;
    const smtp_status_t *st = smtp_message_transfer_status(m);
    if (st->code / 100 != 2)
        all_ok = 0;
    smtp_enumerate_recipients(m, check_rcpt, NULL);
}

static smtp_session_t new_session(const char *server) {
    smtp_session_t s = smtp_create_session();
    smtp_set_server(s, server);
    smtp_set_hostname(s, "bench.example.org");
    return s;
}

static void run(smtp_session_t s) {
    if (!smtp_start_session(s))
        all_ok = 0;
    smtp_enumerate_messages(s, check_msg, NULL);
    smtp_destroy_session(s);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: see source\n");
        return 2;
    }
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%s", argv[1]);
    const char *what = argv[2];
    unsigned long long messages = 0, bytes = 0;
    double t0 = now();
    if (!strcmp(what, "many") && argc >= 5) {
        size_t size = strtoul(argv[3], NULL, 10);
        int count = atoi(argv[4]);
        char *text = small_message(size);
        smtp_session_t s = new_session(server);
        for (int i = 0; i < count; i++) {
            smtp_message_t m = smtp_add_message(s);
            smtp_set_reverse_path(m, "bench@example.org");
            smtp_add_recipient(m, "sink@example.org");
            smtp_set_message_str(m, text);
        }
        run(s);
        messages = count;
        bytes = (unsigned long long)size * count;
    } else if (!strcmp(what, "rcpts")) {
        int count = atoi(argv[3]);
        char *text = small_message(1024);
        smtp_session_t s = new_session(server);
        smtp_message_t m = smtp_add_message(s);
        smtp_set_reverse_path(m, "bench@example.org");
        char mb[64];
        for (int i = 0; i < count; i++) {
            snprintf(mb, sizeof mb, "r%d@example.org", i);
            smtp_add_recipient(m, mb);
        }
        smtp_set_message_str(m, text);
        run(s);
        messages = 1;
        bytes = 1024;
    } else if (!strcmp(what, "sessions")) {
        int count = atoi(argv[3]);
        char *text = small_message(512);
        for (int i = 0; i < count; i++) {
            smtp_session_t s = new_session(server);
            smtp_message_t m = smtp_add_message(s);
            smtp_set_reverse_path(m, "bench@example.org");
            smtp_add_recipient(m, "sink@example.org");
            smtp_set_message_str(m, text);
            run(s);
        }
        messages = count;
        bytes = 512ULL * count;
    } else if (!strcmp(what, "big") && argc >= 5) {
        struct gen g = {0};
        g.dots = !strcmp(argv[4], "dots");
        g.block = make_block(g.dots);
        unsigned long long body = strtoull(argv[3], NULL, 10) * 1024 * 1024;
        body -= body % LINE;
        g.total = strlen(HDRS) + body;
        smtp_session_t s = new_session(server);
        smtp_message_t m = smtp_add_message(s);
        smtp_set_reverse_path(m, "bench@example.org");
        smtp_add_recipient(m, "sink@example.org");
        smtp_set_messagecb(m, gen_cb, &g);
        run(s);
        messages = 1;
        bytes = g.total;
    } else {
        fprintf(stderr, "unknown workload\n");
        return 2;
    }
    double secs = now() - t0;
    /* VmHWM, not ru_maxrss: the latter survives exec and would count the
     * benchmark runner that forked us. */
    long hwm = -1;
    FILE *st = fopen("/proc/self/status", "r");
    char line[256];
    while (st && fgets(line, sizeof line, st))
        if (!strncmp(line, "VmHWM:", 6))
            hwm = strtol(line + 6, NULL, 10);
    if (st)
        fclose(st);
    printf("%s seconds=%.6f messages=%llu bytes=%llu rcpts=%llu maxrss_kib=%ld ok=%d\n", what, secs,
           messages, bytes, rcpt_count, hwm, all_ok);
    return all_ok ? 0 : 1;
}
