/* libesmtp.h: public C interface of esmtp-rs, source-compatible with the
 * libesmtp.h of libESMTP 1.1 (libesmtp.so.6): same type names, struct
 * layouts, enum tags, constant values, macros, prototypes and conditional
 * declarations.
 *
 * esmtp-rs is a memory-safe, drop-in replacement for libESMTP 1.1. This
 * file was written for esmtp-rs from the project's specification. Unlike
 * the original it includes what it needs and can be used from C++.
 *
 * Conditional declarations, as in libESMTP 1.1:
 *   - smtp_starttls_set_ctx() is declared only if an OpenSSL header that
 *     defines SSL_SESSION_ASN1_VERSION (e.g. <openssl/ssl.h>) came first;
 *   - smtp_auth_set_context() is declared only if <auth-client.h> came
 *     first (its include guard _auth_client_h is tested);
 *   - the four deprecated smtp_*set_application_data() functions are
 *     declared only if LIBESMTP_ENABLE_DEPRECATED_SYMBOLS is defined.
 *
 * Conventions: int results are 1 on success and 0 on failure, pointer
 * results NULL on failure; smtp_errno() then tells why.
 */
#ifndef _libesmtp_h
/* Same guard name as libESMTP's header, so #ifdef tests keep working. */
#define _libesmtp_h

#include <stddef.h>     /* size_t */

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------
 * Handles. The structures are private to the library.
 * ------------------------------------------------------------------- */

typedef struct smtp_session *smtp_session_t;
typedef struct smtp_message *smtp_message_t;
typedef struct smtp_recipient *smtp_recipient_t;
typedef struct smtp_etrn_node *smtp_etrn_node_t;

/* A status as reported by the server for one command. The storage
 * belongs to the library. */
struct smtp_status
{
  int code;             /* three-digit SMTP reply code, 0 if none yet */
  char *text;           /* reply text, NUL-terminated */
  int enh_class;        /* enhanced status code (RFC 3463): class, */
  int enh_subject;      /*   subject */
  int enh_detail;       /*   and detail */
};
typedef struct smtp_status smtp_status_t;

/* ---------------------------------------------------------------------
 * Callback types
 * ------------------------------------------------------------------- */

/* Called once per message by smtp_enumerate_messages(). */
typedef void (*smtp_enumerate_messagecb_t) (smtp_message_t message,
                                            void *arg);
/* Called once per recipient by smtp_enumerate_recipients(). */
typedef void (*smtp_enumerate_recipientcb_t) (smtp_recipient_t recipient,
                                              const char *mailbox,
                                              void *arg);
/* Supplies the message text. len == NULL asks to rewind; otherwise return
 * the next block and store its length in *len (<= 0 at the end). *ctx is
 * a slot for the callback's state, released by the library with free(). */
typedef const char *(*smtp_messagecb_t) (void **ctx, int *len, void *arg);
/* Protocol events; the variadic arguments depend on event_no. */
typedef void (*smtp_eventcb_t) (smtp_session_t session, int event_no,
                                void *arg, ...);
/* Protocol monitor; writing is one of the SMTP_CB_* values. */
typedef void (*smtp_monitorcb_t) (const char *buf, int buflen,
                                  int writing, void *arg);
/* Pass phrase for the client certificate's private key (same shape as
 * OpenSSL's pem_password_cb). Returns the length stored in buf. */
typedef int (*smtp_starttls_passwordcb_t) (char *buf, int buflen,
                                           int rwflag, void *arg);
/* Called once per ETRN node by smtp_etrn_enumerate_nodes(). */
typedef void (*smtp_etrn_enumerate_nodecb_t) (smtp_etrn_node_t node,
                                              int option,
                                              const char *domain,
                                              void *arg);

/* ---------------------------------------------------------------------
 * Enumerations
 * ------------------------------------------------------------------- */

/* Selector for smtp_version(). */
enum
{
  Ver_VERSION,          /* package version, "1.1.0" */
  Ver_SO_VERSION,       /* shared object version, "6.2.0" */
  Ver_LT_VERSION        /* libtool interface version, "8:0:2" */
};

/* Options for smtp_set_header_option(). */
enum header_option
{
  Hdr_OVERRIDE,         /* replace the value found in the message */
  Hdr_PROHIBIT          /* strip the header from the message */
};

