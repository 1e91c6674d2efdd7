/* Object-model and argument-check tests of the libESMTP API.
 *
 * Prints one line per call (result and smtp_errno) so that the output can be
 * compared byte for byte between Debian's libESMTP and ours.  With the
 * argument "hardened" it also runs the inputs that crash libESMTP 1.1 and
 * checks that ours fails cleanly instead (run only against ours). */
#define _DEFAULT_SOURCE 1
#define _POSIX_C_SOURCE 200809L
#define LIBESMTP_ENABLE_DEPRECATED_SYMBOLS 1
#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loaded_lib.h"

#define SHOW_INT(expr) printf("%-60s -> %ld errno=%d\n", #expr, (long)(expr), smtp_errno())
#define SHOW_PTR(expr) printf("%-60s -> %s errno=%d\n", #expr, (expr) ? "ptr" : "NULL", smtp_errno())

static int failures;
#define EXPECT(cond)                                                     \
    do {                                                                 \
        if (!(cond)) {                                                   \
            printf("EXPECTATION FAILED line %d: %s\n", __LINE__, #cond); \
            failures++;                                                  \
        }                                                                \
    } while (0)

static char release_log[512];

static void release_cb(void *data) {
    strncat(release_log, (const char *)data, sizeof release_log - strlen(release_log) - 1);
    strncat(release_log, " ", sizeof release_log - strlen(release_log) - 1);
}

static void print_status(const char *what, const smtp_status_t *st) {
    if (st == NULL) {
        printf("%s: NULL\n", what);
        return;
    }
    printf("%s: code=%d text=%s enh=%d.%d.%d\n", what, st->code, st->text ? st->text : "(null)",
           st->enh_class, st->enh_subject, st->enh_detail);
}

static void enum_msg(smtp_message_t m, void *arg) {
    (void)m;
    printf("  enumerate message %d\n", (*(int *)arg)++);
}

static void enum_rcpt(smtp_recipient_t r, const char *mailbox, void *arg) {
    (void)r;
    printf("  enumerate recipient %s (%d)\n", mailbox, (*(int *)arg)++);
}

static void enum_node(smtp_etrn_node_t n, int option, const char *domain, void *arg) {
    (void)n;
    printf("  enumerate node %d %s (%d)\n", option, domain, (*(int *)arg)++);
}

static void *thread_errno(void *arg) {
    (void)arg;
    printf("thread: errno at start %d\n", smtp_errno());
    smtp_set_server(NULL, "x");
    printf("thread: errno after failing call %d\n", smtp_errno());
    return NULL;
}

static void version_tests(void) {
    char buf[16];
    for (int what = -1; what <= 3; what++) {
        for (size_t len = 1; len <= 7; len++) {
            memset(buf, 'X', sizeof buf);
            int rc = smtp_version(buf, len, what);
            buf[15] = 0;
            printf("smtp_version(len=%zu, what=%d) -> %d buf=\"%.*s\" errno=%d\n", len, what, rc,
                   (int)len, rc || what >= 0 ? buf : "", smtp_errno());
        }
    }
    SHOW_INT(smtp_version(NULL, 10, 0));
    SHOW_INT(smtp_version(buf, 0, 0));
}

static void strerror_tests(void) {
    static const size_t lens[] = {1, 5, 6, 200};
    char buf[200];
    for (int code = -112; code <= 22; code++) {
        if (code < -5 && code != -12 && code != -34 && code != -111 && code != -112)
            continue;
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            memset(buf, 'X', sizeof buf);
            char *rc = smtp_strerror(code, buf, lens[i]);
            printf("smtp_strerror(%d, %zu) -> %s \"%s\"\n", code, lens[i], rc == buf ? "buf" : "other", buf);
        }
    }
    SHOW_PTR(smtp_strerror(7, NULL, 10));
    SHOW_PTR(smtp_strerror(7, buf, 0));
    SHOW_PTR(smtp_strerror(1000, buf, sizeof buf));
    printf("  %s\n", buf);
}

