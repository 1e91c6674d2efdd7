/* A fast loopback SMTP sink for the benchmarks.
 *
 * Offers PIPELINING, 8BITMIME, SIZE and (unless -n) CHUNKING; accepts
 * everything; un-stuffs DATA and counts what arrived so that a benchmark run
 * that lost or corrupted data fails.  Serves connections one after another
 * until killed.  The stats file holds four little-endian 64-bit running
 * totals -- messages, payload bytes, recipients, dot-lines -- kept in a
 * shared mapping, so that counting costs no system call; a connection's
 * counts are added before the reply to its QUIT is sent (and at its end).
 * Per connection the sink does only what SMTP needs: no buffer is cleared
 * or allocated, nothing is written but replies, BDAT payload is counted in
 * the kernel without being copied out, and no TIME_WAIT is left behind.
 * Usage: sink -p PORTFILE -s STATSFILE [-n]   (binds 127.0.0.1, port 0) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define INBUF (1 << 20)
#define CMDREAD 4096

struct conn {
    int fd;
    char *buf;        /* input buffer, INBUF bytes */
    char *in;         /* unread input starts here (inside buf) */
    size_t len;       /* unread bytes at `in` */
    char out[65536];
    size_t outlen;
    int chunking;
    /* counters */
    unsigned long long messages, payload, rcpts, dotlines;
};

/* messages, payload, rcpts, dotlines: running totals in the stats file */
static volatile uint64_t *totals;

/* Adds the connection's counts to the shared totals. */
static void publish(struct conn *c) {
    totals[0] += c->messages;
    totals[1] += c->payload;
    totals[2] += c->rcpts;
    totals[3] += c->dotlines;
    c->messages = c->payload = c->rcpts = c->dotlines = 0;
}