/* Event numbers passed to the smtp_eventcb_t callback. */
enum
{
  /* progress of the dialogue */
  SMTP_EV_CONNECT,
  SMTP_EV_MAILSTATUS,
  SMTP_EV_RCPTSTATUS,
  SMTP_EV_MESSAGEDATA,
  SMTP_EV_MESSAGESENT,
  SMTP_EV_DISCONNECT,
  SMTP_EV_SYNTAXWARNING,

  /* progress of extensions */
  SMTP_EV_ETRNSTATUS = 1000,

  /* a required extension is not offered by the server */
  SMTP_EV_EXTNA_DSN = 2000,
  SMTP_EV_EXTNA_8BITMIME,
  SMTP_EV_EXTNA_STARTTLS,
  SMTP_EV_EXTNA_ETRN,
  SMTP_EV_EXTNA_CHUNKING,
  SMTP_EV_EXTNA_BINARYMIME,

  /* extension-specific */
  SMTP_EV_DELIVERBY_EXPIRED = 3000,

  /* TLS */
  SMTP_EV_WEAK_CIPHER = 3100,
  SMTP_EV_STARTTLS_OK,
  SMTP_EV_INVALID_PEER_CERTIFICATE,
  SMTP_EV_NO_PEER_CERTIFICATE,
  SMTP_EV_WRONG_PEER_CERTIFICATE,
  SMTP_EV_NO_CLIENT_CERTIFICATE,
  SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE,
  SMTP_EV_UNUSABLE_CA_LIST
};

/* Timeout selector for smtp_set_timeout(); values are milliseconds. */
enum rfc2822_timeouts
{
  Timeout_GREETING,     /* greeting, EHLO/HELO and similar replies */
  Timeout_ENVELOPE,     /* MAIL and RCPT replies */
  Timeout_DATA,         /* reply to DATA */
  Timeout_TRANSFER,     /* sending the message text */
  Timeout_DATA2         /* reply after the end of the message */
};
/* OR this into the selector to go below the RFC 2822 recommended minimum. */
#define Timeout_OVERRIDE_RFC2822_MINIMUM 0x1000

/* DSN (RFC 3461): what a delivery report should contain. */
enum ret_flags
{
  Ret_NOTSET,           /* no RET parameter */
  Ret_FULL,             /* the whole message */
  Ret_HDRS              /* headers only */
};

/* DSN (RFC 3461): when to notify; SUCCESS, FAILURE and DELAY combine. */
enum notify_flags
{
  Notify_NOTSET,
  Notify_NEVER = -1,
  Notify_SUCCESS = 1,
  Notify_FAILURE = 2,
  Notify_DELAY = 4
};

/* 8BITMIME / BINARYMIME (RFC 6152, RFC 3030): declared body type. */
enum e8bitmime_body
{
  E8bitmime_NOTSET,
  E8bitmime_7BIT,
  E8bitmime_8BITMIME,
  E8bitmime_BINARYMIME
};

/* DELIVERBY (RFC 2852): what happens when the time runs out. */
enum by_mode
{
  By_NOTSET,
  By_NOTIFY,
  By_RETURN
};

/* STARTTLS (RFC 3207) policy. */
enum starttls_option
{
  Starttls_DISABLED,    /* never use TLS */
  Starttls_ENABLED,     /* use TLS when the server offers it */
  Starttls_REQUIRED     /* give up unless TLS can be used */
};

/* ---------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------- */

/* Copy the version string chosen by what (Ver_*) into buf. */
int smtp_version (void *buf, size_t len, int what);

/* ---------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------- */

smtp_session_t smtp_create_session (void);
/* "host" or "host:service"; the default service is 587. */
int smtp_set_server (smtp_session_t session, const char *hostport);
const char *smtp_get_server_name (smtp_session_t session);
/* Name for EHLO/HELO; NULL restores the default. */
int smtp_set_hostname (smtp_session_t session, const char *hostname);
/* which is an enum rfc2822_timeouts value, optionally OR-ed with
 * Timeout_OVERRIDE_RFC2822_MINIMUM. Returns the value now in effect. */
long smtp_set_timeout (smtp_session_t session, int which, long value);
int smtp_option_require_all_recipients (smtp_session_t session, int state);
int smtp_set_eventcb (smtp_session_t session, smtp_eventcb_t cb, void *arg);
int smtp_set_monitorcb (smtp_session_t session, smtp_monitorcb_t cb,
                        void *arg, int headers);
