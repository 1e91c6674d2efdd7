/* driver.c -- generic libESMTP client for the differential tests.
 *
 * Usage: driver CONFIG HOST:PORT
 * Env:   EXPECT_LIBESMTP=<dir>   (required) directory whose libesmtp.so.6
 *                                must be the one loaded
 *
 * CONFIG is a line format, one directive per line, '#' starts a comment.
 * Tokens are bare words or "quoted strings" with C escapes (\r \n \t \\ \"
 * \xHH \0); the bare word NULL means a NULL pointer.  See
 * capi-tests/diff/README.md for the directive list.
 *
 * Output (stdout) is a deterministic log: API calls with their results,
 * events with their arguments (objects named m0, m0.r1, n0), monitor calls,
 * message-callback calls of the custom callback, each run's result and
 * smtp_errno, and a final dump of all statuses.  Uses only the public API.
 */
#define _GNU_SOURCE
#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>

#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <time.h>

#define MAX_MSG 64
#define MAX_RCPT 512
#define MAX_NODE 32
#define MAX_TOK 64
#define MAX_EVSET 16

/* ---------------------------------------------------------------- output */

static void put_escaped(const char *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        switch (c) {
        case '\r': fputs("\\r", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '"': fputs("\\\"", stdout); break;
        default:
            if (c < 0x20 || c >= 0x7f)
                printf("\\x%02x", c);
            else
                putchar(c);
        }
    }
    putchar('"');
}

