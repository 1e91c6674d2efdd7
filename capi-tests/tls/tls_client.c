/* tls_client.c: a STARTTLS session through the libESMTP API, printing every
 * event with its trailing arguments, the pass-phrase callback's calls and
 * the session's results, so that runs against libESMTP and against
 * esmtp-rs can be compared line by line.
 *
 * usage: tls_client [options] host:port
 *   -m MODE     smtp_starttls_enable mode (0, 1, 2; default 2)
 *   -a EV=VAL   answer *ok of event EV with VAL (repeatable)
 *   -p PASS     install a pass-phrase callback answering PASS
 *   -x CAFILE   use an application SSL_CTX trusting CAFILE ("-" = no CA)
 *   -n N        run N sessions one after another (default 1)
 *   -e          attach an auth context (EXTERNAL comes from the client certificate)
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int answers[16][2];
static int n_answers;
static const char *passphrase;
static int use_auth;

/* EXTERNAL asks nothing; the callback only has to exist (auth_client_enabled). */
static int interact_cb(auth_client_request_t request, char **result, int fields, void *arg) {
    (void) request;
    (void) arg;
    for (int i = 0; i < fields; i++)
        result[i] = "";
    return 1;
}

static int answer_for(int event, int preset) {
    for (int i = 0; i < n_answers; i++)
        if (answers[i][0] == event)
            return answers[i][1];
    return preset;
}

static void show_ok(int event, int *ok) {
    printf(" ok=%d", *ok);
    *ok = answer_for(event, *ok);
    printf("->%d", *ok);
}