/* Connect, send everything pending, disconnect. */
int smtp_start_session (smtp_session_t session);
/* Free the session and every message, recipient and node in it. */
int smtp_destroy_session (smtp_session_t session);

/* ---------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------- */

smtp_message_t smtp_add_message (smtp_session_t session);
int smtp_enumerate_messages (smtp_session_t session,
                             smtp_enumerate_messagecb_t cb, void *arg);
/* Envelope sender; NULL or "" gives the null reverse path. */
int smtp_set_reverse_path (smtp_message_t message, const char *mailbox);
int smtp_set_messagecb (smtp_message_t message, smtp_messagecb_t cb,
                        void *arg);
const smtp_status_t *smtp_message_transfer_status (smtp_message_t message);
const smtp_status_t *smtp_reverse_path_status (smtp_message_t message);
int smtp_message_reset_status (smtp_message_t message);

/* Ready-made message callbacks; use them through the two macros below. */
const char *_smtp_message_fp_cb (void **ctx, int *len, void *arg);
const char *_smtp_message_str_cb (void **ctx, int *len, void *arg);
/* Read the message from a FILE * (rewound, never closed). */
#define smtp_set_message_fp(message, fp) \
  smtp_set_messagecb ((message), _smtp_message_fp_cb, (fp))
/* Read the message from a NUL-terminated string. */
#define smtp_set_message_str(message, str) \
  smtp_set_messagecb ((message), _smtp_message_str_cb, (str))

/* Message headers; the variadic arguments depend on the header name. */
int smtp_set_header (smtp_message_t message, const char *header, ...);
/* One int follows option. */
int smtp_set_header_option (smtp_message_t message, const char *header,
                            enum header_option option, ...);
int smtp_set_resent_headers (smtp_message_t message, int onoff);

/* ---------------------------------------------------------------------
 * Recipients
 * ------------------------------------------------------------------- */

smtp_recipient_t smtp_add_recipient (smtp_message_t message,
                                     const char *mailbox);
int smtp_enumerate_recipients (smtp_message_t message,
                               smtp_enumerate_recipientcb_t cb, void *arg);
const smtp_status_t *smtp_recipient_status (smtp_recipient_t recipient);
int smtp_recipient_check_complete (smtp_recipient_t recipient);
int smtp_recipient_reset_status (smtp_recipient_t recipient);

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

/* Error of the calling thread's last failed call: an SMTP_ERR_* value,
 * or a negated errno value. */
int smtp_errno (void);
/* Describe error in buf; returns buf, or NULL. */
char *smtp_strerror (int error, char buf[], size_t buflen);

/* ---------------------------------------------------------------------
 * Application data. The *_release variants call the previous release
 * function on the previous data; smtp_destroy_session calls them too.
 * ------------------------------------------------------------------- */

void smtp_set_application_data_release (smtp_session_t session, void *data,
                                        void (*release) (void *));
void *smtp_get_application_data (smtp_session_t session);
void smtp_message_set_application_data_release (smtp_message_t message,
                                                void *data,
                                                void (*release) (void *));
void *smtp_message_get_application_data (smtp_message_t message);
void smtp_recipient_set_application_data_release (smtp_recipient_t recipient,
                                                  void *data,
                                                  void (*release) (void *));
void *smtp_recipient_get_application_data (smtp_recipient_t recipient);
void smtp_etrn_set_application_data_release (smtp_etrn_node_t node,
                                             void *data,
                                             void (*release) (void *));
void *smtp_etrn_get_application_data (smtp_etrn_node_t node);

#ifdef LIBESMTP_ENABLE_DEPRECATED_SYMBOLS
/* Deprecated: store data without a release function; return the old. */
void *smtp_set_application_data (smtp_session_t session, void *data);
void *smtp_message_set_application_data (smtp_message_t message,
                                         void *data);
void *smtp_recipient_set_application_data (smtp_recipient_t recipient,
                                           void *data);
void *smtp_etrn_set_application_data (smtp_etrn_node_t node, void *data);
#endif

/* ---------------------------------------------------------------------
 * SMTP extensions
 * ------------------------------------------------------------------- */

/* DSN, RFC 3461 */
int smtp_dsn_set_ret (smtp_message_t message, enum ret_flags flags);
int smtp_dsn_set_envid (smtp_message_t message, const char *envid);
int smtp_dsn_set_notify (smtp_recipient_t recipient,
                         enum notify_flags flags);
