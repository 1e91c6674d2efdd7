/* sendmail-lite.c: send one message with libESMTP — a typical application.
 *
 *   sendmail-lite [-q] [-t] SERVER[:PORT] FROM MESSAGE-FILE RECIPIENT...
 *
 * Reads MESSAGE-FILE (an RFC 5322 message; plain LF line ends are fine, they
 * are turned into CRLF), sends it to RECIPIENT... through SERVER (default
 * port 587), prints the SMTP exchange as it happens (monitor callback) and
 * the outcome for every recipient.  -q: no protocol trace.  -t: use
 * STARTTLS if the server offers it.
 *
 * Build:  cc -Wall -Wextra -o sendmail-lite sendmail-lite.c \
 *             $(pkg-config --cflags --libs libesmtp-1.0)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libesmtp.h>

/* Print what libESMTP writes (C:) and reads (S:), one line at a time. */
static void monitor(const char *buf, int len, int writing, void *arg)
{
    const char *tag = writing == SMTP_CB_HEADERS ? "H: " : writing ? "C: " : "S: ";
    int start = 0, i;
    (void)arg;
    for (i = 0; i < len; i++) {
        if (buf[i] == '\n' || i == len - 1) {
            int end = i + 1;
            while (end > start && (buf[end - 1] == '\n' || buf[end - 1] == '\r'))
                end--;
            printf("  %s%.*s\n", tag, end - start, buf + start);
            start = i + 1;
        }
    }
}

/* Protocol events.  Extension-not-available events carry an "int *quit"
 * that we leave at 0: carry on without the extension. */
static void event(smtp_session_t session, int event_no, void *arg, ...)
{
    va_list ap;
    (void)session;
    (void)arg;
    va_start(ap, arg);
    switch (event_no) {
    case SMTP_EV_CONNECT: printf("* connected\n"); break;
    case SMTP_EV_MAILSTATUS: {
        const char *from = va_arg(ap, const char *);
        smtp_message_t msg = va_arg(ap, smtp_message_t);
        printf("* sender <%s>: %d\n", from ? from : "",
               smtp_reverse_path_status(msg)->code);
        break;
    }
    case SMTP_EV_RCPTSTATUS: {
        const char *mailbox = va_arg(ap, const char *);
        smtp_recipient_t rcpt = va_arg(ap, smtp_recipient_t);
        printf("* recipient <%s>: %d\n", mailbox, smtp_recipient_status(rcpt)->code);
        break;
    }
    case SMTP_EV_MESSAGEDATA: break;
    case SMTP_EV_MESSAGESENT: printf("* message sent\n"); break;
    case SMTP_EV_DISCONNECT: printf("* disconnected\n"); break;
    case SMTP_EV_STARTTLS_OK: printf("* TLS started\n"); break;
    case SMTP_EV_EXTNA_DSN:
    case SMTP_EV_EXTNA_CHUNKING:
    case SMTP_EV_SYNTAXWARNING: {
        int *quit = va_arg(ap, int *);
        *quit = 0;
        break;
    }
    default: printf("* event %d\n", event_no); break;
    }
    va_end(ap);
}

static void print_recipient(smtp_recipient_t rcpt, const char *mailbox, void *arg)
{
    const smtp_status_t *st = smtp_recipient_status(rcpt);
    int *failed = arg;
    const char *text = st->text ? st->text : "";
    printf("  %-30s %3d %.*s\n", mailbox, st->code, (int)strcspn(text, "\r\n"), text);
    if (st->code < 200 || st->code > 299)
        *failed = 1;
}

/* libESMTP sends the message as it reads it: lines must end in CRLF. */
static FILE *open_as_crlf(const char *path)
{
    FILE *in = fopen(path, "rb"), *out;
    int c, prev = 0;
    if (in == NULL)
        return NULL;
    out = tmpfile();
    if (out == NULL) {
        fclose(in);
        return NULL;
    }
    while ((c = getc(in)) != EOF) {
        if (c == '\n' && prev != '\r')
            putc('\r', out);
        putc(c, out);
        prev = c;
    }
    fclose(in);
    rewind(out);
    return out;
}

int main(int argc, char **argv)
{
    smtp_session_t session;
    smtp_message_t message;
    const smtp_status_t *st;
    FILE *fp;
    char buf[128];
    int i = 1, quiet = 0, tls = 0, failed = 0;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-q") == 0)
            quiet = 1;
        else if (strcmp(argv[i], "-t") == 0)
            tls = 1;
        else
            break;
    }
    if (argc - i < 4) {
        fprintf(stderr, "usage: %s [-q] [-t] SERVER[:PORT] FROM MESSAGE-FILE RECIPIENT...\n",
                argv[0]);
        return 2;
    }
    fp = open_as_crlf(argv[i + 2]);
    if (fp == NULL) {
        fprintf(stderr, "%s: %s: %s\n", argv[0], argv[i + 2], strerror(errno));
        return 2;
    }

    session = smtp_create_session();
    message = smtp_add_message(session);
    if (session == NULL || message == NULL || !smtp_set_server(session, argv[i])
        || !smtp_set_reverse_path(message, argv[i + 1])
        || !smtp_set_message_fp(message, fp)
        || !smtp_set_eventcb(session, event, NULL)
        || (!quiet && !smtp_set_monitorcb(session, monitor, NULL, 1))
        || (tls && !smtp_starttls_enable(session, Starttls_ENABLED))) {
        fprintf(stderr, "libESMTP: %s\n", smtp_strerror(smtp_errno(), buf, sizeof buf));
        return 1;
    }
    for (int r = i + 3; r < argc; r++) {
        if (smtp_add_recipient(message, argv[r]) == NULL) {
            fprintf(stderr, "libESMTP: %s\n", smtp_strerror(smtp_errno(), buf, sizeof buf));
            return 1;
        }
    }

    printf("Sending %s to %d recipient(s) via %s\n", argv[i + 2], argc - i - 3, argv[i]);
    if (!smtp_start_session(session)) {
        fprintf(stderr, "SMTP session failed: %s\n",
                smtp_strerror(smtp_errno(), buf, sizeof buf));
        failed = 1;
    } else {
        st = smtp_message_transfer_status(message);
        printf("Message: %d %.*s\n", st->code,
               (int)strcspn(st->text ? st->text : "", "\r\n"), st->text ? st->text : "");
        if (st->code < 200 || st->code > 299)
            failed = 1;
        printf("Recipients:\n");
        smtp_enumerate_recipients(message, print_recipient, &failed);
    }
    smtp_destroy_session(session);
    fclose(fp);
    return failed;
}
