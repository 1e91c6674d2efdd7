/* sender.c: a small libESMTP client for the interop tests.
 *
 * Sends message files (sent as-is: use CRLF line ends; one message per -m,
 * all in one session) to a server and prints, on stdout, one record per line:
 *   LIB <path>                      the libesmtp.so.6 mapped into this process
 *   EV <number> <name> [details]    events
 *   C> <escaped>  / S< <escaped>    monitor: one line per callback (-v)
 *   (per message, in order:)
 *   MAIL <code> <text>              reverse-path (MAIL FROM) status
 *   MSG <code> <text>               message transfer status
 *   RCPT <mailbox> <code> <text>    recipient status (per recipient)
 *   RESULT ok|fail
 * Exit status 0 when the session ran, the message was accepted and every
 * recipient got 2xx; 1 otherwise; 2 for usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <auth-client.h>
#include <libesmtp.h>

struct opts {
    const char *user;
    const char *pass;
};

static void usage(void)
{
    fputs("usage: sender -s host:port -f from -r rcpt [-r rcpt ...] -m file [-m file ...]\n"
          "  [-v] monitor  [-8] BODY=8BITMIME  [-z size] SIZE estimate\n"
          "  [-d envid] DSN: RET=HDRS, ENVID, NOTIFY=SUCCESS,FAILURE, ORCPT\n"
          "  [-t] STARTTLS required  [-T] STARTTLS if offered\n"
          "  [-a user:pass] AUTH\n",
          stderr);
    exit(2);
}

static void print_lib(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    if (f == NULL) {
        printf("LIB ?\n");
        return;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = strchr(line, '/');
        if (p != NULL && strstr(p, "libesmtp.so") != NULL) {
            char *real;
            p[strcspn(p, "\n")] = '\0';
            real = realpath(p, NULL);
            printf("LIB %s\n", real != NULL ? real : p);
            free(real);
            fclose(f);
            return;
        }
    }
    fclose(f);
    printf("LIB none\n");
}

static void print_escaped(const char *tag, const char *buf, int len)
{
    int i;
    fputs(tag, stdout);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\r')
            fputs("\\r", stdout);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\\')
            fputs("\\\\", stdout);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('\n');
}

static void monitor_cb(const char *buf, int buflen, int writing, void *arg)
{
    (void)arg;
    print_escaped(writing == SMTP_CB_HEADERS ? "H> "
                  : writing                  ? "C> "
                                             : "S< ",
                  buf, buflen);
}

static void event_cb(smtp_session_t session, int event_no, void *arg, ...)
{
    va_list ap;
    int *ok;
    (void)session;
    (void)arg;
    va_start(ap, arg);
    switch (event_no) {
    case SMTP_EV_CONNECT: printf("EV %d CONNECT\n", event_no); break;
    case SMTP_EV_MAILSTATUS: printf("EV %d MAILSTATUS\n", event_no); break;
    case SMTP_EV_RCPTSTATUS: {
        const char *mb = va_arg(ap, const char *);
        printf("EV %d RCPTSTATUS %s\n", event_no, mb);
        break;
    }
    case SMTP_EV_MESSAGEDATA: break; /* too many to print */
    case SMTP_EV_MESSAGESENT: printf("EV %d MESSAGESENT\n", event_no); break;
    case SMTP_EV_DISCONNECT: printf("EV %d DISCONNECT\n", event_no); break;
    case SMTP_EV_EXTNA_DSN:
    case SMTP_EV_EXTNA_CHUNKING:
    case SMTP_EV_SYNTAXWARNING:
        ok = va_arg(ap, int *);
        printf("EV %d EXTNA/WARNING (continue)\n", event_no);
        *ok = 0;
        break;
    case SMTP_EV_STARTTLS_OK: {
        (void)va_arg(ap, void *);
        const char *cipher = va_arg(ap, const char *);
        int bits = va_arg(ap, int);
        printf("EV %d STARTTLS_OK %s %d\n", event_no, cipher ? cipher : "?", bits);
        break;
    }
    case SMTP_EV_INVALID_PEER_CERTIFICATE: {
        long vr = va_arg(ap, long);
        ok = va_arg(ap, int *);
        printf("EV %d INVALID_PEER_CERTIFICATE %ld\n", event_no, vr);
        *ok = 0;
        break;
    }
    case SMTP_EV_NO_PEER_CERTIFICATE:
    case SMTP_EV_WEAK_CIPHER:
    case SMTP_EV_NO_CLIENT_CERTIFICATE:
        if (event_no == SMTP_EV_WEAK_CIPHER)
            (void)va_arg(ap, int);
        ok = va_arg(ap, int *);
        printf("EV %d TLS-PROBLEM\n", event_no);
        *ok = 0;
        break;
    case SMTP_EV_WRONG_PEER_CERTIFICATE: {
        ok = va_arg(ap, int *);
        const char *name = va_arg(ap, const char *);
        printf("EV %d WRONG_PEER_CERTIFICATE %s\n", event_no, name ? name : "");
        *ok = 0;
        break;
    }
    default: printf("EV %d\n", event_no); break;
    }
    va_end(ap);
    fflush(stdout);
}

static int interact(auth_client_request_t request, char **result, int fields,
                    void *arg)
{
    struct opts *o = arg;
    int i;
    for (i = 0; i < fields; i++) {
        if (request[i].flags & AUTH_USER)
            result[i] = (char *)o->user;
        else if (request[i].flags & AUTH_PASS)
            result[i] = (char *)o->pass;
        else
            return 0;
    }
    return 1;
}