static void put_str(const char *s)
{
    if (s == NULL)
        fputs("NULL", stdout);
    else
        put_escaped(s, strlen(s));
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("driver: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* ---------------------------------------------------------------- state */

struct content {
    char *data;          /* owned */
    size_t len;
    size_t piece;        /* custom callback piece size */
    size_t pos;
    int err_at_end;      /* errno set when reporting the end */
    int calls;
    int set_ctx;         /* callback stores a malloc'd ctx at rewind */
    FILE *fp;
};

struct msg {
    smtp_message_t m;
    struct content c;
    int nrcpt;
    int first_rcpt;      /* index into rcpts[] */
};

struct rcpt {
    smtp_recipient_t r;
    int msg;
    int idx;
};

struct node {
    smtp_etrn_node_t n;
    int option;
    char *domain;
};

struct evset {
    int ev;
    int nvals;
    int vals[MAX_TOK];   /* INT_MIN = keep the preset */
    int seen;
};

static smtp_session_t session;
static struct msg msgs[MAX_MSG];
static int nmsgs;
static struct rcpt rcpts[MAX_RCPT];
static int nrcpts;
static struct node nodes[MAX_NODE];
static int nnodes;
static struct evset evsets[MAX_EVSET];
static int nevsets;
static auth_context_t authctx;
static char *auth_user, *auth_pass;
static int cur_msg = -1, cur_rcpt = -1;
static int run_no;

static const char *msg_name(smtp_message_t m)
{
    static char buf[8][32];
    static int k;
    char *b = buf[k++ & 7];
    if (m == NULL)
        return "NULL";
    for (int i = 0; i < nmsgs; i++)
        if (msgs[i].m == m) {
            snprintf(b, 32, "m%d", i);
            return b;
        }
    return "m?";
}

static const char *rcpt_name(smtp_recipient_t r)
{
    static char buf[8][32];
    static int k;
    char *b = buf[k++ & 7];
    if (r == NULL)
        return "NULL";
    for (int i = 0; i < nrcpts; i++)
        if (rcpts[i].r == r) {
            snprintf(b, 32, "m%d.r%d", rcpts[i].msg, rcpts[i].idx);
            return b;
        }
    return "r?";
}

static void put_status(const char *label, const smtp_status_t *st)
{
    printf("    %s: ", label);
    if (st == NULL) {
        printf("NULL errno=%d\n", smtp_errno());
        return;
    }
    printf("code=%d enh=%d.%d.%d text=", st->code, st->enh_class,
           st->enh_subject, st->enh_detail);
    put_str(st->text);
    putchar('\n');
}

/* ---------------------------------------------------------------- events */

static const struct { int ev; const char *name; } evnames[] = {
    { SMTP_EV_CONNECT, "CONNECT" },
    { SMTP_EV_MAILSTATUS, "MAILSTATUS" },
    { SMTP_EV_RCPTSTATUS, "RCPTSTATUS" },
    { SMTP_EV_MESSAGEDATA, "MESSAGEDATA" },
    { SMTP_EV_MESSAGESENT, "MESSAGESENT" },
    { SMTP_EV_DISCONNECT, "DISCONNECT" },
    { SMTP_EV_SYNTAXWARNING, "SYNTAXWARNING" },
    { SMTP_EV_ETRNSTATUS, "ETRNSTATUS" },
    { SMTP_EV_EXTNA_DSN, "EXTNA_DSN" },
    { SMTP_EV_EXTNA_8BITMIME, "EXTNA_8BITMIME" },
    { SMTP_EV_EXTNA_STARTTLS, "EXTNA_STARTTLS" },
    { SMTP_EV_EXTNA_ETRN, "EXTNA_ETRN" },
    { SMTP_EV_EXTNA_CHUNKING, "EXTNA_CHUNKING" },
    { SMTP_EV_EXTNA_BINARYMIME, "EXTNA_BINARYMIME" },
    { SMTP_EV_DELIVERBY_EXPIRED, "DELIVERBY_EXPIRED" },
    { SMTP_EV_WEAK_CIPHER, "WEAK_CIPHER" },
    { SMTP_EV_STARTTLS_OK, "STARTTLS_OK" },
    { SMTP_EV_INVALID_PEER_CERTIFICATE, "INVALID_PEER_CERTIFICATE" },
    { SMTP_EV_NO_PEER_CERTIFICATE, "NO_PEER_CERTIFICATE" },
    { SMTP_EV_WRONG_PEER_CERTIFICATE, "WRONG_PEER_CERTIFICATE" },
    { SMTP_EV_NO_CLIENT_CERTIFICATE, "NO_CLIENT_CERTIFICATE" },
    { SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE, "UNUSABLE_CLIENT_CERTIFICATE" },
    { SMTP_EV_UNUSABLE_CA_LIST, "UNUSABLE_CA_LIST" },
};

static const char *ev_name(int ev)
{
    for (size_t i = 0; i < sizeof evnames / sizeof evnames[0]; i++)
        if (evnames[i].ev == ev)
            return evnames[i].name;
    return NULL;
}

static int ev_by_name(const char *s)
{
    for (size_t i = 0; i < sizeof evnames / sizeof evnames[0]; i++)
        if (strcasecmp(evnames[i].name, s) == 0)
            return evnames[i].ev;
    return -1;
}

/* Apply the scenario's value to an out-parameter and log it. */
static void outparam(int ev, const char *label, int *p)
{
    if (p == NULL) {
        printf(" %s=NULL", label);
        return;
    }
    int preset = *p;
    printf(" *%s preset=%d", label, preset);
    for (int i = 0; i < nevsets; i++)
        if (evsets[i].ev == ev) {
            struct evset *e = &evsets[i];
            int k = e->seen < e->nvals ? e->seen : e->nvals - 1;
            e->seen++;
            if (e->vals[k] != INT_MIN)
                *p = e->vals[k];
            break;
        }
    printf(" set=%d", *p);
}

static void eventcb(smtp_session_t s, int ev, void *arg, ...)
{
    va_list ap;
    const char *name = ev_name(ev);
    va_start(ap, arg);
    if (name)
        printf("EV %s", name);
    else
        printf("EV %d", ev);
    if (s != session)
        printf(" session=?");
    if (arg != (void *)&session)
        printf(" arg=?");
    switch (ev) {
    case SMTP_EV_CONNECT:
    case SMTP_EV_DISCONNECT:
        putchar('\n');
        break;
    case SMTP_EV_MAILSTATUS: {
        const char *mb = va_arg(ap, const char *);
        smtp_message_t m = va_arg(ap, smtp_message_t);
        printf(" mailbox=");
        put_str(mb);
        printf(" %s\n", msg_name(m));
        put_status("reverse_path_status", smtp_reverse_path_status(m));
        break;
    }
    case SMTP_EV_RCPTSTATUS: {
        const char *mb = va_arg(ap, const char *);
        smtp_recipient_t r = va_arg(ap, smtp_recipient_t);
        printf(" mailbox=");
        put_str(mb);
        printf(" %s complete=%d\n", rcpt_name(r), smtp_recipient_check_complete(r));
        put_status("status", smtp_recipient_status(r));
        break;
    }
    case SMTP_EV_MESSAGEDATA: {
        smtp_message_t m = va_arg(ap, smtp_message_t);
        int len = va_arg(ap, int);
        printf(" %s len=%d\n", msg_name(m), len);
        break;
    }
    case SMTP_EV_MESSAGESENT: {
        smtp_message_t m = va_arg(ap, smtp_message_t);
        printf(" %s\n", msg_name(m));
        put_status("transfer_status", smtp_message_transfer_status(m));
        break;
    }
    case SMTP_EV_SYNTAXWARNING:
    case SMTP_EV_EXTNA_DSN:
    case SMTP_EV_EXTNA_CHUNKING:
    case SMTP_EV_EXTNA_ETRN: {
        int *q = va_arg(ap, int *);
        outparam(ev, "quit", q);
        putchar('\n');
        break;
    }
    case SMTP_EV_EXTNA_8BITMIME:
    case SMTP_EV_EXTNA_BINARYMIME:
        putchar('\n');
        break;
    case SMTP_EV_EXTNA_STARTTLS:
    case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
    case SMTP_EV_UNUSABLE_CA_LIST: {
        void *p = va_arg(ap, void *);
        printf(" ptr=%s\n", p ? "non-NULL" : "NULL");
        break;
    }
    case SMTP_EV_DELIVERBY_EXPIRED: {
        long d = va_arg(ap, long);
        int *adj = va_arg(ap, int *);
        printf(" shortfall=%ld", d);
        outparam(ev, "adjust", adj);
        putchar('\n');
        break;
    }
    case SMTP_EV_ETRNSTATUS: {
        int opt = va_arg(ap, int);
        const char *dom = va_arg(ap, const char *);
        printf(" option=%d domain=", opt);
        put_str(dom);
        putchar('\n');
        for (int i = 0; i < nnodes; i++)
            if (nodes[i].option == opt && dom && strcmp(nodes[i].domain, dom) == 0) {
                char lab[32];
                snprintf(lab, sizeof lab, "n%d status", i);
                put_status(lab, smtp_etrn_node_status(nodes[i].n));
                break;
            }
        break;
    }
    case SMTP_EV_WEAK_CIPHER: {
        int bits = va_arg(ap, int);
        int *ok = va_arg(ap, int *);
        printf(" bits=%d", bits);
        outparam(ev, "ok", ok);
        putchar('\n');
        break;
    }
    case SMTP_EV_STARTTLS_OK: {
        void *ssl = va_arg(ap, void *);
        const char *cipher = va_arg(ap, const char *);
        int bits = va_arg(ap, int);
        printf(" ssl=%s cipher=", ssl ? "non-NULL" : "NULL");
        put_str(cipher);
        printf(" bits=%d\n", bits);
        break;
    }
    case SMTP_EV_INVALID_PEER_CERTIFICATE: {
        long vr = va_arg(ap, long);
        int *ok = va_arg(ap, int *);
        void *ssl = va_arg(ap, void *);
        printf(" verify_result=%ld", vr);
        outparam(ev, "ok", ok);
        printf(" ssl=%s\n", ssl ? "non-NULL" : "NULL");
        break;
    }
    case SMTP_EV_NO_PEER_CERTIFICATE:
    case SMTP_EV_NO_CLIENT_CERTIFICATE: {
        int *ok = va_arg(ap, int *);
        outparam(ev, "ok", ok);
        putchar('\n');
        break;
    }
    case SMTP_EV_WRONG_PEER_CERTIFICATE: {
        int *ok = va_arg(ap, int *);
        const char *nm = va_arg(ap, const char *);
        void *ssl = va_arg(ap, void *);
        outparam(ev, "ok", ok);
        printf(" name=");
        put_str(nm);
        printf(" ssl=%s\n", ssl ? "non-NULL" : "NULL");
        break;
    }
    default:
        putchar('\n');
    }
    va_end(ap);
}

static void monitorcb(const char *buf, int buflen, int writing, void *arg)
{
    const char *w = writing == SMTP_CB_READING ? "S<" :
                    writing == SMTP_CB_WRITING ? "C>" :
                    writing == SMTP_CB_HEADERS ? "H>" : "??";
    printf("MON %s len=%d ", w, buflen);
    if (arg != (void *)&session)
        printf("arg=? ");
    if (buflen > 0 && buf)
        put_escaped(buf, (size_t)buflen);
    putchar('\n');
}

/* custom message callback: hands out c->piece bytes per call */
static const char *piececb(void **ctx, int *len, void *arg)
{
    struct content *c = arg;
    c->calls++;
    if (len == NULL) {
        printf("CB rewind ctx=%s\n", *ctx ? "non-NULL" : "NULL");
        c->pos = 0;
        if (c->set_ctx && *ctx == NULL)
            *ctx = malloc(16);   /* the library must free() it later */
        return NULL;
    }
    size_t n = c->len - c->pos;
    if (n > c->piece)
        n = c->piece;
    if (n == 0) {
        printf("CB end ctx=%s", *ctx ? "non-NULL" : "NULL");
        if (c->err_at_end) {
            errno = c->err_at_end;
            printf(" errno=%d", c->err_at_end);
        }
        putchar('\n');
        *len = 0;
        return NULL;
    }
    printf("CB read %zu\n", n);
    *len = (int)n;
    const char *p = c->data + c->pos;
    c->pos += n;
    return p;
}

static int interactcb(auth_client_request_t req, char **result, int fields, void *arg)
{
    (void)arg;
    printf("AUTH interact fields=%d", fields);
    for (int i = 0; i < fields; i++) {
        printf(" [");
        put_str(req[i].name);
        printf(" flags=0x%x]", req[i].flags);
        if (req[i].flags & AUTH_PASS)
            result[i] = auth_pass;
        else
            result[i] = auth_user;
    }
    putchar('\n');
    return 1;
}

/* ---------------------------------------------------------------- app data */

static void release_cb(void *data)
{
    printf("RELEASE %s\n", (char *)data);
    free(data);
}

static void enum_msg_cb(smtp_message_t m, void *arg)
{
    printf("ENUM message %s%s\n", msg_name(m), arg == (void *)&session ? "" : " arg=?");
}

static void enum_rcpt_cb(smtp_recipient_t r, const char *mailbox, void *arg)
{
    printf("ENUM recipient %s mailbox=", rcpt_name(r));
    put_str(mailbox);
    printf("%s\n", arg == (void *)&session ? "" : " arg=?");
}

static void enum_node_cb(smtp_etrn_node_t n, int option, const char *domain, void *arg)
{
    int idx = -1;
    for (int i = 0; i < nnodes; i++)
        if (nodes[i].n == n)
            idx = i;
    printf("ENUM node n%d option=%d domain=", idx, option);
    put_str(domain);
    printf("%s\n", arg == (void *)&session ? "" : " arg=?");
}

/* ---------------------------------------------------------------- config */

struct tok {
    char *s;
    size_t len;
    int null;
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int tokenize(char *line, struct tok *t, int lineno)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '\0' || *p == '#')
            break;
        if (n >= MAX_TOK)
            die("line %d: too many tokens", lineno);
        if (*p == '"') {
            char *o = ++p, *start = o;
            while (*p && *p != '"') {
                if (*p == '\\') {
                    p++;
                    switch (*p) {
                    case 'r': *o++ = '\r'; p++; break;
                    case 'n': *o++ = '\n'; p++; break;
                    case 't': *o++ = '\t'; p++; break;
                    case '0': *o++ = '\0'; p++; break;
                    case 'x': {
                        int h = hexval(p[1]), l = hexval(p[2]);
                        if (h < 0 || l < 0)
                            die("line %d: bad \\x escape", lineno);
                        *o++ = (char)(h * 16 + l);
                        p += 3;
                        break;
                    }
                    case '\0': die("line %d: dangling backslash", lineno); break;
                    default: *o++ = *p++;
                    }
                } else
                    *o++ = *p++;
            }
            if (*p != '"')
                die("line %d: unterminated string", lineno);
            p++;
            t[n].len = (size_t)(o - start);
            *o = '\0';
            t[n].s = start;
            t[n].null = 0;
            n++;
        } else {
            char *start = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                p++;
            if (*p)
                *p++ = '\0';
            t[n].s = start;
            t[n].len = strlen(start);
            t[n].null = strcmp(start, "NULL") == 0;
            n++;
            continue;
        }
    }
    return n;
}

