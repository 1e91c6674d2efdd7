/* conditional.c: ABI check of libesmtp.h's conditional declarations.
 *
 * check.sh compiles this file several times with
 * -Werror=implicit-function-declaration, choosing with -D what comes
 * before or after libesmtp.h and which conditional function to call; each
 * case must compile, or fail with "implicit declaration of function NAME",
 * exactly as it does with libESMTP 1.1's own headers:
 *
 *   SSL_FIRST / SSL_AFTER      include <openssl/ssl.h> before / after
 *   AUTH_FIRST / AUTH_AFTER    include <auth-client.h> before / after
 *   DEPRECATED                 define LIBESMTP_ENABLE_DEPRECATED_SYMBOLS
 *   CALL_SET_CTX               call smtp_starttls_set_ctx
 *   CALL_AUTH_SET_CONTEXT      call smtp_auth_set_context
 *   CALL_DEP_SESSION, CALL_DEP_MESSAGE, CALL_DEP_RECIPIENT, CALL_DEP_ETRN
 *                              call one of the four deprecated
 *                              *_set_application_data functions
 *   CALL_PLAIN                 call an unconditional function only
 */
#ifdef DEPRECATED
#define LIBESMTP_ENABLE_DEPRECATED_SYMBOLS 1
#endif
#ifdef SSL_FIRST
#include <openssl/ssl.h>
#endif
#ifdef AUTH_FIRST
#include <auth-client.h>
#endif

#include <libesmtp.h>

#ifdef SSL_AFTER
#include <openssl/ssl.h>
#endif
#ifdef AUTH_AFTER
#include <auth-client.h>
#endif

#include <stddef.h>

int
main (void)
{
  smtp_session_t session = NULL;
  int result = 0;

  if (session != NULL)          /* compile-time check only */
    {
#ifdef CALL_SET_CTX
      result += smtp_starttls_set_ctx (session, NULL);
#endif
#ifdef CALL_AUTH_SET_CONTEXT
      result += smtp_auth_set_context (session, NULL);
#endif
#ifdef CALL_DEP_SESSION
      (void) smtp_set_application_data (session, NULL);
#endif
#ifdef CALL_DEP_MESSAGE
      (void) smtp_message_set_application_data (NULL, NULL);
#endif
#ifdef CALL_DEP_RECIPIENT
      (void) smtp_recipient_set_application_data (NULL, NULL);
#endif
#ifdef CALL_DEP_ETRN
      (void) smtp_etrn_set_application_data (NULL, NULL);
#endif
#ifdef CALL_PLAIN
      result += smtp_destroy_session (session);
#endif
    }
  return result;
}