static void event_cb(smtp_session_t session, int event, void *arg, ...) {
    va_list ap;
    int *ok;
    (void) session;
    (void) arg;
    va_start(ap, arg);
    printf("EV %d", event);
    switch (event) {
    case SMTP_EV_WEAK_CIPHER: {
        int bits = va_arg(ap, int);
        ok = va_arg(ap, int *);
        printf(" WEAK_CIPHER bits=%d", bits);
        show_ok(event, ok);
        break;
    }
    case SMTP_EV_STARTTLS_OK: {
        SSL *ssl = va_arg(ap, SSL *);
        const char *cipher = va_arg(ap, const char *);
        int bits = va_arg(ap, int);
        printf(" STARTTLS_OK ssl=%s cipher=%s bits=%d version=%s", ssl ? "SSL*" : "NULL",
               cipher, bits, ssl ? SSL_get_version(ssl) : "-");
        break;
    }
    case SMTP_EV_INVALID_PEER_CERTIFICATE: {
        long vfy = va_arg(ap, long);
        ok = va_arg(ap, int *);
        SSL *ssl = va_arg(ap, SSL *);
        printf(" INVALID_PEER_CERTIFICATE verify=%ld ssl=%s", vfy,
               ssl && SSL_get_verify_result(ssl) == vfy ? "SSL*" : "?");
        show_ok(event, ok);
        break;
    }
    case SMTP_EV_NO_PEER_CERTIFICATE:
        ok = va_arg(ap, int *);
        printf(" NO_PEER_CERTIFICATE");
        show_ok(event, ok);
        break;
    case SMTP_EV_WRONG_PEER_CERTIFICATE: {
        ok = va_arg(ap, int *);
        const char *name = va_arg(ap, const char *);
        SSL *ssl = va_arg(ap, SSL *);
        printf(" WRONG_PEER_CERTIFICATE name=\"%s\" ssl=%s", name, ssl ? "SSL*" : "NULL");
        show_ok(event, ok);
        break;
    }
    case SMTP_EV_NO_CLIENT_CERTIFICATE:
        ok = va_arg(ap, int *);
        printf(" NO_CLIENT_CERTIFICATE");
        show_ok(event, ok);
        break;
    case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
        printf(" UNUSABLE_CLIENT_CERTIFICATE arg=%s", va_arg(ap, void *) ? "non-NULL" : "NULL");
        break;
    case SMTP_EV_UNUSABLE_CA_LIST:
        printf(" UNUSABLE_CA_LIST arg=%s", va_arg(ap, void *) ? "non-NULL" : "NULL");
        break;
    case SMTP_EV_EXTNA_STARTTLS:
        printf(" EXTNA_STARTTLS arg=%s", va_arg(ap, void *) ? "non-NULL" : "NULL");
        break;
    case SMTP_EV_CONNECT:
        printf(" CONNECT");
        break;
    case SMTP_EV_DISCONNECT:
        printf(" DISCONNECT");
        break;
    default:
        break;
    }
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static void monitor_cb(const char *buf, int len, int writing, void *arg) {
    (void) arg;
    /* The dialogue one line at a time, whatever the library's chunking;
       message headers and body are not shown. */
    if (writing == SMTP_CB_HEADERS)
        return;
    int start = 0;
    for (int i = 0; i < len; i++)
        if (buf[i] == '\n' || i == len - 1) {
            int end = i + 1;
            while (end > start && (buf[end - 1] == '\n' || buf[end - 1] == '\r'))
                end--;
            printf("%s %.*s\n", writing ? "C>" : "S<", end - start, buf + start);
            start = i + 1;
        }
}

static int password_cb(char *buf, int buflen, int rwflag, void *arg) {
    int n = (int) strlen(passphrase);
    printf("PW buflen=%d rwflag=%d arg=%s\n", buflen, rwflag, arg == (void *) &passphrase ? "ok" : "?");
    if (n > buflen)
        n = buflen;
    memcpy(buf, passphrase, (size_t) n);
    return n;
}

static const char body[] = "Subject: test\r\n\r\nHello.\r\n";

static int one_session(const char *server, int mode, const char *cafile) {
    smtp_session_t s = smtp_create_session();
    smtp_set_server(s, server);
    smtp_set_hostname(s, "client.example");
    smtp_set_eventcb(s, event_cb, NULL);
    smtp_set_monitorcb(s, monitor_cb, NULL, 0);
    auth_context_t auth = NULL;
    if (use_auth) {
        auth = auth_create_context();
        auth_set_interact_cb(auth, interact_cb, NULL);
        smtp_auth_set_context(s, auth);
    }
    smtp_starttls_enable(s, (enum starttls_option) mode);
    if (cafile) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        if (strcmp(cafile, "-") != 0)
            SSL_CTX_load_verify_locations(ctx, cafile, NULL);
        printf("set_ctx -> %d\n", smtp_starttls_set_ctx(s, ctx));
        SSL_CTX_free(ctx); /* the session keeps its own reference */
    }
    smtp_message_t m = smtp_add_message(s);
    smtp_set_reverse_path(m, "from@example.org");
    smtp_add_recipient(m, "to@example.org");
    smtp_set_message_str(m, (void *) body);
    int r = smtp_start_session(s);
    const smtp_status_t *st = smtp_message_transfer_status(m);
    printf("start -> %d errno %d status %d\n", r, smtp_errno(), st ? st->code : -1);
    if (auth) {
        const char *mech = auth_mechanism_name(auth);
        printf("auth mechanism: %s\n", mech ? mech : "(none)");
    }
    fflush(stdout);
    r = smtp_destroy_session(s);
    if (auth)
        auth_destroy_context(auth);
    return r;
}

int main(int argc, char **argv) {
    int mode = Starttls_REQUIRED, runs = 1, c;
    const char *cafile = NULL;
    while ((c = getopt(argc, argv, "m:a:p:x:n:e")) != -1) {
        switch (c) {
        case 'm': mode = atoi(optarg); break;
        case 'a':
            if (n_answers < 16 && sscanf(optarg, "%d=%d", &answers[n_answers][0],
                                         &answers[n_answers][1]) == 2)
                n_answers++;
            break;
        case 'p': passphrase = optarg; break;
        case 'x': cafile = optarg; break;
        case 'n': runs = atoi(optarg); break;
        case 'e': use_auth = 1; break;
        default: return 2;
        }
    }
    if (optind >= argc)
        return 2;
    if (passphrase)
        printf("set_password_cb -> %d\n",
               smtp_starttls_set_password_cb(password_cb, (void *) &passphrase));
    for (int i = 0; i < runs; i++)
        one_session(argv[optind], mode, cafile);
    printf("done\n");
    return 0;
}