int smtp_dsn_set_orcpt (smtp_recipient_t recipient,
                        const char *address_type, const char *address);

/* SIZE, RFC 1870 */
int smtp_size_set_estimate (smtp_message_t message, unsigned long size);

/* 8BITMIME, RFC 6152 */
int smtp_8bitmime_set_body (smtp_message_t message,
                            enum e8bitmime_body body);

/* DELIVERBY, RFC 2852 */
int smtp_deliverby_set_mode (smtp_message_t message, long time,
                             enum by_mode mode, int trace);

/* STARTTLS, RFC 3207 */
int smtp_starttls_enable (smtp_session_t session, enum starttls_option how);
#ifdef SSL_SESSION_ASN1_VERSION
/* Only with an OpenSSL header included first: use this SSL_CTX. */
int smtp_starttls_set_ctx (smtp_session_t session, SSL_CTX *ctx);
#endif
int smtp_starttls_set_password_cb (smtp_starttls_passwordcb_t cb, void *arg);

/* ETRN, RFC 1985. option is 0 or '@'. */
smtp_etrn_node_t smtp_etrn_add_node (smtp_session_t session, int option,
                                     const char *node);
int smtp_etrn_enumerate_nodes (smtp_session_t session,
                               smtp_etrn_enumerate_nodecb_t cb, void *arg);
const smtp_status_t *smtp_etrn_node_status (smtp_etrn_node_t node);

/* AUTH, RFC 4954. Only with <auth-client.h> included first. */
#ifdef _auth_client_h
int smtp_auth_set_context (smtp_session_t session, auth_context_t context);
#endif

#ifdef __cplusplus
}
#endif

/* ---------------------------------------------------------------------
 * Constants
 * ------------------------------------------------------------------- */

/* smtp_errno() values (negative values are negated errno values). */
#define SMTP_ERR_NOTHING_TO_DO           2
#define SMTP_ERR_DROPPED_CONNECTION      3
#define SMTP_ERR_INVALID_RESPONSE_SYNTAX 4
#define SMTP_ERR_STATUS_MISMATCH         5
#define SMTP_ERR_INVALID_RESPONSE_STATUS 6
#define SMTP_ERR_INVAL                   7
#define SMTP_ERR_EXTENSION_NOT_AVAILABLE 8
/* Name resolution failures (getaddrinfo's EAI_* codes, renumbered). */
#define SMTP_ERR_EAI_ADDRFAMILY          9
#define SMTP_ERR_EAI_NODATA              10
#define SMTP_ERR_EAI_FAIL                11
#define SMTP_ERR_EAI_AGAIN               12
#define SMTP_ERR_EAI_MEMORY              13
#define SMTP_ERR_EAI_FAMILY              14
#define SMTP_ERR_EAI_BADFLAGS            15
#define SMTP_ERR_EAI_NONAME              16
#define SMTP_ERR_EAI_SERVICE             17
#define SMTP_ERR_EAI_SOCKTYPE            18
#define SMTP_ERR_UNTERMINATED_RESPONSE   19
#define SMTP_ERR_CLIENT_ERROR            20
/* Older names, kept for source compatibility (deprecated). */
#define SMTP_ERR_HOST_NOT_FOUND          SMTP_ERR_EAI_ADDRFAMILY
#define SMTP_ERR_NO_ADDRESS              SMTP_ERR_EAI_NODATA
#define SMTP_ERR_NO_RECOVERY             SMTP_ERR_EAI_FAIL
#define SMTP_ERR_TRY_AGAIN               SMTP_ERR_EAI_AGAIN

/* The writing argument of smtp_monitorcb_t. */
#define SMTP_CB_READING                  0
#define SMTP_CB_WRITING                  1
#define SMTP_CB_HEADERS                  2

/* Argument-check helper that libESMTP 1.1's header makes public. It
 * refers to the library's internal set_error(), which is not exported,
 * so applications cannot really use it; it is defined only so that code
 * testing for it still compiles. */
#define SMTPAPI_CHECK_ARGS(test, ret) \
  do {                                \
    if (!(test)) {                    \
      set_error (SMTP_ERR_INVAL);     \
      return ret;                     \
    }                                 \
  } while (0)

#endif /* _libesmtp_h */