static void print_status(const char *tag, const char *who, const smtp_status_t *st)
{
    const char *text = st->text != NULL ? st->text : "";
    printf("%s%s%s %d %.*s\n", tag, who ? " " : "", who ? who : "", st->code,
           (int)strcspn(text, "\r\n"), text);
}

static void rcpt_status_cb(smtp_recipient_t rcpt, const char *mailbox, void *arg)
{
    const smtp_status_t *st = smtp_recipient_status(rcpt);
    int *all_ok = arg;
    print_status("RCPT", mailbox, st);
    if (st->code < 200 || st->code > 299)
        *all_ok = 0;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *from = NULL, *envid = NULL;
    const char *rcpts[64], *files[16];
    int nrcpt = 0, nfile = 0, verbose = 0, eight = 0, tls = -1, opt, i, m, all_ok = 1;
    unsigned long size = 0;
    char *auth = NULL;
    struct opts o = { NULL, NULL };
    smtp_session_t session;
    smtp_message_t messages[16];
    auth_context_t actx = NULL;
    const smtp_status_t *st;
    FILE *fps[16];
    char ebuf[128];

    while ((opt = getopt(argc, argv, "s:f:r:m:v8z:d:tTa:")) != -1) {
        switch (opt) {
        case 's': server = optarg; break;
        case 'f': from = optarg; break;
        case 'r':
            if (nrcpt == 64)
                usage();
            rcpts[nrcpt++] = optarg;
            break;
        case 'm':
            if (nfile == 16)
                usage();
            files[nfile++] = optarg;
            break;
        case 'v': verbose = 1; break;
        case '8': eight = 1; break;
        case 'z': size = strtoul(optarg, NULL, 10); break;
        case 'd': envid = optarg; break;
        case 't': tls = Starttls_REQUIRED; break;
        case 'T': tls = Starttls_ENABLED; break;
        case 'a': auth = optarg; break;
        default: usage();
        }
    }
    if (server == NULL || from == NULL || nrcpt == 0 || nfile == 0)
        usage();
    setvbuf(stdout, NULL, _IOLBF, 0);
    print_lib();

    auth_client_init();
    session = smtp_create_session();
    if (session == NULL || !smtp_set_server(session, server)
        || !smtp_set_eventcb(session, event_cb, NULL)) {
        fprintf(stderr, "sender: setup failed: %s\n",
                smtp_strerror(smtp_errno(), ebuf, sizeof ebuf));
        return 1;
    }
    if (verbose)
        smtp_set_monitorcb(session, monitor_cb, NULL, 1);
    if (tls >= 0 && !smtp_starttls_enable(session, (enum starttls_option)tls))
        return 1;
    if (auth != NULL) {
        char *colon = strchr(auth, ':');
        if (colon == NULL)
            usage();
        *colon = '\0';
        o.user = auth;
        o.pass = colon + 1;
        actx = auth_create_context();
        auth_set_mechanism_flags(actx, AUTH_PLUGIN_PLAIN, 0);
        auth_set_interact_cb(actx, interact, &o);
        smtp_auth_set_context(session, actx);
    }

    /* One message per -m, each to every recipient, all in one session. */
    for (m = 0; m < nfile; m++) {
        smtp_message_t message;
        fps[m] = fopen(files[m], "rb");
        if (fps[m] == NULL) {
            fprintf(stderr, "sender: %s: %s\n", files[m], strerror(errno));
            return 1;
        }
        message = messages[m] = smtp_add_message(session);
        if (message == NULL || !smtp_set_reverse_path(message, from)
            || !smtp_set_message_fp(message, fps[m])) {
            fprintf(stderr, "sender: message setup failed: %s\n",
                    smtp_strerror(smtp_errno(), ebuf, sizeof ebuf));
            return 1;
        }
        if (eight && !smtp_8bitmime_set_body(message, E8bitmime_8BITMIME))
            return 1;
        if (size > 0 && !smtp_size_set_estimate(message, size))
            return 1;
        if (envid != NULL && (!smtp_dsn_set_ret(message, Ret_HDRS)
                              || !smtp_dsn_set_envid(message, envid)))
            return 1;
        for (i = 0; i < nrcpt; i++) {
            smtp_recipient_t r = smtp_add_recipient(message, rcpts[i]);
            if (r == NULL)
                return 1;
            if (envid != NULL
                && (!smtp_dsn_set_notify(r, Notify_SUCCESS | Notify_FAILURE)
                    || !smtp_dsn_set_orcpt(r, "rfc822", rcpts[i])))
                return 1;
        }
    }

    if (!smtp_start_session(session)) {
        printf("SESSION-ERROR %d %s\n", smtp_errno(),
               smtp_strerror(smtp_errno(), ebuf, sizeof ebuf));
        all_ok = 0;
    }
    for (m = 0; m < nfile; m++) {
        st = smtp_reverse_path_status(messages[m]);
        print_status("MAIL", NULL, st);
        st = smtp_message_transfer_status(messages[m]);
        print_status("MSG", NULL, st);
        if (st->code < 200 || st->code > 299)
            all_ok = 0;
        smtp_enumerate_recipients(messages[m], rcpt_status_cb, &all_ok);
    }
    printf("RESULT %s\n", all_ok ? "ok" : "fail");

    smtp_destroy_session(session);
    if (actx != NULL)
        auth_destroy_context(actx);
    auth_client_exit();
    for (m = 0; m < nfile; m++)
        fclose(fps[m]);
    return all_ok ? 0 : 1;
}
