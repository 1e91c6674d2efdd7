/* Every exported function called with NULL for each pointer argument and
 * with out-of-range enum values: ours must never crash and must report the
 * documented failure.  Runs against our library only (libESMTP 1.1 crashes
 * on several of these; see docs/compat.md). */
#define _DEFAULT_SOURCE 1
#define LIBESMTP_ENABLE_DEPRECATED_SYMBOLS 1
#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>
#include <stdio.h>
#include <string.h>

#include "loaded_lib.h"

static int failures, checks;
#define CHECK(cond)                                                  \
    do {                                                             \
        checks++;                                                    \
        if (!(cond)) {                                               \
            printf("FAILED line %d: %s (errno %d)\n", __LINE__, #cond, smtp_errno()); \
            failures++;                                              \
        }                                                            \
    } while (0)
#define INVAL(expr) CHECK((expr) == 0 && smtp_errno() == SMTP_ERR_INVAL)
#define INVAL_NULL(expr) CHECK((expr) == NULL && smtp_errno() == SMTP_ERR_INVAL)

static const char *msgcb(void **ctx, int *len, void *arg) {
    (void)ctx;
    (void)arg;
    if (len)
        *len = 0;
    return NULL;
}
static void evcb(smtp_session_t s, int ev, void *arg, ...) {
    (void)s;
    (void)ev;
    (void)arg;
}
static int pwcb(char *buf, int len, int rw, void *arg) {
    (void)buf;
    (void)len;
    (void)rw;
    (void)arg;
    return 0;
}

int main(void) {
    if (check_loaded_libesmtp() != 0)
        return 2;
    smtp_session_t s = smtp_create_session();
    smtp_message_t m = smtp_add_message(s);
    smtp_recipient_t r = smtp_add_recipient(m, "r@example.org");
    char buf[64];

    /* session */
    INVAL(smtp_set_server(NULL, NULL));
    INVAL(smtp_set_server(s, NULL));
    INVAL_NULL(smtp_get_server_name(NULL));
    INVAL(smtp_set_hostname(NULL, NULL));
    INVAL(smtp_set_timeout(NULL, 0, 1000));
    INVAL(smtp_set_timeout(s, -1, 1000));
    INVAL(smtp_set_timeout(s, 0x7fffffff, 1000));
    INVAL(smtp_set_timeout(s, 0, -1));
    INVAL(smtp_option_require_all_recipients(NULL, 1));
    INVAL(smtp_set_eventcb(NULL, evcb, NULL));
    INVAL(smtp_set_monitorcb(NULL, NULL, NULL, 1));
    INVAL(smtp_start_session(NULL));
    INVAL(smtp_destroy_session(NULL));
    INVAL(smtp_starttls_enable(NULL, Starttls_REQUIRED));
    CHECK(smtp_starttls_enable(s, (enum starttls_option)12345) == 1);
    CHECK(smtp_starttls_enable(s, Starttls_DISABLED) == 1);
    INVAL(smtp_starttls_set_ctx(NULL, NULL));
    INVAL(smtp_starttls_set_ctx(s, NULL));
    INVAL(smtp_starttls_set_password_cb(NULL, NULL));
    CHECK(smtp_starttls_set_password_cb(pwcb, NULL) == 1);
    INVAL(smtp_auth_set_context(NULL, NULL));
    INVAL_NULL(smtp_etrn_add_node(NULL, '@', "x"));
    INVAL_NULL(smtp_etrn_add_node(s, '@', NULL));
    INVAL_NULL(smtp_etrn_add_node(s, -1, "x"));
    INVAL(smtp_etrn_enumerate_nodes(NULL, NULL, NULL));
    INVAL(smtp_etrn_enumerate_nodes(s, NULL, NULL));
    INVAL_NULL(smtp_etrn_node_status(NULL));
    /* messages */
    INVAL_NULL(smtp_add_message(NULL));
    INVAL(smtp_enumerate_messages(NULL, NULL, NULL));
    INVAL(smtp_enumerate_messages(s, NULL, NULL));
    INVAL(smtp_set_reverse_path(NULL, NULL));
    INVAL(smtp_set_messagecb(NULL, msgcb, NULL));
    INVAL(smtp_set_messagecb(m, NULL, NULL));
    INVAL_NULL(smtp_message_transfer_status(NULL));
    INVAL_NULL(smtp_reverse_path_status(NULL));
    INVAL(smtp_message_reset_status(NULL));
    INVAL(smtp_dsn_set_ret(NULL, Ret_FULL));
    CHECK(smtp_dsn_set_ret(m, (enum ret_flags)99) == 1);
    INVAL(smtp_dsn_set_envid(NULL, "x"));
    INVAL(smtp_dsn_set_envid(m, NULL));
    INVAL(smtp_size_set_estimate(NULL, 1));
    INVAL(smtp_8bitmime_set_body(NULL, E8bitmime_8BITMIME));
    CHECK(smtp_8bitmime_set_body(m, (enum e8bitmime_body)77) == 1);
    INVAL(smtp_deliverby_set_mode(NULL, 1, By_NOTIFY, 0));
    CHECK(smtp_deliverby_set_mode(m, 1, (enum by_mode)99, 0) == 1);
    INVAL(smtp_set_header(NULL, "X-A", "v"));
    INVAL(smtp_set_header(m, NULL, "v"));
    INVAL(smtp_set_header_option(NULL, "X-A", Hdr_OVERRIDE, 1));
    INVAL(smtp_set_header_option(m, NULL, Hdr_OVERRIDE, 1));
    INVAL(smtp_set_resent_headers(NULL, 0));
    CHECK(smtp_set_header(m, "Cc", NULL, NULL) == 1);
    CHECK(smtp_set_header(m, "Sender", NULL, NULL) == 1);
    CHECK(smtp_set_header(m, "Date", NULL) == 1);
    CHECK(smtp_set_header(m, "From", "phrase", NULL) == 1);
    INVAL(smtp_set_header(m, "X-Evil", "a\r\nBcc: victim@example.org"));
    INVAL(smtp_set_header(m, "To", "x\r\ny", "a@b"));
    /* recipients */
    INVAL_NULL(smtp_add_recipient(NULL, "x"));
    INVAL_NULL(smtp_add_recipient(m, NULL));
    INVAL(smtp_enumerate_recipients(NULL, NULL, NULL));
    INVAL(smtp_enumerate_recipients(m, NULL, NULL));
    INVAL_NULL(smtp_recipient_status(NULL));
    INVAL(smtp_recipient_check_complete(NULL));
    INVAL(smtp_recipient_reset_status(NULL));
    INVAL(smtp_dsn_set_notify(NULL, Notify_SUCCESS));
    CHECK(smtp_dsn_set_notify(r, (enum notify_flags)0x7fff) == 1);
    INVAL(smtp_dsn_set_orcpt(NULL, "rfc822", "x"));
    INVAL(smtp_dsn_set_orcpt(r, NULL, "x"));
    INVAL(smtp_dsn_set_orcpt(r, "rfc822", NULL));
    /* application data */
    smtp_set_application_data_release(NULL, NULL, NULL);
    smtp_message_set_application_data_release(NULL, NULL, NULL);
    smtp_recipient_set_application_data_release(NULL, NULL, NULL);
    smtp_etrn_set_application_data_release(NULL, NULL, NULL);
    INVAL_NULL(smtp_set_application_data(NULL, NULL));
    INVAL_NULL(smtp_message_set_application_data(NULL, NULL));
    INVAL_NULL(smtp_recipient_set_application_data(NULL, NULL));
    INVAL_NULL(smtp_etrn_set_application_data(NULL, NULL));
    INVAL_NULL(smtp_get_application_data(NULL));
    INVAL_NULL(smtp_message_get_application_data(NULL));
    INVAL_NULL(smtp_recipient_get_application_data(NULL));
    INVAL_NULL(smtp_etrn_get_application_data(NULL));
    /* errors, version */
    INVAL_NULL(smtp_strerror(0, NULL, 10));
    INVAL_NULL(smtp_strerror(0, buf, 0));
    CHECK(smtp_strerror(-2147483647 - 1, buf, sizeof buf) == buf);
    CHECK(smtp_strerror(2147483647, buf, sizeof buf) == buf);
    INVAL(smtp_version(NULL, 10, 0));
    INVAL(smtp_version(buf, sizeof buf, 99));
    INVAL(smtp_version(buf, sizeof buf, -1));
    /* standard callbacks with NULL pointers must not crash */
    int len = 0;
    CHECK(_smtp_message_str_cb(NULL, &len, NULL) == NULL);
    CHECK(_smtp_message_fp_cb(NULL, &len, NULL) == NULL);
    /* auth-client: NULL contexts return failure, never touch smtp_errno */
    CHECK(auth_destroy_context(NULL) == 0);
    CHECK(auth_set_mechanism_flags(NULL, 0, 0) == 0);
    CHECK(auth_set_mechanism_ssf(NULL, 0) == 0);
    CHECK(auth_set_interact_cb(NULL, NULL, NULL) == 0);
    CHECK(auth_client_enabled(NULL) == 0);
    CHECK(auth_set_mechanism(NULL, "PLAIN") == 0);
    CHECK(auth_mechanism_name(NULL) == NULL);
    CHECK(auth_response(NULL, NULL, NULL) == NULL);
    CHECK(auth_get_ssf(NULL) == -1);
    CHECK(auth_set_external_id(NULL, "x") == 0);
    auth_context_t a = auth_create_context();
    CHECK(a != NULL);
    CHECK(auth_set_mechanism(a, NULL) == 0);
    CHECK(auth_response(a, NULL, NULL) == NULL);
    CHECK(auth_set_mechanism(a, "NO-SUCH-MECHANISM") == 0);
    char *dst = NULL;
    int dstlen = 0;
    auth_encode(&dst, &dstlen, "x", 1, NULL);
    auth_decode(&dst, &dstlen, "x", 1, NULL);
    CHECK(auth_destroy_context(a) == 1);

    CHECK(smtp_destroy_session(s) == 1);
    printf("null sweep: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