static const char *S(struct tok *t) { return t->null ? NULL : t->s; }

static long L(struct tok *t, int lineno)
{
    char *end;
    long v = strtol(t->s, &end, 0);
    if (t->null || *end)
        die("line %d: number expected, got '%s'", lineno, t->s);
    return v;
}

static void api_int(const char *what, int rc)
{
    printf("API %s -> %d errno=%d\n", what, rc, smtp_errno());
}

static void api_ptr(const char *what, const void *p)
{
    printf("API %s -> %s errno=%d\n", what, p ? "ok" : "NULL", smtp_errno());
}

static char *xmemdup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        die("out of memory");
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    size_t k;
    while ((k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
            if (!b)
                die("out of memory");
        }
    }
    fclose(f);
    b[n] = '\0';
    *len = n;
    return b;
}

/* Deterministic generated content.  kinds: lines, dots, binary */
static char *gen_content(const char *kind, size_t size, size_t *len)
{
    char *b = malloc(size + 256);
    size_t n = 0;
    unsigned line = 0;
    if (!b)
        die("out of memory");
    n += (size_t)sprintf(b, "Subject: generated %s %zu\r\n\r\n", kind, size);
    while (n < size) {
        char tmp[200];
        int k;
        if (strcmp(kind, "dots") == 0) {
            switch (line % 4) {
            case 0: k = sprintf(tmp, ".\r\n"); break;
            case 1: k = sprintf(tmp, "..line %u\r\n", line); break;
            case 2: k = sprintf(tmp, ".%u.\r\n", line); break;
            default: k = sprintf(tmp, "x.\r\n.\r\n"); break;
            }
        } else if (strcmp(kind, "binary") == 0) {
            k = 0;
            for (int i = 0; i < 64; i++)
                tmp[k++] = (char)((line * 7 + (unsigned)i * 13) & 0xff);
        } else {
            k = sprintf(tmp, "line %06u the quick brown fox jumps over the lazy dog 0123456789\r\n", line);
        }
        if (n + (size_t)k > size)
            k = (int)(size - n);
        memcpy(b + n, tmp, (size_t)k);
        n += (size_t)k;
        line++;
    }
    b[n] = '\0';
    *len = n;
    return b;
}

