/* compile_all.c: ABI check that calls every one of the 71 exported
 * functions of libesmtp.so.6 and expands every macro of the public
 * headers. It must compile with -Wall -Wextra -Werror -std=c11 against
 * esmtp-rs's include/ and against libESMTP 1.1's own headers (proving it
 * is valid libESMTP code), and link against both libraries.
 *
 * Running it is optional: it makes no network connection (no message is
 * ever queued for sending), and exits 0 when every call returned what
 * libESMTP 1.1 documents; otherwise it names the first unexpected result.
 */

/* Everything that makes libesmtp.h declare more must come first. */
#define LIBESMTP_ENABLE_DEPRECATED_SYMBOLS 1
#include <openssl/ssl.h>        /* defines SSL_SESSION_ASN1_VERSION */
#include <auth-client.h>        /* defines _auth_client_h */
#include <libesmtp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(_libesmtp_h) || !defined(_auth_client_h)
#error "the include guards of libESMTP's headers must be defined"
#endif

static int failures;

#define EXPECT(cond)                                                    \
  do {                                                                  \
    if (!(cond)) {                                                      \
      fprintf (stderr, "compile_all: line %d: %s\n", __LINE__, #cond);  \
      failures++;                                                       \
    }                                                                   \
  } while (0)

/* SMTPAPI_CHECK_ARGS expands to a call of set_error(); supply one so the
 * macro can be used (libESMTP keeps its own copy private). */
static int last_error;
static void
set_error (int code)
{
  last_error = code;
}

static int
checked (const void *p)
{
  SMTPAPI_CHECK_ARGS (p != NULL, 0);
  return 1;
}

/* ----- callbacks of every public callback type ----- */

static void
on_message (smtp_message_t message, void *arg)
{
  (void) message;
  ++*(int *) arg;
}

static void
on_recipient (smtp_recipient_t recipient, const char *mailbox, void *arg)
{
  (void) recipient;
  (void) mailbox;
  ++*(int *) arg;
}

static void
on_node (smtp_etrn_node_t node, int option, const char *domain, void *arg)
{
  (void) node;
  (void) option;
  (void) domain;
  ++*(int *) arg;
}

static void
on_event (smtp_session_t session, int event_no, void *arg, ...)
{
  (void) session;
  (void) event_no;
  (void) arg;
}

static void
on_monitor (const char *buf, int buflen, int writing, void *arg)
{
  (void) buf;
  (void) buflen;
  (void) arg;
  EXPECT (writing == SMTP_CB_READING || writing == SMTP_CB_WRITING
          || writing == SMTP_CB_HEADERS);
}

static int
on_password (char *buf, int buflen, int rwflag, void *arg)
{
  (void) rwflag;
  (void) arg;
  if (buflen < 1)
    return 0;
  buf[0] = '\0';
  return 0;
}

static const char *
my_messagecb (void **ctx, int *len, void *arg)
{
  (void) ctx;
  (void) arg;
  if (len != NULL)
    *len = 0;
  return NULL;
}

static int
on_interact (auth_client_request_t request, char **result, int fields,
             void *arg)
{
  int i;
  (void) arg;
  for (i = 0; i < fields; i++)
    result[i] = (request[i].flags & AUTH_PASS) ? (char *) "secret"
                                               : (char *) "user";
  return 1;
}

static void
release (void *data)
{
  (void) data;
}

/* Types that no function takes, used so that they are compiled too. */
static auth_response_t response_fn;
static auth_recode_t recode_fn;

int
main (void)
{
  static const long macros[] = {
    Timeout_OVERRIDE_RFC2822_MINIMUM,
    SMTP_ERR_NOTHING_TO_DO, SMTP_ERR_DROPPED_CONNECTION,
    SMTP_ERR_INVALID_RESPONSE_SYNTAX, SMTP_ERR_STATUS_MISMATCH,
    SMTP_ERR_INVALID_RESPONSE_STATUS, SMTP_ERR_INVAL,
    SMTP_ERR_EXTENSION_NOT_AVAILABLE,
    SMTP_ERR_HOST_NOT_FOUND, SMTP_ERR_NO_ADDRESS, SMTP_ERR_NO_RECOVERY,
    SMTP_ERR_TRY_AGAIN,
    SMTP_ERR_EAI_AGAIN, SMTP_ERR_EAI_FAIL, SMTP_ERR_EAI_MEMORY,
    SMTP_ERR_EAI_ADDRFAMILY, SMTP_ERR_EAI_NODATA, SMTP_ERR_EAI_FAMILY,
    SMTP_ERR_EAI_BADFLAGS, SMTP_ERR_EAI_NONAME, SMTP_ERR_EAI_SERVICE,
    SMTP_ERR_EAI_SOCKTYPE, SMTP_ERR_UNTERMINATED_RESPONSE,
    SMTP_ERR_CLIENT_ERROR,
    SMTP_CB_READING, SMTP_CB_WRITING, SMTP_CB_HEADERS,
    AUTH_USER, AUTH_REALM, AUTH_PASS, AUTH_CLEARTEXT,
    AUTH_PLUGIN_ANONYMOUS, AUTH_PLUGIN_PLAIN, AUTH_PLUGIN_EXTERNAL,
  };
  char buf[64];
  int count, len;
  void *ctx;
  FILE *fp;
  SSL_CTX *ssl_ctx;
  smtp_session_t session;
  smtp_message_t message;
  smtp_recipient_t recipient;
  smtp_etrn_node_t node;
  auth_context_t auth;
  const smtp_status_t *status;
  static int appdata;

  EXPECT (sizeof macros / sizeof macros[0] == 34);
  EXPECT (!checked (NULL) && last_error == SMTP_ERR_INVAL);
  EXPECT (checked (buf));
  EXPECT (response_fn == NULL && recode_fn == NULL);

  /* Version and errors */
  EXPECT (smtp_version (buf, sizeof buf, Ver_VERSION) == 1);
  EXPECT (smtp_version (buf, sizeof buf, Ver_SO_VERSION) == 1);
  EXPECT (smtp_version (buf, sizeof buf, Ver_LT_VERSION) == 1);
  EXPECT (smtp_strerror (SMTP_ERR_INVAL, buf, sizeof buf) != NULL);

  /* SASL client */
  auth_client_init ();
  auth = auth_create_context ();
  EXPECT (auth != NULL);
  EXPECT (auth_set_mechanism_flags (auth, AUTH_PLUGIN_PLAIN, 0) == 1);
  EXPECT (auth_set_mechanism_ssf (auth, 0) == 1);
  EXPECT (auth_set_interact_cb (auth, on_interact, NULL) == 1);
  EXPECT (auth_client_enabled (auth) == 1);
  EXPECT (auth_set_external_id (auth, "me") == 1);
  EXPECT (auth_set_mechanism (auth, "PLAIN") == 1);
  EXPECT (auth_mechanism_name (auth) != NULL);
  EXPECT (auth_get_ssf (auth) == 0);
  len = 0;
  (void) auth_response (auth, NULL, &len);
  {
    char *out = NULL;
    int outlen = 0;
    auth_encode (&out, &outlen, "x", 1, auth);
    auth_decode (&out, &outlen, "x", 1, auth);
  }

  /* Session */
  session = smtp_create_session ();
  EXPECT (session != NULL);
  EXPECT (smtp_set_server (session, "127.0.0.1:25") == 1);
  EXPECT (smtp_get_server_name (session) != NULL);
  EXPECT (smtp_set_hostname (session, "client.example") == 1);
  EXPECT (smtp_set_timeout (session,
                            Timeout_GREETING
                            | Timeout_OVERRIDE_RFC2822_MINIMUM, 1500)
          == 1500);
  EXPECT (smtp_set_timeout (session, Timeout_ENVELOPE, 1) == 300000);
  EXPECT (smtp_option_require_all_recipients (session, 1) == 1);
  EXPECT (smtp_set_eventcb (session, on_event, NULL) == 1);
  EXPECT (smtp_set_monitorcb (session, on_monitor, NULL, 1) == 1);
  EXPECT (smtp_auth_set_context (session, auth) == 1);
  EXPECT (smtp_starttls_enable (session, Starttls_ENABLED) == 1);
  EXPECT (smtp_starttls_set_password_cb (on_password, NULL) == 1);
  ssl_ctx = SSL_CTX_new (TLS_client_method ());
  if (ssl_ctx != NULL)
    {
      EXPECT (smtp_starttls_set_ctx (session, ssl_ctx) == 1);
      SSL_CTX_free (ssl_ctx);
    }
  /* Nothing queued yet: no connection is attempted. */
  EXPECT (smtp_start_session (session) == 0
          && smtp_errno () == SMTP_ERR_NOTHING_TO_DO);

  /* Message */
  message = smtp_add_message (session);
  EXPECT (message != NULL);
  EXPECT (smtp_set_reverse_path (message, "from@example.org") == 1);
  EXPECT (smtp_set_messagecb (message, my_messagecb, NULL) == 1);
  EXPECT (smtp_set_message_str (message, (void *) "Subject: x\r\n\r\nhi\r\n")
          == 1);
  fp = tmpfile ();
  if (fp != NULL)
    EXPECT (smtp_set_message_fp (message, fp) == 1);
  EXPECT (smtp_set_header (message, "X-Test", "value") == 1);
  EXPECT (smtp_set_header_option (message, "X-Mailer", Hdr_PROHIBIT, 1)
          == 1);
  EXPECT (smtp_set_resent_headers (message, 0) == 1);
  EXPECT (smtp_dsn_set_ret (message, Ret_HDRS) == 1);
  EXPECT (smtp_dsn_set_envid (message, "envid") == 1);
  EXPECT (smtp_size_set_estimate (message, 1024UL) == 1);
  EXPECT (smtp_8bitmime_set_body (message, E8bitmime_8BITMIME) == 1);
  EXPECT (smtp_deliverby_set_mode (message, 60L, By_NOTIFY, 0) == 1);
  status = smtp_message_transfer_status (message);
  EXPECT (status != NULL && status->code == 0);
  status = smtp_reverse_path_status (message);
  EXPECT (status != NULL && status->text == NULL);
  EXPECT (smtp_message_reset_status (message) == 1);
  count = 0;
  EXPECT (smtp_enumerate_messages (session, on_message, &count) == 1
          && count == 1);

  /* Recipient (none is added, so nothing would be sent) */
  count = 0;
  EXPECT (smtp_enumerate_recipients (message, on_recipient, &count) == 1
          && count == 0);
  recipient = NULL;
  if (count < 0)                /* never: keeps the message unsendable */
    recipient = smtp_add_recipient (message, "to@example.org");
  EXPECT (smtp_recipient_status (recipient) == NULL);
  EXPECT (smtp_recipient_check_complete (recipient) == 0);
  EXPECT (smtp_recipient_reset_status (recipient) == 0);
  EXPECT (smtp_dsn_set_notify (recipient, Notify_SUCCESS | Notify_FAILURE)
          == 0);
  EXPECT (smtp_dsn_set_orcpt (recipient, "rfc822", "to@example.org") == 0);
  EXPECT (smtp_recipient_set_application_data (recipient, NULL) == NULL);
  smtp_recipient_set_application_data_release (recipient, NULL, release);
  EXPECT (smtp_recipient_get_application_data (recipient) == NULL);
  EXPECT (smtp_errno () == SMTP_ERR_INVAL);

  /* ETRN */
  node = smtp_etrn_add_node (session, '@', "example.org");
  EXPECT (node != NULL);
  count = 0;
  EXPECT (smtp_etrn_enumerate_nodes (session, on_node, &count) == 1
          && count == 1);
  status = smtp_etrn_node_status (node);
  EXPECT (status != NULL && status->code == 0);

  /* Application data */
  EXPECT (smtp_set_application_data (session, &appdata) == NULL);
  smtp_set_application_data_release (session, &appdata, release);
  EXPECT (smtp_get_application_data (session) == &appdata);
  EXPECT (smtp_message_set_application_data (message, &appdata) == NULL);
  smtp_message_set_application_data_release (message, &appdata, release);
  EXPECT (smtp_message_get_application_data (message) == &appdata);
  EXPECT (smtp_etrn_set_application_data (node, &appdata) == NULL);
  smtp_etrn_set_application_data_release (node, &appdata, release);
  EXPECT (smtp_etrn_get_application_data (node) == &appdata);

  /* The standard message callbacks, called directly. */
  ctx = NULL;
  (void) _smtp_message_str_cb (&ctx, NULL, (void *) "abc");
  EXPECT (_smtp_message_str_cb (&ctx, &len, (void *) "abc") != NULL
          && len == 3);
  free (ctx);
  if (fp != NULL)
    {
      ctx = NULL;
      (void) _smtp_message_fp_cb (&ctx, NULL, fp);
      (void) _smtp_message_fp_cb (&ctx, &len, fp);
      EXPECT (len == 0);
      free (ctx);
    }

  /* Tear-down: the session first, the auth context it borrowed after. */
  EXPECT (smtp_destroy_session (session) == 1);
  if (fp != NULL)
    fclose (fp);
  EXPECT (auth_destroy_context (auth) == 1);
  auth_client_exit ();

  if (failures != 0)
    {
      fprintf (stderr, "compile_all: %d unexpected results\n", failures);
      return 1;
    }
  return 0;
}
