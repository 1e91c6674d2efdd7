/* The wire floor: a client that puts exactly libESMTP's bytes on the wire,
 * grouped into esmtp-rs's writes, and does nothing else -- no API, no
 * parsing beyond finding where each reply ends.  Its speed is the most any
 * library can reach with these batches: the greeting and EHLO are waited
 * for, MAIL, the RCPTs and DATA go together, the content waits for the 354.
 * Two changes from libESMTP's batches (spec 7.2) are the ones esmtp-rs
 * makes (docs/compat.md): MAIL does not wait alone for its reply (at most 8
 * RCPTs follow it before it is answered), and QUIT leaves with the last
 * message's content instead of after its final reply.
 *
 * Same workloads, arguments and output line as driver.c:
 *   floor PORT many SIZE COUNT | rcpts COUNT | sessions COUNT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static int all_ok = 1;

struct conn {
    int fd;
    char in[4096];
    int at_line_start; /* the next byte starts a reply line */
    int col;           /* bytes seen of the current line, up to 4 */
    char head[4];      /* its first four bytes: code and separator */
    int nodelay;       /* TCP_NODELAY is on */
    int owed;          /* bytes were sent whose replies are not all read */
};

static void die(const char *what) {
    perror(what);
    exit(2);
}

/* TCP_NODELAY goes on before the first write that Nagle's algorithm could
 * hold back, as in esmtp-rs: one behind unanswered bytes, or a large one. */
static void send_all(struct conn *c, const char *p, size_t n) {
    if (!c->nodelay && (c->owed || n > 2048)) {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->nodelay = 1;
    }
    c->owed = 1;
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("send");
        p += w;
        n -= (size_t)w;
    }
}

/* Counts the replies completed in `n` new bytes (a final line is one whose
 * code is followed by a space) and checks each is 2xx or 3xx. */
static long scan(struct conn *c, const char *p, size_t n) {
    long done = 0;
    for (size_t i = 0; i < n; i++) {
        if (c->col < 4)
            c->head[c->col++] = p[i];
        if (p[i] == '\n') {
            if (c->col >= 4 && c->head[3] == ' ') {
                done++;
                if (c->head[0] != '2' && c->head[0] != '3')
                    all_ok = 0;
            }
            c->col = 0;
        }
    }
    return done;
}

/* Blocks until `want` replies have completed: every caller waits for all
 * that are outstanding. */
static void wait_replies(struct conn *c, long want) {
    while (want > 0) {
        ssize_t r = recv(c->fd, c->in, sizeof c->in, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("recv");
        want -= scan(c, c->in, (size_t)r);
    }
    c->owed = 0;
}

/* Takes the replies that have already arrived, without waiting. */
static long take_available(struct conn *c) {
    long done = 0;
    for (;;) {
        ssize_t r = recv(c->fd, c->in, sizeof c->in, MSG_DONTWAIT);
        if (r <= 0)
            return done;
        done += scan(c, c->in, (size_t)r);
    }
}

static void open_session(struct conn *c, int port) {
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("connect");
    wait_replies(c, 1);
    static const char ehlo[] = "EHLO bench.example.org\r\n";
    send_all(c, ehlo, sizeof ehlo - 1);
    wait_replies(c, 1);
}

static void close_session(struct conn *c) {
    close(c->fd);
}

static const char mail[] = "MAIL FROM:<bench@example.org>\r\n";
static const char envelope[] = "MAIL FROM:<bench@example.org>\r\n"
                               "RCPT TO:<sink@example.org>\r\nDATA\r\n";

/* The content and its terminator, then (after the last message) QUIT in
 * the same write. */
static void send_content(struct conn *c, const char *content, size_t len, int last) {
    send_all(c, content, len + (last ? 6 : 0));
    wait_replies(c, last ? 2 : 1);
}

/* MAIL, RCPT and DATA together, then the content. */
static void one_message(struct conn *c, const char *content, size_t len, int last) {
    send_all(c, envelope, sizeof envelope - 1);
    wait_replies(c, 3);
    send_content(c, content, len, last);
}

/* The content as it goes on the wire: the text (no line starts with a
 * dot) and the terminator, followed by QUIT for send_content. */
static char *wire_content(size_t size, size_t *len) {
    char *text = small_message(size);
    char *out = malloc(size + 9);
    memcpy(out, text, size);
    memcpy(out + size, ".\r\nQUIT\r\n", 9);
    free(text);
    *len = size + 3;
    return out;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: see source\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *what = argv[2];
    unsigned long long messages = 0, bytes = 0, rcpts = 0;
    double t0 = now();
    struct conn c;
    if (!strcmp(what, "many") && argc >= 5) {
        size_t size = strtoul(argv[3], NULL, 10), len;
        int count = atoi(argv[4]);
        char *content = wire_content(size, &len);
        open_session(&c, port);
        for (int i = 0; i < count; i++)
            one_message(&c, content, len, i == count - 1);
        close_session(&c);
        messages = (unsigned long long)count;
        rcpts = messages;
        bytes = (unsigned long long)size * count;
    } else if (!strcmp(what, "rcpts")) {
        int count = atoi(argv[3]);
        size_t len;
        char *content = wire_content(1024, &len);
        open_session(&c, port);
        /* MAIL and the first 8 RCPTs, then the MAIL reply is waited for;
         * the other RCPTs in writes of at most 2048 bytes, split at command
         * ends, DATA with the last; replies taken in as they arrive. */
        char batch[2048];
        memcpy(batch, mail, sizeof mail - 1);
        size_t used = sizeof mail - 1;
        long outstanding = 1;
        for (int i = 0; i <= count; i++) {
            char cmd[64];
            int n = i < count ? snprintf(cmd, sizeof cmd, "RCPT TO:<r%d@example.org>\r\n", i)
                              : snprintf(cmd, sizeof cmd, "DATA\r\n");
            if (i == 8 && i < count) {
                send_all(&c, batch, used);
                used = 0;
                wait_replies(&c, outstanding);
                outstanding = 0;
            }
            if (used + (size_t)n > sizeof batch) {
                send_all(&c, batch, used);
                used = 0;
                outstanding -= take_available(&c);
            }
            memcpy(batch + used, cmd, (size_t)n);
            used += (size_t)n;
            outstanding++;
        }
        send_all(&c, batch, used);
        wait_replies(&c, outstanding);
        send_content(&c, content, len, 1);
        close_session(&c);
        messages = 1;
        rcpts = (unsigned long long)count;
        bytes = 1024;
    } else if (!strcmp(what, "sessions")) {
        int count = atoi(argv[3]);
        size_t len;
        char *content = wire_content(512, &len);
        for (int i = 0; i < count; i++) {
            open_session(&c, port);
            one_message(&c, content, len, 1);
            close_session(&c);
        }
        messages = (unsigned long long)count;
        rcpts = messages;
        bytes = 512ULL * count;
    } else {
        fprintf(stderr, "unknown workload\n");
        return 2;
    }
    double secs = now() - t0;
    printf("%s seconds=%.6f messages=%llu bytes=%llu rcpts=%llu maxrss_kib=0 ok=%d\n", what, secs,
           messages, bytes, rcpts, all_ok);
    return all_ok ? 0 : 1;
}
