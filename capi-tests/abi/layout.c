/* layout.c: ABI check that prints the layout of the public structs, the
 * size and signedness of every enum type, and the value of every enum
 * constant and numeric macro of libesmtp.h and auth-client.h.
 *
 * check.sh compiles it once against esmtp-rs's include/ and once against
 * libESMTP 1.1's installed headers; the two outputs must be identical.
 * A name missing from either header set is a compile error.
 */
#define LIBESMTP_ENABLE_DEPRECATED_SYMBOLS 1
#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>

#include <stddef.h>
#include <stdio.h>

#define SIZE(type) printf ("sizeof(%s) = %zu\n", #type, sizeof (type))
#define ALIGN(type) \
  printf ("_Alignof(%s) = %zu\n", #type, (size_t) _Alignof (type))
#define OFFSET(type, member)                            \
  printf ("offsetof(%s, %s) = %zu (size %zu)\n", #type, #member,  \
          offsetof (type, member), sizeof (((type *) 0)->member))
#define VALUE(name) printf ("%s = %ld\n", #name, (long) (name))
/* Size of an enum type and the integer type it is compatible with (GCC
 * picks unsigned int unless a constant is negative); that compatibility
 * decides whether a prototype using int instead of the enum conflicts. */
#define ENUM(tag)                                                       \
  printf ("sizeof(enum %s) = %zu, compatible with %s\n", #tag,          \
          sizeof (enum tag),                                            \
          _Generic ((enum tag) 0, int: "int", unsigned int: "unsigned int", \
                    default: "another type"))

int
main (void)
{
  /* Structs */
  SIZE (struct smtp_status);
  ALIGN (struct smtp_status);
  SIZE (smtp_status_t);
  OFFSET (struct smtp_status, code);
  OFFSET (struct smtp_status, text);
  OFFSET (struct smtp_status, enh_class);
  OFFSET (struct smtp_status, enh_subject);
  OFFSET (struct smtp_status, enh_detail);

  SIZE (struct auth_client_request);
  ALIGN (struct auth_client_request);
  OFFSET (struct auth_client_request, name);
  OFFSET (struct auth_client_request, flags);
  OFFSET (struct auth_client_request, prompt);
  OFFSET (struct auth_client_request, size);

  /* Handles and callback pointers */
  SIZE (smtp_session_t);
  SIZE (smtp_message_t);
  SIZE (smtp_recipient_t);
  SIZE (smtp_etrn_node_t);
  SIZE (auth_context_t);
  SIZE (auth_client_request_t);
  SIZE (smtp_enumerate_messagecb_t);
  SIZE (smtp_enumerate_recipientcb_t);
  SIZE (smtp_messagecb_t);
  SIZE (smtp_eventcb_t);
  SIZE (smtp_monitorcb_t);
  SIZE (smtp_starttls_passwordcb_t);
  SIZE (smtp_etrn_enumerate_nodecb_t);
  SIZE (auth_interact_t);
  SIZE (auth_response_t);
  SIZE (auth_recode_t);

  /* Enum types */
  ENUM (header_option);
  ENUM (rfc2822_timeouts);
  ENUM (ret_flags);
  ENUM (notify_flags);
  ENUM (e8bitmime_body);
  ENUM (by_mode);
  ENUM (starttls_option);

  /* Enum constants */
  VALUE (Ver_VERSION);
  VALUE (Ver_SO_VERSION);
  VALUE (Ver_LT_VERSION);
  VALUE (Hdr_OVERRIDE);
  VALUE (Hdr_PROHIBIT);
  VALUE (SMTP_EV_CONNECT);
  VALUE (SMTP_EV_MAILSTATUS);
  VALUE (SMTP_EV_RCPTSTATUS);
  VALUE (SMTP_EV_MESSAGEDATA);
  VALUE (SMTP_EV_MESSAGESENT);
  VALUE (SMTP_EV_DISCONNECT);
  VALUE (SMTP_EV_SYNTAXWARNING);
  VALUE (SMTP_EV_ETRNSTATUS);
  VALUE (SMTP_EV_EXTNA_DSN);
  VALUE (SMTP_EV_EXTNA_8BITMIME);
  VALUE (SMTP_EV_EXTNA_STARTTLS);
  VALUE (SMTP_EV_EXTNA_ETRN);
  VALUE (SMTP_EV_EXTNA_CHUNKING);
  VALUE (SMTP_EV_EXTNA_BINARYMIME);
  VALUE (SMTP_EV_DELIVERBY_EXPIRED);
  VALUE (SMTP_EV_WEAK_CIPHER);
  VALUE (SMTP_EV_STARTTLS_OK);
  VALUE (SMTP_EV_INVALID_PEER_CERTIFICATE);
  VALUE (SMTP_EV_NO_PEER_CERTIFICATE);
  VALUE (SMTP_EV_WRONG_PEER_CERTIFICATE);
  VALUE (SMTP_EV_NO_CLIENT_CERTIFICATE);
  VALUE (SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE);
  VALUE (SMTP_EV_UNUSABLE_CA_LIST);
  VALUE (Timeout_GREETING);
  VALUE (Timeout_ENVELOPE);
  VALUE (Timeout_DATA);
  VALUE (Timeout_TRANSFER);
  VALUE (Timeout_DATA2);
  VALUE (Ret_NOTSET);
  VALUE (Ret_FULL);
  VALUE (Ret_HDRS);
  VALUE (Notify_NOTSET);
  VALUE (Notify_NEVER);
  VALUE (Notify_SUCCESS);
  VALUE (Notify_FAILURE);
  VALUE (Notify_DELAY);
  VALUE (E8bitmime_NOTSET);
  VALUE (E8bitmime_7BIT);
  VALUE (E8bitmime_8BITMIME);
  VALUE (E8bitmime_BINARYMIME);
  VALUE (By_NOTSET);
  VALUE (By_NOTIFY);
  VALUE (By_RETURN);
  VALUE (Starttls_DISABLED);
  VALUE (Starttls_ENABLED);
  VALUE (Starttls_REQUIRED);

  /* Numeric macros of libesmtp.h */
  VALUE (Timeout_OVERRIDE_RFC2822_MINIMUM);
  VALUE (SMTP_ERR_NOTHING_TO_DO);
  VALUE (SMTP_ERR_DROPPED_CONNECTION);
  VALUE (SMTP_ERR_INVALID_RESPONSE_SYNTAX);
  VALUE (SMTP_ERR_STATUS_MISMATCH);
  VALUE (SMTP_ERR_INVALID_RESPONSE_STATUS);
  VALUE (SMTP_ERR_INVAL);
  VALUE (SMTP_ERR_EXTENSION_NOT_AVAILABLE);
  VALUE (SMTP_ERR_HOST_NOT_FOUND);
  VALUE (SMTP_ERR_NO_ADDRESS);
  VALUE (SMTP_ERR_NO_RECOVERY);
  VALUE (SMTP_ERR_TRY_AGAIN);
  VALUE (SMTP_ERR_EAI_AGAIN);
  VALUE (SMTP_ERR_EAI_FAIL);
  VALUE (SMTP_ERR_EAI_MEMORY);
  VALUE (SMTP_ERR_EAI_ADDRFAMILY);
  VALUE (SMTP_ERR_EAI_NODATA);
  VALUE (SMTP_ERR_EAI_FAMILY);
  VALUE (SMTP_ERR_EAI_BADFLAGS);
  VALUE (SMTP_ERR_EAI_NONAME);
  VALUE (SMTP_ERR_EAI_SERVICE);
  VALUE (SMTP_ERR_EAI_SOCKTYPE);
  VALUE (SMTP_ERR_UNTERMINATED_RESPONSE);
  VALUE (SMTP_ERR_CLIENT_ERROR);
  VALUE (SMTP_CB_READING);
  VALUE (SMTP_CB_WRITING);
  VALUE (SMTP_CB_HEADERS);

  /* Numeric macros of auth-client.h */
  VALUE (AUTH_USER);
  VALUE (AUTH_REALM);
  VALUE (AUTH_PASS);
  VALUE (AUTH_CLEARTEXT);
  VALUE (AUTH_PLUGIN_ANONYMOUS);
  VALUE (AUTH_PLUGIN_PLAIN);
  VALUE (AUTH_PLUGIN_EXTERNAL);
  return 0;
}