static void flush_out(struct conn *c) {
    size_t off = 0;
    while (off < c->outlen) {
        ssize_t n = send(c->fd, c->out + off, c->outlen - off, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        off += (size_t)n;
    }
    c->outlen = 0;
}

static void reply(struct conn *c, const char *text) {
    size_t n = strlen(text);
    if (c->outlen + n > sizeof c->out)
        flush_out(c);
    memcpy(c->out + c->outlen, text, n);
    c->outlen += n;
}

/* Reads more input; returns 0 on EOF/error.  Replies are flushed first when
 * no complete input is pending, so pipelined commands get batched replies.
 * A chunking sink reads commands in small pieces: the BDAT payload behind
 * them is then mostly left in the kernel for read_bdat to discard. */
static int fill(struct conn *c) {
    if (c->outlen)
        flush_out(c);
    /* Compact only when reading: consuming is O(1), so pipelined input
     * of many short commands costs linear time. */
    if (c->in != c->buf) {
        memmove(c->buf, c->in, c->len);
        c->in = c->buf;
    }
    if (c->len == INBUF)
        return 0;
    ssize_t n;
    do
        n = recv(c->fd, c->in + c->len, c->chunking ? CMDREAD : INBUF - c->len, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return 0;
    c->len += (size_t)n;
    return 1;
}

static void consume(struct conn *c, size_t n) {
    c->in += n;
    c->len -= n;
}

/* Next command line (without CRLF) into `line`; 0 on EOF. */
static int next_line(struct conn *c, char *line, size_t cap) {
    for (;;) {
        char *eol = memmem(c->in, c->len, "\r\n", 2);
        if (eol) {
            size_t n = (size_t)(eol - c->in);
            size_t k = n < cap - 1 ? n : cap - 1;
            memcpy(line, c->in, k);
            line[k] = 0;
            consume(c, n + 2);
            return 1;
        }
        if (!fill(c))
            return 0;
    }
}

/* DATA body: un-stuff and count until CRLF.CRLF (the body starts at a line
 * start). */
static int read_data(struct conn *c) {
    int at_line_start = 1;
    for (;;) {
        size_t i = 0;
        while (i < c->len) {
            if (at_line_start) {
                if (c->in[i] == '.') {
                    if (i + 1 >= c->len)
                        break; /* need more to decide */
                    if (c->in[i + 1] == '\r') {
                        if (i + 2 >= c->len)
                            break;
                        if (c->in[i + 2] == '\n') {
                            consume(c, i + 3);
                            return 1;
                        }
                    }
                    c->dotlines++;
                    i++; /* drop the stuffing dot */
                }
                at_line_start = 0;
            }
            char *nl = memchr(c->in + i, '\n', c->len - i);
            if (!nl) {
                c->payload += c->len - i;
                i = c->len;
                break;
            }
            size_t end = (size_t)(nl - c->in) + 1;
            c->payload += end - i;
            at_line_start = 1; /* bare LF counts too: stuffing applies after any LF */
            i = end;
        }
        consume(c, i);
        if (!fill(c))
            return 0;
    }
}

/* A BDAT chunk: what is already buffered, then the rest discarded in the
 * kernel (MSG_TRUNC on TCP), which counts the bytes without copying them
 * out.  The payload is not looked at, only counted. */
static int read_bdat(struct conn *c, unsigned long long size) {
    size_t buffered = c->len < size ? c->len : (size_t)size;
    c->payload += buffered;
    consume(c, buffered);
    size -= buffered;
    if (size > 0 && c->outlen)
        flush_out(c);
    while (size > 0) {
        size_t want = size < INBUF ? (size_t)size : INBUF;
        ssize_t n = recv(c->fd, NULL, want, MSG_TRUNC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        c->payload += (size_t)n;
        size -= (size_t)n;
    }
    return 1;
}

/* After the 221: lets the client close first, then resets this end (the
 * listener set SO_LINGER 0), so that no TIME_WAIT entry is left behind.
 * On loopback the server's TIME_WAIT entries sit in the table that every
 * client connect() searches for a free port: after a few thousand
 * sessions each connect pays for them, whichever library makes it -- a
 * cost that a server on another host does not put on its clients. */
static void wait_for_close(struct conn *c) {
    char rest[256];
    ssize_t n;
    do
        n = recv(c->fd, rest, sizeof rest, 0);
    while (n > 0 || (n < 0 && errno == EINTR));
}

/* One connection's state; its buffers are reused, never cleared. */
static struct conn c;

static void serve(int fd, int chunking) {
    c.fd = fd;
    c.chunking = chunking;
    c.in = c.buf;
    c.len = c.outlen = 0;
    c.messages = c.payload = c.rcpts = c.dotlines = 0;
    char line[2048];
    reply(&c, "220 sink ESMTP\r\n");
    while (next_line(&c, line, sizeof line)) {
        if (!strncasecmp(line, "EHLO", 4)) {
            reply(&c, "250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 0\r\n");
            if (chunking)
                reply(&c, "250-CHUNKING\r\n250-BINARYMIME\r\n");
            reply(&c, "250 ENHANCEDSTATUSCODES\r\n");
        } else if (!strncasecmp(line, "HELO", 4)) {
            reply(&c, "250 sink\r\n");
        } else if (!strncasecmp(line, "MAIL", 4)) {
            reply(&c, "250 2.1.0 ok\r\n");
        } else if (!strncasecmp(line, "RCPT", 4)) {
            c.rcpts++;
            reply(&c, "250 2.1.5 ok\r\n");
        } else if (!strncasecmp(line, "DATA", 4)) {
            reply(&c, "354 go\r\n");
            if (!read_data(&c))
                break;
            c.messages++;
            reply(&c, "250 2.0.0 queued\r\n");
        } else if (!strncasecmp(line, "BDAT", 4)) {
            char *end;
            unsigned long long size = strtoull(line + 5, &end, 10);
            int last = strstr(end, "LAST") != NULL;
            if (!read_bdat(&c, size))
                break;
            if (last)
                c.messages++;
            reply(&c, last ? "250 2.0.0 queued\r\n" : "250 2.0.0 chunk ok\r\n");
        } else if (!strncasecmp(line, "RSET", 4) || !strncasecmp(line, "NOOP", 4)) {
            reply(&c, "250 2.0.0 ok\r\n");
        } else if (!strncasecmp(line, "QUIT", 4)) {
            publish(&c);
            reply(&c, "221 2.0.0 bye\r\n");
            flush_out(&c);
            wait_for_close(&c);
            break;
        } else {
            reply(&c, "500 5.5.2 what\r\n");
        }
    }
    flush_out(&c);
    publish(&c);
    close(fd);
}

int main(int argc, char **argv) {
    const char *portfile = NULL, *statsfile = NULL;
    int chunking = 1, opt;
    while ((opt = getopt(argc, argv, "p:s:n")) != -1) {
        if (opt == 'p')
            portfile = optarg;
        else if (opt == 's')
            statsfile = optarg;
        else if (opt == 'n')
            chunking = 0;
    }
    if (!portfile || !statsfile) {
        fprintf(stderr, "usage: sink -p PORTFILE -s STATSFILE [-n]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* Accepted connections inherit these: no Nagle delay on replies; a
     * bound on how long a silent client is waited for; and a close that
     * resets rather than lingering in TIME_WAIT (see wait_for_close). */
    setsockopt(ls, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval idle = {10, 0};
    setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
    struct linger reset = {1, 0};
    setsockopt(ls, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 64)) {
        perror("sink: bind/listen");
        return 1;
    }
    socklen_t sl = sizeof sa;
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    int sf = open(statsfile, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (sf < 0 || ftruncate(sf, 4 * sizeof(uint64_t)) != 0) {
        perror("sink: stats file");
        return 1;
    }
    totals = mmap(NULL, 4 * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, sf, 0);
    c.buf = malloc(INBUF);
    FILE *pf = fopen(portfile, "w");
    if (totals == MAP_FAILED || !c.buf || !pf)
        return 1;
    fprintf(pf, "%d\n", ntohs(sa.sin_port));
    fclose(pf);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            /* The listener's receive timeout bounds accept() too. */
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return 1;
        }
        serve(fd, chunking);
    }
}