static void session_tests(void) {
    smtp_session_t s = smtp_create_session();
    EXPECT(s != NULL);
    SHOW_PTR(smtp_get_server_name(s));
    SHOW_INT(smtp_set_server(NULL, "localhost:25"));
    SHOW_INT(smtp_set_server(s, NULL));
    SHOW_INT(smtp_start_session(s));
    SHOW_INT(smtp_set_server(s, "localhost:2525"));
    printf("server name: %s\n", smtp_get_server_name(s));
    SHOW_INT(smtp_set_server(s, "mail.example.org"));
    printf("server name: %s\n", smtp_get_server_name(s));
    SHOW_PTR(smtp_get_server_name(NULL));
    SHOW_INT(smtp_set_hostname(NULL, "h"));
    SHOW_INT(smtp_set_hostname(s, "client.example"));
    SHOW_INT(smtp_set_hostname(s, NULL));
    SHOW_INT(smtp_set_timeout(NULL, Timeout_GREETING, 1000));
    SHOW_INT(smtp_set_timeout(s, Timeout_GREETING, 0));
    SHOW_INT(smtp_set_timeout(s, Timeout_GREETING, -5));
    SHOW_INT(smtp_set_timeout(s, Timeout_GREETING, 1000));
    SHOW_INT(smtp_set_timeout(s, Timeout_GREETING, 400000));
    SHOW_INT(smtp_set_timeout(s, Timeout_ENVELOPE, 1));
    SHOW_INT(smtp_set_timeout(s, Timeout_DATA, 1));
    SHOW_INT(smtp_set_timeout(s, Timeout_TRANSFER, 1));
    SHOW_INT(smtp_set_timeout(s, Timeout_DATA2, 1));
    SHOW_INT(smtp_set_timeout(s, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM, 1));
    SHOW_INT(smtp_set_timeout(s, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM, 1500));
    SHOW_INT(smtp_set_timeout(s, 5, 1000));
    SHOW_INT(smtp_set_timeout(s, 5 | Timeout_OVERRIDE_RFC2822_MINIMUM, 1000));
    SHOW_INT(smtp_option_require_all_recipients(NULL, 1));
    SHOW_INT(smtp_option_require_all_recipients(s, 1));
    SHOW_INT(smtp_set_eventcb(NULL, NULL, NULL));
    SHOW_INT(smtp_set_eventcb(s, NULL, NULL));
    SHOW_INT(smtp_set_monitorcb(NULL, NULL, NULL, 0));
    SHOW_INT(smtp_set_monitorcb(s, NULL, NULL, 1));
    SHOW_INT(smtp_starttls_enable(NULL, Starttls_ENABLED));
    SHOW_INT(smtp_starttls_enable(s, Starttls_REQUIRED));
    SHOW_INT(smtp_starttls_enable(s, 7));
    SHOW_INT(smtp_starttls_set_password_cb(NULL, NULL));
    SHOW_INT(smtp_auth_set_context(NULL, NULL));
    SHOW_INT(smtp_auth_set_context(s, NULL));
    /* nothing to do: no messages, no nodes */
    SHOW_INT(smtp_start_session(s));
    SHOW_INT(smtp_start_session(NULL));
    SHOW_INT(smtp_destroy_session(NULL));
    SHOW_INT(smtp_destroy_session(s));
}

