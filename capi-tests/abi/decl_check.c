/* decl_check.c: ABI check that the Rust exports agree with the hand-kept
 * public headers. It includes include/libesmtp.h and include/auth-client.h
 * (with every conditional declaration enabled) and then the prototypes
 * that cbindgen generated from the Rust sources (esmtp-decls.h, see
 * cbindgen.toml). A Rust signature that differs from the header's
 * prototype makes the second declaration a "conflicting types" error.
 *
 * It also compares, member by member, the layout of the #[repr(C)] Rust
 * structs that the headers define too (esmtp-structs.h, renamed with an
 * esmtp_rs_ prefix by capi-tests/abi/cbindgen-structs.toml).
 *
 * Built by check.sh with -I include -I <dir of the generated files>
 * -Wall -Wextra -Werror -std=c11, plus -DHAVE_RS_SMTP_STATUS and
 * -DHAVE_RS_AUTH_CLIENT_REQUEST for the structs that cbindgen found in the
 * Rust sources (smtp_status is required). Compile-only.
 */
#define LIBESMTP_ENABLE_DEPRECATED_SYMBOLS 1
#include <openssl/ssl.h>        /* declares smtp_starttls_set_ctx */
#include <auth-client.h>        /* declares smtp_auth_set_context */
#include <libesmtp.h>

#include <stddef.h>

#include "esmtp-decls.h"
#include "esmtp-structs.h"

/* Same offset and same size for one member of a C and a Rust struct. */
#define SAME_MEMBER(c_type, rs_type, member)                               \
  _Static_assert (offsetof (c_type, member) == offsetof (rs_type, member) \
                  && sizeof (((c_type *) 0)->member)                      \
                     == sizeof (((rs_type *) 0)->member),                 \
                  #member " of " #c_type " differs in Rust")

#ifndef HAVE_RS_SMTP_STATUS
#error "the crate defines no #[repr(C)] struct smtp_status for smtp_status_t"
#else
_Static_assert (sizeof (struct smtp_status)
                == sizeof (struct esmtp_rs_smtp_status),
                "struct smtp_status has another size in Rust");
_Static_assert (_Alignof (struct smtp_status)
                == _Alignof (struct esmtp_rs_smtp_status),
                "struct smtp_status has another alignment in Rust");
SAME_MEMBER (struct smtp_status, struct esmtp_rs_smtp_status, code);
SAME_MEMBER (struct smtp_status, struct esmtp_rs_smtp_status, text);
SAME_MEMBER (struct smtp_status, struct esmtp_rs_smtp_status, enh_class);
SAME_MEMBER (struct smtp_status, struct esmtp_rs_smtp_status, enh_subject);
SAME_MEMBER (struct smtp_status, struct esmtp_rs_smtp_status, enh_detail);
#endif

#ifdef HAVE_RS_AUTH_CLIENT_REQUEST
_Static_assert (sizeof (struct auth_client_request)
                == sizeof (struct esmtp_rs_auth_client_request),
                "struct auth_client_request has another size in Rust");
SAME_MEMBER (struct auth_client_request,
             struct esmtp_rs_auth_client_request, name);
SAME_MEMBER (struct auth_client_request,
             struct esmtp_rs_auth_client_request, flags);
SAME_MEMBER (struct auth_client_request,
             struct esmtp_rs_auth_client_request, prompt);
SAME_MEMBER (struct auth_client_request,
             struct esmtp_rs_auth_client_request, size);
#endif

/* A translation unit must not be empty of definitions for some compilers;
 * this one also keeps -Wextra quiet about an unused file. */
int esmtp_rs_decl_check_marker (void);
int
esmtp_rs_decl_check_marker (void)
{
  return 0;
}