static int which_timeout(struct tok *t, int lineno)
{
    static const char *names[] = { "greeting", "envelope", "data", "transfer", "data2" };
    for (int i = 0; i < 5; i++)
        if (strcasecmp(t->s, names[i]) == 0)
            return i;
    return (int)L(t, lineno);
}

static void dump(const char *label)
{
    printf("DUMP %s\n", label);
    printf("  server_name=");
    put_str(smtp_get_server_name(session));
    printf("\n");
    for (int i = 0; i < nmsgs; i++) {
        printf("  m%d\n", i);
        put_status("reverse_path_status", smtp_reverse_path_status(msgs[i].m));
        put_status("transfer_status", smtp_message_transfer_status(msgs[i].m));
        for (int j = 0; j < nrcpts; j++) {
            if (rcpts[j].msg != i)
                continue;
            printf("   m%d.r%d complete=%d\n", i, rcpts[j].idx,
                   smtp_recipient_check_complete(rcpts[j].r));
            put_status("status", smtp_recipient_status(rcpts[j].r));
        }
    }
    for (int i = 0; i < nnodes; i++) {
        char lab[32];
        snprintf(lab, sizeof lab, "n%d status", i);
        put_status(lab, smtp_etrn_node_status(nodes[i].n));
    }
    char eb[128];
    int e = smtp_errno();
    printf("  smtp_errno=%d ", e);
    put_str(smtp_strerror(e, eb, sizeof eb));
    putchar('\n');
}

static int is_mbox_header(const char *h)
{
    static const char *l[] = { "From", "Sender", "To", "Cc", "Bcc", "Reply-To",
                               "Disposition-Notification-To" };
    for (size_t i = 0; i < sizeof l / sizeof l[0]; i++)
        if (strcasecmp(h, l[i]) == 0)
            return 1;
    return 0;
}

static struct msg *need_msg(int lineno)
{
    if (cur_msg < 0)
        die("line %d: no current message", lineno);
    return &msgs[cur_msg];
}

static void set_content_cb(struct msg *m, char *data, size_t len, size_t piece)
{
    m->c.data = data;
    m->c.len = len;
    m->c.piece = piece ? piece : len ? len : 1;
    api_int("smtp_set_messagecb(custom)", smtp_set_messagecb(m->m, piececb, &m->c));
}

