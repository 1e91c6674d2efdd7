// cxx_compile.cc: ABI check that libESMTP's public headers can be used
// from C++: both headers compile under g++ -Wall -Wextra -Werror, their
// declarations get C linkage (extern "C"), and the conditional
// declarations behave as in C. Compiled and linked, never run.
#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>

#include <cstdio>

static_assert(sizeof(smtp_status_t) == 32, "struct smtp_status layout");
static_assert(sizeof(struct auth_client_request) == 32,
              "struct auth_client_request layout");

// Taking addresses forces references to the C symbols; a missing extern
// "C" would show up as an undefined mangled name at link time.
static void (*const functions[])() = {
  reinterpret_cast<void (*)()>(&smtp_create_session),
  reinterpret_cast<void (*)()>(&smtp_set_header),
  reinterpret_cast<void (*)()>(&smtp_set_header_option),
  reinterpret_cast<void (*)()>(&smtp_starttls_set_ctx),
  reinterpret_cast<void (*)()>(&smtp_auth_set_context),
  reinterpret_cast<void (*)()>(&_smtp_message_fp_cb),
  reinterpret_cast<void (*)()>(&auth_create_context),
  reinterpret_cast<void (*)()>(&auth_encode),
};

int main(int argc, char **)
{
  if (argc > 100) {           // never true: link check only
    smtp_session_t s = smtp_create_session();
    smtp_message_t m = smtp_add_message(s);
    smtp_set_message_str(m, const_cast<char *>("Subject: x\r\n\r\n"));
    smtp_set_header(m, "To", "Name", "to@example.org");
    smtp_set_header_option(m, "Date", Hdr_OVERRIDE, 1);
    smtp_dsn_set_ret(m, Ret_FULL);
    smtp_starttls_enable(s, Starttls_REQUIRED);
    smtp_auth_set_context(s, auth_create_context());
    smtp_destroy_session(s);
  }
  std::printf("%d\n", static_cast<int>(sizeof functions / sizeof functions[0])
                      + SMTP_ERR_INVAL - 7);
  return 0;
}