static void message_tests(void) {
    smtp_session_t s = smtp_create_session();
    smtp_set_server(s, "127.0.0.1:1");
    SHOW_PTR(smtp_add_message(NULL));
    smtp_message_t m = smtp_add_message(s);
    smtp_message_t m2 = smtp_add_message(s);
    EXPECT(m != NULL && m2 != NULL && m != m2);
    int counter = 0;
    SHOW_INT(smtp_enumerate_messages(s, enum_msg, &counter));
    SHOW_INT(smtp_enumerate_messages(NULL, enum_msg, &counter));
    SHOW_INT(smtp_enumerate_messages(s, NULL, &counter));
    /* message without callback */
    smtp_add_recipient(m, "a@example.org");
    SHOW_INT(smtp_start_session(s));
    SHOW_INT(smtp_set_reverse_path(NULL, "x@y"));
    SHOW_INT(smtp_set_reverse_path(m, "sender@example.org"));
    SHOW_INT(smtp_set_reverse_path(m, NULL));
    SHOW_INT(smtp_set_messagecb(NULL, _smtp_message_str_cb, "x"));
    SHOW_INT(smtp_set_messagecb(m, NULL, "x"));
    SHOW_INT(smtp_set_message_str(m, "Subject: x\r\n\r\nbody\r\n"));
    SHOW_PTR(smtp_message_transfer_status(NULL));
    SHOW_PTR(smtp_reverse_path_status(NULL));
    const smtp_status_t *ts = smtp_message_transfer_status(m);
    print_status("transfer", ts);
    EXPECT(ts == smtp_message_transfer_status(m));
    print_status("reverse", smtp_reverse_path_status(m));
    SHOW_INT(smtp_message_reset_status(NULL));
    SHOW_INT(smtp_message_reset_status(m));
    SHOW_INT(smtp_dsn_set_ret(NULL, Ret_FULL));
    SHOW_INT(smtp_dsn_set_ret(m, Ret_HDRS));
    SHOW_INT(smtp_dsn_set_ret(m, 99));
    SHOW_INT(smtp_dsn_set_envid(NULL, "id"));
    SHOW_INT(smtp_dsn_set_envid(m, "envid+1"));
    SHOW_INT(smtp_size_set_estimate(NULL, 10));
    SHOW_INT(smtp_size_set_estimate(m, 12345));
    SHOW_INT(smtp_8bitmime_set_body(NULL, E8bitmime_8BITMIME));
    SHOW_INT(smtp_8bitmime_set_body(m, E8bitmime_8BITMIME));
    SHOW_INT(smtp_8bitmime_set_body(m, 17));
    SHOW_INT(smtp_deliverby_set_mode(NULL, 10, By_NOTIFY, 0));
    SHOW_INT(smtp_deliverby_set_mode(m, 1000000000L, By_NOTIFY, 0));
    SHOW_INT(smtp_deliverby_set_mode(m, -1000000000L, By_NOTIFY, 0));
    SHOW_INT(smtp_deliverby_set_mode(m, 999999999L, By_NOTIFY, 0));
    SHOW_INT(smtp_deliverby_set_mode(m, 0, By_RETURN, 0));
    SHOW_INT(smtp_deliverby_set_mode(m, -5, By_RETURN, 1));
    SHOW_INT(smtp_deliverby_set_mode(m, 60, By_RETURN, 1));
    SHOW_INT(smtp_deliverby_set_mode(m, 60, 7, 1));
    SHOW_INT(smtp_set_resent_headers(NULL, 0));
    SHOW_INT(smtp_set_resent_headers(m, 0));
    SHOW_INT(smtp_set_resent_headers(m, 1));
    smtp_destroy_session(s);
}