static void directive(struct tok *t, int n, int lineno)
{
    const char *d = t[0].s;
    char what[512];
#define NEED(k) do { if (n < (k) + 1) die("line %d: %s needs %d args", lineno, d, (k)); } while (0)

    if (strcmp(d, "hostname") == 0) {
        NEED(1);
        api_int("smtp_set_hostname", smtp_set_hostname(session, S(&t[1])));
    } else if (strcmp(d, "timeout") == 0) {
        NEED(2);
        int w = which_timeout(&t[1], lineno);
        if (n > 3 && strcmp(t[3].s, "override") == 0)
            w |= Timeout_OVERRIDE_RFC2822_MINIMUM;
        long v = smtp_set_timeout(session, w, L(&t[2], lineno));
        printf("API smtp_set_timeout(%#x, %s) -> %ld errno=%d\n", w, t[2].s, v, smtp_errno());
    } else if (strcmp(d, "require_all") == 0) {
        NEED(1);
        api_int("smtp_option_require_all_recipients",
                smtp_option_require_all_recipients(session, (int)L(&t[1], lineno)));
    } else if (strcmp(d, "eventcb") == 0) {
        NEED(1);
        int on = strcmp(t[1].s, "on") == 0;
        api_int("smtp_set_eventcb", smtp_set_eventcb(session, on ? eventcb : NULL, &session));
    } else if (strcmp(d, "monitor") == 0) {
        NEED(1);
        int on = strcmp(t[1].s, "on") == 0;
        int headers = n > 2 ? (int)L(&t[2], lineno) : 0;
        snprintf(what, sizeof what, "smtp_set_monitorcb(%s, headers=%d)", on ? "on" : "off", headers);
        api_int(what, smtp_set_monitorcb(session, on ? monitorcb : NULL, &session, headers));
    } else if (strcmp(d, "starttls") == 0) {
        NEED(1);
        int how;
        if (strcmp(t[1].s, "disabled") == 0) how = Starttls_DISABLED;
        else if (strcmp(t[1].s, "enabled") == 0) how = Starttls_ENABLED;
        else if (strcmp(t[1].s, "required") == 0) how = Starttls_REQUIRED;
        else how = (int)L(&t[1], lineno);
        snprintf(what, sizeof what, "smtp_starttls_enable(%d)", how);
        api_int(what, smtp_starttls_enable(session, (enum starttls_option)how));
    } else if (strcmp(d, "auth") == 0) {
        NEED(2);
        auth_user = strdup(t[1].s);
        auth_pass = strdup(t[2].s);
        auth_client_init();
        authctx = auth_create_context();
        printf("API auth_create_context -> %s\n", authctx ? "ok" : "NULL");
        unsigned flags = n > 3 ? (unsigned)L(&t[3], lineno) : AUTH_PLUGIN_PLAIN;
        printf("API auth_set_mechanism_flags -> %d\n", auth_set_mechanism_flags(authctx, flags, 0));
        printf("API auth_set_interact_cb -> %d\n", auth_set_interact_cb(authctx, interactcb, NULL));
        api_int("smtp_auth_set_context", smtp_auth_set_context(session, authctx));
    } else if (strcmp(d, "ev_set") == 0) {
        NEED(2);
        if (nevsets >= MAX_EVSET)
            die("line %d: too many ev_set", lineno);
        int ev = ev_by_name(t[1].s);
        if (ev < 0)
            die("line %d: unknown event %s", lineno, t[1].s);
        struct evset *e = &evsets[nevsets++];
        e->ev = ev;
        e->nvals = 0;
        for (int i = 2; i < n; i++)
            e->vals[e->nvals++] = strcmp(t[i].s, "keep") == 0 ? INT_MIN : (int)L(&t[i], lineno);
    } else if (strcmp(d, "message") == 0) {
        if (nmsgs >= MAX_MSG)
            die("line %d: too many messages", lineno);
        smtp_message_t m = smtp_add_message(session);
        api_ptr("smtp_add_message", m);
        if (!m)
            die("line %d: smtp_add_message failed", lineno);
        cur_msg = nmsgs++;
        msgs[cur_msg].m = m;
        cur_rcpt = -1;
    } else if (strcmp(d, "reverse_path") == 0) {
        NEED(1);
        api_int("smtp_set_reverse_path", smtp_set_reverse_path(need_msg(lineno)->m, S(&t[1])));
    } else if (strcmp(d, "content_str") == 0) {
        NEED(1);
        struct msg *m = need_msg(lineno);
        m->c.data = xmemdup(t[1].s, t[1].len);
        m->c.len = t[1].len;
        api_int("smtp_set_message_str", smtp_set_message_str(m->m, m->c.data));
    } else if (strcmp(d, "content_file") == 0) {
        NEED(1);
        struct msg *m = need_msg(lineno);
        m->c.fp = fopen(t[1].s, "rb");
        if (!m->c.fp)
            die("line %d: cannot open %s", lineno, t[1].s);
        if (n > 2 && strcmp(t[2].s, "at_eof") == 0)
            fseek(m->c.fp, 0, SEEK_END);
        api_int("smtp_set_message_fp", smtp_set_message_fp(m->m, m->c.fp));
    } else if (strcmp(d, "content_gen") == 0) {
        /* content_gen KIND SIZE [PIECE]: generated text, str callback or pieces */
        NEED(2);
        struct msg *m = need_msg(lineno);
        size_t len;
        char *b = gen_content(t[1].s, (size_t)L(&t[2], lineno), &len);
        if (n > 3)
            set_content_cb(m, b, len, (size_t)L(&t[3], lineno));
        else {
            m->c.data = b;
            m->c.len = len;
            api_int("smtp_set_message_str", smtp_set_message_str(m->m, m->c.data));
        }
    } else if (strcmp(d, "content_pieces") == 0) {
        /* content_pieces N str "..." | N file PATH */
        NEED(3);
        struct msg *m = need_msg(lineno);
        size_t piece = (size_t)L(&t[1], lineno);
        if (strcmp(t[2].s, "file") == 0) {
            size_t len;
            char *b = read_file(t[3].s, &len);
            set_content_cb(m, b, len, piece);
        } else
            set_content_cb(m, xmemdup(t[3].s, t[3].len), t[3].len, piece);
    } else if (strcmp(d, "content_errno") == 0) {
        NEED(1);
        need_msg(lineno)->c.err_at_end = (int)L(&t[1], lineno);
    } else if (strcmp(d, "header") == 0) {
        NEED(1);
        struct msg *m = need_msg(lineno);
        const char *h = S(&t[1]);
        int rc;
        if (h && strcasecmp(h, "Date") == 0) {
            NEED(2);
            time_t when = t[2].null ? 0 : (time_t)L(&t[2], lineno);
            rc = smtp_set_header(m->m, h, t[2].null ? NULL : &when);
            snprintf(what, sizeof what, "smtp_set_header(%s, time_t %s)", h, t[2].s);
        } else if (h && strcasecmp(h, "Message-Id") == 0) {
            NEED(2);
            rc = smtp_set_header(m->m, h, S(&t[2]));
            snprintf(what, sizeof what, "smtp_set_header(%s, %s)", h, t[2].null ? "NULL" : "id");
        } else if (h && is_mbox_header(h)) {
            NEED(3);
            rc = smtp_set_header(m->m, h, S(&t[2]), S(&t[3]));
            snprintf(what, sizeof what, "smtp_set_header(%s, %s, %s)", h,
                     t[2].null ? "NULL" : "phrase", t[3].null ? "NULL" : "mailbox");
        } else {
            NEED(2);
            rc = smtp_set_header(m->m, h, S(&t[2]));
            snprintf(what, sizeof what, "smtp_set_header(%s, %s)", h ? h : "NULL",
                     t[2].null ? "NULL" : "value");
        }
        api_int(what, rc);
    } else if (strcmp(d, "header_option") == 0) {
        NEED(3);
        int opt;
        if (strcmp(t[2].s, "override") == 0) opt = Hdr_OVERRIDE;
        else if (strcmp(t[2].s, "prohibit") == 0) opt = Hdr_PROHIBIT;
        else opt = (int)L(&t[2], lineno);
        snprintf(what, sizeof what, "smtp_set_header_option(%s, %d, %s)",
                 t[1].s, opt, t[3].s);
        api_int(what, smtp_set_header_option(need_msg(lineno)->m, S(&t[1]),
                                             (enum header_option)opt, (int)L(&t[3], lineno)));
    } else if (strcmp(d, "resent") == 0) {
        NEED(1);
        api_int("smtp_set_resent_headers",
                smtp_set_resent_headers(need_msg(lineno)->m, (int)L(&t[1], lineno)));
    } else if (strcmp(d, "dsn_ret") == 0) {
        NEED(1);
        int v;
        if (strcmp(t[1].s, "full") == 0) v = Ret_FULL;
        else if (strcmp(t[1].s, "hdrs") == 0) v = Ret_HDRS;
        else if (strcmp(t[1].s, "notset") == 0) v = Ret_NOTSET;
        else v = (int)L(&t[1], lineno);
        api_int("smtp_dsn_set_ret", smtp_dsn_set_ret(need_msg(lineno)->m, (enum ret_flags)v));
    } else if (strcmp(d, "dsn_envid") == 0) {
        NEED(1);
        api_int("smtp_dsn_set_envid", smtp_dsn_set_envid(need_msg(lineno)->m, S(&t[1])));
    } else if (strcmp(d, "size") == 0) {
        NEED(1);
        api_int("smtp_size_set_estimate",
                smtp_size_set_estimate(need_msg(lineno)->m, (unsigned long)L(&t[1], lineno)));
    } else if (strcmp(d, "body") == 0) {
        NEED(1);
        int v;
        if (strcmp(t[1].s, "7bit") == 0) v = E8bitmime_7BIT;
        else if (strcmp(t[1].s, "8bitmime") == 0) v = E8bitmime_8BITMIME;
        else if (strcmp(t[1].s, "binarymime") == 0) v = E8bitmime_BINARYMIME;
        else if (strcmp(t[1].s, "notset") == 0) v = E8bitmime_NOTSET;
        else v = (int)L(&t[1], lineno);
        api_int("smtp_8bitmime_set_body",
                smtp_8bitmime_set_body(need_msg(lineno)->m, (enum e8bitmime_body)v));
    } else if (strcmp(d, "deliverby") == 0) {
        NEED(3);
        int mode;
        if (strcmp(t[2].s, "notify") == 0) mode = By_NOTIFY;
        else if (strcmp(t[2].s, "return") == 0) mode = By_RETURN;
        else if (strcmp(t[2].s, "notset") == 0) mode = By_NOTSET;
        else mode = (int)L(&t[2], lineno);
        api_int("smtp_deliverby_set_mode",
                smtp_deliverby_set_mode(need_msg(lineno)->m, L(&t[1], lineno),
                                        (enum by_mode)mode, (int)L(&t[3], lineno)));
    } else if (strcmp(d, "rcpt") == 0) {
        NEED(1);
        struct msg *m = need_msg(lineno);
        if (nrcpts >= MAX_RCPT)
            die("line %d: too many recipients", lineno);
        smtp_recipient_t r = smtp_add_recipient(m->m, S(&t[1]));
        api_ptr("smtp_add_recipient", r);
        if (r) {
            rcpts[nrcpts].r = r;
            rcpts[nrcpts].msg = cur_msg;
            rcpts[nrcpts].idx = m->nrcpt++;
            cur_rcpt = nrcpts++;
        }
    } else if (strcmp(d, "rcpts") == 0) {
        /* rcpts COUNT PREFIX DOMAIN: many recipients, PREFIX<i>@DOMAIN */
        NEED(3);
        struct msg *m = need_msg(lineno);
        long cnt = L(&t[1], lineno);
        int ok = 0;
        for (long i = 0; i < cnt && nrcpts < MAX_RCPT; i++) {
            char mb[256];
            snprintf(mb, sizeof mb, "%s%ld@%s", t[2].s, i, t[3].s);
            smtp_recipient_t r = smtp_add_recipient(m->m, mb);
            if (!r)
                continue;
            ok++;
            rcpts[nrcpts].r = r;
            rcpts[nrcpts].msg = cur_msg;
            rcpts[nrcpts].idx = m->nrcpt++;
            cur_rcpt = nrcpts++;
        }
        printf("API smtp_add_recipient x%ld -> %d ok errno=%d\n", cnt, ok, smtp_errno());
    } else if (strcmp(d, "notify") == 0) {
        NEED(1);
        if (cur_rcpt < 0)
            die("line %d: no current recipient", lineno);
        int v = 0;
        if (strcmp(t[1].s, "NEVER") == 0) v = Notify_NEVER;
        else if (strcmp(t[1].s, "NOTSET") == 0) v = Notify_NOTSET;
        else {
            char *save, *buf = strdup(t[1].s);
            for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (strcmp(w, "SUCCESS") == 0) v |= Notify_SUCCESS;
                else if (strcmp(w, "FAILURE") == 0) v |= Notify_FAILURE;
                else if (strcmp(w, "DELAY") == 0) v |= Notify_DELAY;
                else v |= (int)strtol(w, NULL, 0);
            }
            free(buf);
        }
        api_int("smtp_dsn_set_notify",
                smtp_dsn_set_notify(rcpts[cur_rcpt].r, (enum notify_flags)v));
    } else if (strcmp(d, "orcpt") == 0) {
        NEED(2);
        if (cur_rcpt < 0)
            die("line %d: no current recipient", lineno);
        api_int("smtp_dsn_set_orcpt", smtp_dsn_set_orcpt(rcpts[cur_rcpt].r, S(&t[1]), S(&t[2])));
    } else if (strcmp(d, "etrn") == 0) {
        NEED(2);
        int opt = strcmp(t[1].s, "@") == 0 ? '@' : (int)L(&t[1], lineno);
        smtp_etrn_node_t nd = smtp_etrn_add_node(session, opt, S(&t[2]));
        snprintf(what, sizeof what, "smtp_etrn_add_node(%d)", opt);
        api_ptr(what, nd);
        if (nd && nnodes < MAX_NODE) {
            nodes[nnodes].n = nd;
            nodes[nnodes].option = opt;
            nodes[nnodes].domain = strdup(t[2].s);
            nnodes++;
        }
    } else if (strcmp(d, "run") == 0) {
        run_no++;
        printf("RUN %d start\n", run_no);
        int rc = smtp_start_session(session);
        char eb[128];
        int e = smtp_errno();
        printf("RUN %d -> %d smtp_errno=%d ", run_no, rc, e);
        put_str(smtp_strerror(e, eb, sizeof eb));
        putchar('\n');
        for (int i = 0; i < nmsgs; i++)
            if (msgs[i].c.calls) {
                printf("  m%d custom callback calls=%d\n", i, msgs[i].c.calls);
                msgs[i].c.calls = 0;
            }
        snprintf(what, sizeof what, "after run %d", run_no);
        dump(what);
    } else if (strcmp(d, "reset_message") == 0) {
        NEED(1);
        long i = L(&t[1], lineno);
        if (i < 0 || i >= nmsgs)
            die("line %d: bad message index", lineno);
        api_int("smtp_message_reset_status", smtp_message_reset_status(msgs[i].m));
    } else if (strcmp(d, "reset_rcpt") == 0) {
        NEED(2);
        long mi = L(&t[1], lineno), ri = L(&t[2], lineno);
        int found = 0;
        for (int j = 0; j < nrcpts; j++)
            if (rcpts[j].msg == mi && rcpts[j].idx == ri) {
                api_int("smtp_recipient_reset_status", smtp_recipient_reset_status(rcpts[j].r));
                found = 1;
            }
        if (!found)
            die("line %d: bad recipient", lineno);
    } else if (strcmp(d, "content_ctx") == 0) {
        need_msg(lineno)->c.set_ctx = 1;
    } else if (strcmp(d, "appdata") == 0) {
        /* appdata session TAG | message I TAG | rcpt I J TAG | etrn I TAG;
           TAG NULL = NULL data; release logs "RELEASE TAG" */
        NEED(2);
        const char *obj = t[1].s;
        struct tok *tag;
        void *data;
        if (strcmp(obj, "session") == 0) {
            tag = &t[2];
            data = tag->null ? NULL : strdup(tag->s);
            smtp_set_application_data_release(session, data, release_cb);
            printf("API smtp_set_application_data_release(session) errno=%d\n", smtp_errno());
            printf("  get -> %s\n", smtp_get_application_data(session) ? (char *)smtp_get_application_data(session) : "NULL");
        } else if (strcmp(obj, "message") == 0) {
            NEED(3);
            long i = L(&t[2], lineno);
            if (i < 0 || i >= nmsgs)
                die("line %d: bad message", lineno);
            tag = &t[3];
            data = tag->null ? NULL : strdup(tag->s);
            smtp_message_set_application_data_release(msgs[i].m, data, release_cb);
            printf("API smtp_message_set_application_data_release(m%ld) errno=%d\n", i, smtp_errno());
            void *g = smtp_message_get_application_data(msgs[i].m);
            printf("  get -> %s\n", g ? (char *)g : "NULL");
        } else if (strcmp(obj, "rcpt") == 0) {
            NEED(4);
            long mi = L(&t[2], lineno), ri = L(&t[3], lineno);
            int k = -1;
            for (int j = 0; j < nrcpts; j++)
                if (rcpts[j].msg == mi && rcpts[j].idx == ri)
                    k = j;
            if (k < 0)
                die("line %d: bad recipient", lineno);
            tag = &t[4];
            data = tag->null ? NULL : strdup(tag->s);
            smtp_recipient_set_application_data_release(rcpts[k].r, data, release_cb);
            printf("API smtp_recipient_set_application_data_release(m%ld.r%ld) errno=%d\n", mi, ri, smtp_errno());
            void *g = smtp_recipient_get_application_data(rcpts[k].r);
            printf("  get -> %s\n", g ? (char *)g : "NULL");
        } else if (strcmp(obj, "etrn") == 0) {
            NEED(3);
            long i = L(&t[2], lineno);
            if (i < 0 || i >= nnodes)
                die("line %d: bad node", lineno);
            tag = &t[3];
            data = tag->null ? NULL : strdup(tag->s);
            smtp_etrn_set_application_data_release(nodes[i].n, data, release_cb);
            printf("API smtp_etrn_set_application_data_release(n%ld) errno=%d\n", i, smtp_errno());
            void *g = smtp_etrn_get_application_data(nodes[i].n);
            printf("  get -> %s\n", g ? (char *)g : "NULL");
        } else
            die("line %d: appdata session|message|rcpt|etrn", lineno);
    } else if (strcmp(d, "enumerate") == 0) {
        api_int("smtp_enumerate_messages", smtp_enumerate_messages(session, enum_msg_cb, &session));
        for (int i = 0; i < nmsgs; i++)
            api_int("smtp_enumerate_recipients",
                    smtp_enumerate_recipients(msgs[i].m, enum_rcpt_cb, &session));
        api_int("smtp_etrn_enumerate_nodes", smtp_etrn_enumerate_nodes(session, enum_node_cb, &session));
    } else if (strcmp(d, "strerror") == 0) {
        /* strerror BUFLEN CODE... */
        NEED(2);
        long bl = L(&t[1], lineno);
        for (int i = 2; i < n; i++) {
            char eb[256];
            int code = (int)L(&t[i], lineno);
            memset(eb, 'Z', sizeof eb);
            char *r = smtp_strerror(code, eb, (size_t)bl);
            printf("API smtp_strerror(%d, %ld) -> %s ", code, bl, r == eb ? "buf" : r ? "other" : "NULL");
            put_str(r ? r : NULL);
            printf(" errno=%d\n", smtp_errno());
        }
    } else if (strcmp(d, "version") == 0) {
        /* version BUFLEN WHAT */
        NEED(2);
        char vb[64];
        memset(vb, 0, sizeof vb);
        long bl = L(&t[1], lineno);
        int rc = smtp_version(vb, (size_t)bl, (int)L(&t[2], lineno));
        printf("API smtp_version(%ld, %s) -> %d ", bl, t[2].s, rc);
        put_str(vb);
        printf(" errno=%d\n", smtp_errno());
    } else if (strcmp(d, "dump") == 0) {
        dump("requested");
    } else {
        die("line %d: unknown directive %s", lineno, d);
    }
