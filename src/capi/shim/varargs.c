/* The two variadic entry points of libESMTP; everything else is Rust.
 *
 * Each entry point hands a pointer to its va_list to a non-variadic Rust
 * function (src/capi/headers.rs), which decides from the header table how
 * many arguments to pull, and of which type, with the two helpers below.
 * Helper names must not match the exported patterns (smtp_*, _smtp_*,
 * auth_*). Types match libESMTP 1.1's libesmtp.h.
 */
#include <stdarg.h>

typedef struct smtp_message *smtp_message_t;

enum header_option
  {
    Hdr_OVERRIDE,
    Hdr_PROHIBIT
  };

/* Defined in Rust. */
int esmtp_set_header_va (smtp_message_t message, const char *header,
                         va_list *ap);
int esmtp_set_header_option_va (smtp_message_t message, const char *header,
                                int option, va_list *ap);

/* Called from Rust. */
const void *esmtp_va_ptr (va_list *ap);
int esmtp_va_int (va_list *ap);

/* Exported. */
int smtp_set_header (smtp_message_t message, const char *header, ...);
int smtp_set_header_option (smtp_message_t message, const char *header,
                            enum header_option option, ...);

int
smtp_set_header (smtp_message_t message, const char *header, ...)
{
  va_list ap;
  int ret;

  va_start (ap, header);
  ret = esmtp_set_header_va (message, header, &ap);
  va_end (ap);
  return ret;
}

int
smtp_set_header_option (smtp_message_t message, const char *header,
                        enum header_option option, ...)
{
  va_list ap;
  int ret;

  va_start (ap, option);
  ret = esmtp_set_header_option_va (message, header, (int) option, &ap);
  va_end (ap);
  return ret;
}

/* The next argument as a pointer (const char *, const time_t *). */
const void *
esmtp_va_ptr (va_list *ap)
{
  return va_arg (*ap, const void *);
}

/* The next argument as an int. */
int
esmtp_va_int (va_list *ap)
{
  return va_arg (*ap, int);
}