static void recipient_tests(void) {
    smtp_session_t s = smtp_create_session();
    smtp_message_t m = smtp_add_message(s);
    int counter = 0;
    SHOW_INT(smtp_enumerate_recipients(m, NULL, NULL));
    SHOW_INT(smtp_enumerate_recipients(NULL, enum_rcpt, &counter));
    SHOW_PTR(smtp_add_recipient(NULL, "a@b"));
    SHOW_PTR(smtp_add_recipient(m, NULL));
    smtp_recipient_t r1 = smtp_add_recipient(m, "one@example.org");
    smtp_recipient_t r2 = smtp_add_recipient(m, "two@example.org");
    smtp_recipient_t r3 = smtp_add_recipient(m, "one@example.org");
    EXPECT(r1 && r2 && r3 && r1 != r3);
    SHOW_INT(smtp_enumerate_recipients(m, enum_rcpt, &counter));
    SHOW_PTR(smtp_recipient_status(NULL));
    const smtp_status_t *st = smtp_recipient_status(r1);
    print_status("rcpt", st);
    EXPECT(st == smtp_recipient_status(r1));
    SHOW_INT(smtp_recipient_check_complete(NULL));
    SHOW_INT(smtp_recipient_check_complete(r1));
    SHOW_INT(smtp_recipient_reset_status(NULL));
    SHOW_INT(smtp_recipient_reset_status(r1));
    SHOW_INT(smtp_dsn_set_notify(NULL, Notify_SUCCESS));
    SHOW_INT(smtp_dsn_set_notify(r1, Notify_SUCCESS | Notify_DELAY));
    SHOW_INT(smtp_dsn_set_notify(r2, Notify_NEVER));
    SHOW_INT(smtp_dsn_set_notify(r2, 99));
    SHOW_INT(smtp_dsn_set_orcpt(NULL, "rfc822", "x@y"));
    SHOW_INT(smtp_dsn_set_orcpt(r1, "rfc822", "orig+x@example.org"));
    smtp_destroy_session(s);
}

static void etrn_tests(void) {
    smtp_session_t s = smtp_create_session();
    SHOW_PTR(smtp_etrn_add_node(NULL, '@', "example.org"));
    SHOW_PTR(smtp_etrn_add_node(s, 'x', "example.org"));
    SHOW_PTR(smtp_etrn_add_node(s, 0, NULL));
    smtp_etrn_node_t n1 = smtp_etrn_add_node(s, '@', "one.example");
    smtp_etrn_node_t n2 = smtp_etrn_add_node(s, 0, "two.example");
    EXPECT(n1 && n2);
    int counter = 0;
    SHOW_INT(smtp_etrn_enumerate_nodes(s, enum_node, &counter));
    SHOW_INT(smtp_etrn_enumerate_nodes(NULL, enum_node, &counter));
    SHOW_INT(smtp_etrn_enumerate_nodes(s, NULL, &counter));
    SHOW_PTR(smtp_etrn_node_status(NULL));
    print_status("node", smtp_etrn_node_status(n1));
    smtp_destroy_session(s);
}

static void appdata_tests(void) {
    static char sd[] = "session", sd2[] = "session2", md[] = "msg", md2[] = "msg2", rd[] = "rcpt",
                nd[] = "node";
    smtp_session_t s = smtp_create_session();
    smtp_message_t m = smtp_add_message(s);
    smtp_recipient_t r = smtp_add_recipient(m, "r@example.org");
    smtp_etrn_node_t n = smtp_etrn_add_node(s, '@', "example.org");

    smtp_set_application_data_release(NULL, sd, release_cb);
    printf("set_release(NULL) errno=%d\n", smtp_errno());
    SHOW_PTR(smtp_get_application_data(NULL));
    SHOW_PTR(smtp_message_get_application_data(NULL));
    SHOW_PTR(smtp_recipient_get_application_data(NULL));
    SHOW_PTR(smtp_etrn_get_application_data(NULL));
    SHOW_PTR(smtp_set_application_data(NULL, sd));

    smtp_set_application_data_release(s, sd, release_cb);
    smtp_set_application_data_release(s, sd, release_cb); /* same pointer: released once */
    printf("after same-pointer set: [%s]\n", release_log);
    smtp_set_application_data_release(s, sd2, release_cb);
    printf("after replace: [%s]\n", release_log);
    printf("get: %s\n", (char *)smtp_get_application_data(s));
    printf("deprecated set returns: %s\n", (char *)smtp_message_set_application_data(m, md));
    printf("deprecated set returns: %s\n", (char *)smtp_message_set_application_data(m, md2));
    smtp_message_set_application_data_release(m, md, release_cb);
    printf("after message set_release over deprecated: [%s]\n", release_log);
    printf("deprecated recipient set returns: %s\n", (char *)smtp_recipient_set_application_data(r, rd));
    printf("deprecated etrn set returns: %s\n", (char *)smtp_etrn_set_application_data(n, nd));
    printf("deprecated session set returns: %s\n", (char *)smtp_set_application_data(s, sd2));
    smtp_recipient_set_application_data_release(r, rd, release_cb);
    smtp_etrn_set_application_data_release(n, nd, release_cb);
    printf("gets: %s %s %s\n", (char *)smtp_message_get_application_data(m),
           (char *)smtp_recipient_get_application_data(r), (char *)smtp_etrn_get_application_data(n));
    release_log[0] = 0;
    smtp_destroy_session(s);
    printf("release order at destroy: [%s]\n", release_log);
}