#undef NEED
}

/* ---------------------------------------------------------------- library check */

static char loaded[PATH_MAX];

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    const char *n = info->dlpi_name;
    if (n && strstr(n, "/libesmtp.so"))
        snprintf(loaded, sizeof loaded, "%s", n);
    return 0;
}

static void check_library(void)
{
    const char *want = getenv("EXPECT_LIBESMTP");
    char rl[PATH_MAX], rw[PATH_MAX];
    dl_iterate_phdr(phdr_cb, NULL);
    if (!loaded[0])
        die("no libesmtp.so loaded?");
    if (!want || !*want)
        die("EXPECT_LIBESMTP is not set (loaded %s)", loaded);
    if (!realpath(loaded, rl))
        die("realpath(%s) failed", loaded);
    if (!realpath(want, rw))
        die("realpath(%s) failed", want);
    char *slash = strrchr(rl, '/');
    if (slash)
        *slash = '\0';
    if (strcmp(rl, rw) != 0)
        die("loaded %s from %s, expected %s", loaded, rl, rw);
    fprintf(stderr, "driver: libesmtp loaded from %s\n", loaded);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: driver CONFIG HOST:PORT\n");
        return 2;
    }
    check_library();
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);  /* libESMTP does not suppress SIGPIPE (Q-SIGPIPE) */

    FILE *cf = fopen(argv[1], "r");
    if (!cf)
        die("cannot open %s", argv[1]);

    char vbuf[32];
    int vr = smtp_version(vbuf, sizeof vbuf, Ver_VERSION);
    printf("API smtp_version -> %d ", vr);
    put_str(vr ? vbuf : NULL);
    putchar('\n');

    session = smtp_create_session();
    api_ptr("smtp_create_session", session);
    if (!session)
        return 1;
    api_int("smtp_set_server", smtp_set_server(session, argv[2]));
    api_int("smtp_set_eventcb", smtp_set_eventcb(session, eventcb, &session));

    static char line[1 << 20];
    int lineno = 0;
    struct tok t[MAX_TOK];
    while (fgets(line, sizeof line, cf)) {
        lineno++;
        int n = tokenize(line, t, lineno);
        if (n > 0)
            directive(t, n, lineno);
    }
    fclose(cf);
    if (run_no == 0)
        die("config has no 'run'");
    dump("final");
    api_int("smtp_destroy_session", smtp_destroy_session(session));
    if (authctx)
        printf("API auth_destroy_context -> %d\n", auth_destroy_context(authctx));
    for (int i = 0; i < nmsgs; i++) {
        if (msgs[i].c.fp)
            fclose(msgs[i].c.fp);
        free(msgs[i].c.data);
    }
    printf("END\n");
    return 0;
}