static void hardened_tests(void) {
    /* Inputs that crash libESMTP 1.1; ours must fail cleanly. */
    smtp_session_t s = smtp_create_session();
    smtp_message_t m = smtp_add_message(s);
    smtp_recipient_t r = smtp_add_recipient(m, "r@example.org");
    EXPECT(smtp_enumerate_recipients(m, NULL, NULL) == 0 && smtp_errno() == SMTP_ERR_INVAL);
    EXPECT(smtp_dsn_set_envid(m, NULL) == 0 && smtp_errno() == SMTP_ERR_INVAL);
    EXPECT(smtp_dsn_set_orcpt(r, NULL, "x") == 0 && smtp_errno() == SMTP_ERR_INVAL);
    EXPECT(smtp_dsn_set_orcpt(r, "rfc822", NULL) == 0 && smtp_errno() == SMTP_ERR_INVAL);
    EXPECT(smtp_starttls_set_ctx(s, NULL) == 0 && smtp_errno() == SMTP_ERR_INVAL);
    /* CR/LF injection into anything that goes on the wire */
    EXPECT(smtp_set_reverse_path(m, "a@b>\r\nRCPT TO:<evil@x") == 0 && smtp_errno() == SMTP_ERR_INVAL);
    EXPECT(smtp_add_recipient(m, "a@b>\r\nDATA") == NULL && smtp_errno() == SMTP_ERR_INVAL);
    EXPECT(smtp_dsn_set_envid(m, "x\ny") == 0 && smtp_errno() == SMTP_ERR_INVAL);
    EXPECT(smtp_etrn_add_node(s, '@', "x\r\nQUIT") == NULL && smtp_errno() == SMTP_ERR_INVAL);
    EXPECT(smtp_set_hostname(s, "h\r\nMAIL FROM:<x>") == 0 && smtp_errno() == SMTP_ERR_INVAL);
    /* over-long address: refused up front instead of truncated on the wire */
    char longaddr[2000];
    memset(longaddr, 'a', sizeof longaddr - 1);
    longaddr[sizeof longaddr - 1] = 0;
    EXPECT(smtp_add_recipient(m, longaddr) == NULL && smtp_errno() == SMTP_ERR_INVAL);
    EXPECT(smtp_set_reverse_path(m, longaddr) == 0 && smtp_errno() == SMTP_ERR_INVAL);
    /* bracketed IPv6 literal (an addition) */
    EXPECT(smtp_set_server(s, "[::1]:2525") == 1);
    EXPECT(strcmp(smtp_get_server_name(s), "::1") == 0);
    smtp_destroy_session(s);
    printf("hardened tests done\n");
}

int main(int argc, char **argv) {
    int hardened = argc > 1 && strcmp(argv[1], "hardened") == 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (check_loaded_libesmtp() != 0)
        return 2;
    printf("errno at start %d\n", smtp_errno());
    version_tests();
    strerror_tests();
    session_tests();
    message_tests();
    recipient_tests();
    etrn_tests();
    appdata_tests();
    pthread_t t;
    pthread_create(&t, NULL, thread_errno, NULL);
    pthread_join(t, NULL);
    printf("main thread errno after thread: %d\n", smtp_errno());
    if (hardened)
        hardened_tests();
    printf("failures: %d\n", failures);
    return failures ? 1 : 0;
}
