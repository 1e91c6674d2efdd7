/* auth_probe.c - the auth-client API without a network, printed line by
 * line so that Debian's libESMTP 1.1.0 and esmtp-rs can be diffed.
 *
 * Lines starting with "~Qnn " are expected to differ (a deliberate change,
 * named by the quirk number of tls-auth.md §12); run.sh drops them from the
 * diff and checks that they still do differ.
 *
 * Usage: auth_probe            common part (run against both libraries)
 *        auth_probe hardened   cases that crash libESMTP (ours only)
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <auth-client.h>
#include <libesmtp.h>
#include "../unit/loaded_lib.h"

static int calls;
static int refuse;
static int null_answers;
static char *big_answer;

static void
dump (const char *what, const char *p, int len)
{
  int i;

  if (p == NULL)
    {
      printf ("%s -> NULL (len=%d)\n", what, len);
      return;
    }
  printf ("%s -> len=%d hex=", what, len);
  for (i = 0; i < len; i++)
    printf ("%02x", (unsigned char) p[i]);
  printf ("\n");
}

static int
interact (auth_client_request_t req, char **result, int fields, void *arg)
{
  static char user[] = "tim", realm[] = "", pass[] = "tanstaaftanstaaf";
  int i;

  calls++;
  printf ("  interact #%d fields=%d arg=%s\n", calls, fields, (char *) arg);
  for (i = 0; i < fields; i++)
    {
      printf ("    [%d] name=\"%s\" flags=0x%x prompt=\"%s\" size=%u\n", i,
              req[i].name, req[i].flags, req[i].prompt, req[i].size);
      if (null_answers)
        result[i] = NULL;
      else if (big_answer != NULL)
        result[i] = big_answer;
      else if (req[i].flags & AUTH_USER)
        result[i] = user;
      else if (req[i].flags & AUTH_PASS)
        result[i] = pass;
      else
        result[i] = realm;
    }
  return !refuse;
}

static void
mech (auth_context_t ctx, const char *name)
{
  printf ("auth_set_mechanism(%s) -> %d\n", name, auth_set_mechanism (ctx, name));
}

static const char *
str (const char *s)
{
  return s ? s : "NULL";
}

static int
common (void)
{
  auth_context_t ctx;
  const char *r;
  int len;
  static const char cram_chal[] = "<1896.697170952@postoffice.reston.mci.net>";
  char t2[40] = "NTLMSSP";

  auth_client_init ();
  ctx = auth_create_context ();
  printf ("auth_create_context -> %s\n", ctx ? "ctx" : "NULL");
  printf ("auth_client_enabled(NULL) -> %d\n", auth_client_enabled (NULL));
  printf ("auth_client_enabled(ctx) -> %d\n", auth_client_enabled (ctx));
  printf ("auth_mechanism_name -> %s\n", str (auth_mechanism_name (ctx)));
  printf ("auth_get_ssf -> %d\n", auth_get_ssf (ctx));
  len = -7;
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(no mechanism)", r, len);

  mech (ctx, "PLAIN");
  mech (ctx, "LOGIN");
  mech (ctx, "NTLM");
  mech (ctx, "EXTERNAL");
  mech (ctx, "ANONYMOUS");
  mech (ctx, "DIGEST-MD5");
  mech (ctx, "XOAUTH2");
  mech (ctx, "sasl/../x");
  printf ("auth_mechanism_name -> %s\n", str (auth_mechanism_name (ctx)));
  printf ("auth_set_mechanism(NULL name) -> %d\n", auth_set_mechanism (ctx, NULL));
  printf ("auth_set_mechanism(NULL ctx) -> %d\n", auth_set_mechanism (NULL, "NTLM"));

  printf ("auth_set_mechanism_flags(PLAIN,0) -> %d\n",
          auth_set_mechanism_flags (ctx, AUTH_PLUGIN_PLAIN, 0));
  mech (ctx, "PLAIN");
  mech (ctx, "login");
  printf ("auth_mechanism_name -> %s\n", str (auth_mechanism_name (ctx)));
  printf ("auth_set_mechanism_ssf(1) -> %d\n", auth_set_mechanism_ssf (ctx, 1));
  mech (ctx, "NTLM");
  mech (ctx, "PLAIN");
  printf ("auth_mechanism_name after refused set -> %s\n",
          str (auth_mechanism_name (ctx)));
  printf ("auth_set_mechanism_ssf(0) -> %d\n", auth_set_mechanism_ssf (ctx, 0));

  printf ("auth_set_mechanism_flags(EXTERNAL,0) -> %d\n",
          auth_set_mechanism_flags (ctx, AUTH_PLUGIN_EXTERNAL, 0));
  mech (ctx, "EXTERNAL");
  printf ("auth_set_external_id -> %d\n",
          auth_set_external_id (ctx, "user@example.org"));
  mech (ctx, "external");
  printf ("auth_mechanism_name -> %s\n", str (auth_mechanism_name (ctx)));
  printf ("auth_get_ssf -> %d\n", auth_get_ssf (ctx));
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(EXTERNAL, NULL) no interact cb", r, len);
  len = 0;
  r = auth_response (ctx, "", &len);
  dump ("auth_response(EXTERNAL, \"\")", r, len);
  r = auth_response (ctx, NULL, NULL);
  printf ("auth_response(len NULL) -> %s\n", r ? "non-NULL" : "NULL");
  printf ("auth_set_mechanism_flags(0,EXTERNAL) -> %d\n",
          auth_set_mechanism_flags (ctx, 0, AUTH_PLUGIN_EXTERNAL));
  mech (ctx, "EXTERNAL");
  printf ("auth_set_external_id(\"\") -> %d\n", auth_set_external_id (ctx, ""));
  mech (ctx, "EXTERNAL");
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(EXTERNAL empty id)", r, len);
  printf ("auth_set_external_id(NULL) -> %d\n", auth_set_external_id (ctx, NULL));
  mech (ctx, "EXTERNAL");

  mech (ctx, "PLAIN");
  len = -7;
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(PLAIN, no interact cb)", r, len);
  printf ("auth_set_interact_cb -> %d\n", auth_set_interact_cb (ctx, interact, "ok"));
  printf ("auth_client_enabled -> %d\n", auth_client_enabled (ctx));

  printf ("== PLAIN ==\n");
  mech (ctx, "PLAIN");
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(PLAIN, NULL)", r, len);
  len = 0;
  r = auth_response (ctx, "", &len);
  dump ("auth_response(PLAIN, second step)", r, len);

  printf ("== LOGIN ==\n");
  mech (ctx, "LOGIN");
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(LOGIN, NULL)", r, len);
  len = 9;
  r = auth_response (ctx, "Password:", &len);
  dump ("auth_response(LOGIN, \"Password:\")", r, len);
  len = 0;
  r = auth_response (ctx, "", &len);
  dump ("auth_response(LOGIN, third step)", r, len);

  /* Debian's library finds the CRAM-MD5 module only with the dlopen shim
     that run.sh preloads (Q16). */
  printf ("== CRAM-MD5 ==\n");
  mech (ctx, "CRAM-MD5");
  len = -7;
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(CRAM-MD5, NULL)", r, len);
  len = strlen (cram_chal);
  r = auth_response (ctx, cram_chal, &len);
  dump ("auth_response(CRAM-MD5, challenge)", r, len);
  len = 0;
  r = auth_response (ctx, "", &len);
  dump ("auth_response(CRAM-MD5, third step)", r, len);

  printf ("== NTLM ==\n");
  mech (ctx, "NTLM");
  r = auth_response (ctx, NULL, &len);
  /* ours sends the workstation name (Q17) */
  printf ("~Q17 ");
  dump ("auth_response(NTLM, NULL) type 1", r, len);
  t2[8] = 2;
  t2[20] = 0x01;
  t2[21] = 0x82;
  memcpy (t2 + 24, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
  len = sizeof t2;
  r = auth_response (ctx, t2, &len);
  printf ("~Q17 ");
  dump ("auth_response(NTLM, type 2) type 3", r, len);
  /* the responses themselves are the same for this pass phrase */
  if (r != NULL && len >= 112)
    dump ("NTLM type 3 LM+NT responses", r + 64, 48);
  len = 0;
  r = auth_response (ctx, "", &len);
  dump ("auth_response(NTLM, fourth step)", r, len);

  printf ("== interact callback refusing ==\n");
  refuse = 1;
  mech (ctx, "PLAIN");
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(PLAIN, NULL) refused", r, len);
  len = 0;
  r = auth_response (ctx, "", &len);
  dump ("auth_response(PLAIN, \"\") refused again", r, len);
  mech (ctx, "LOGIN");
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(LOGIN, NULL) refused", r, len);
  refuse = 0;
  len = 9;
  r = auth_response (ctx, "Username:", &len);
  dump ("auth_response(LOGIN, \"Username:\") answered", r, len);
  refuse = 1;
  mech (ctx, "NTLM");
  r = auth_response (ctx, NULL, &len);
  dump ("auth_response(NTLM, NULL) refused", r, len);
  refuse = 0;

  printf ("== encode/decode ==\n");
  {
    char *dst = (char *) "untouched";
    int dstlen = 42;
    auth_encode (&dst, &dstlen, "abc", 3, ctx);
    printf ("auth_encode -> %s %d\n", dst, dstlen);
    auth_decode (&dst, &dstlen, "abc", 3, ctx);
    printf ("auth_decode -> %s %d\n", dst, dstlen);
  }

  printf ("auth_destroy_context -> %d\n", auth_destroy_context (ctx));
  printf ("auth_destroy_context(NULL) -> %d\n", auth_destroy_context (NULL));
  printf ("auth_set_mechanism_flags(NULL) -> %d\n", auth_set_mechanism_flags (NULL, 0, 0));
  printf ("auth_set_mechanism_ssf(NULL) -> %d\n", auth_set_mechanism_ssf (NULL, 0));
  printf ("auth_set_interact_cb(NULL) -> %d\n", auth_set_interact_cb (NULL, NULL, NULL));
  printf ("auth_set_external_id(NULL) -> %d\n", auth_set_external_id (NULL, "x"));
  printf ("auth_get_ssf(NULL) -> %d\n", auth_get_ssf (NULL));
  printf ("auth_mechanism_name(NULL) -> %s\n", str (auth_mechanism_name (NULL)));
  len = 5;
  r = auth_response (NULL, NULL, &len);
  dump ("auth_response(NULL ctx)", r, len);
  printf ("smtp_errno after auth_* -> %d\n", smtp_errno ());
  {
    smtp_session_t s = smtp_create_session ();
    auth_context_t c2 = auth_create_context ();
    printf ("smtp_auth_set_context(NULL, NULL) -> %d smtp_errno=%d\n",
            smtp_auth_set_context (NULL, NULL), smtp_errno ());
    printf ("smtp_auth_set_context(s, c2) -> %d\n", smtp_auth_set_context (s, c2));
    printf ("smtp_auth_set_context(s, NULL) -> %d\n", smtp_auth_set_context (s, NULL));
    printf ("smtp_destroy_session -> %d\n", smtp_destroy_session (s));
    printf ("auth_destroy_context(c2) -> %d\n", auth_destroy_context (c2));
  }
  auth_client_exit ();
  printf ("done\n");
  return 0;
}

static int failures;

static void
expect (int cond, const char *what)
{
  if (!cond)
    {
      printf ("FAILED: %s\n", what);
      failures++;
    }
}

/* Cases where libESMTP 1.1.0 crashes, reads freed memory or overflows. */
static int
hardened (void)
{
  auth_context_t ctx;
  const char *r;
  int len;
  char big[2000];

  /* double destroy */
  ctx = auth_create_context ();
  expect (auth_destroy_context (ctx) == 1, "destroy");
  expect (auth_destroy_context (ctx) == 0, "second destroy refused");
  expect (auth_set_mechanism (ctx, "NTLM") == 0, "destroyed ctx refused");

  /* NULL answers from the interact callback */
  ctx = auth_create_context ();
  auth_set_interact_cb (ctx, interact, "null");
  auth_set_mechanism_flags (ctx, AUTH_PLUGIN_PLAIN, 0);
  null_answers = 1;
  expect (auth_set_mechanism (ctx, "PLAIN") == 1, "PLAIN");
  r = auth_response (ctx, NULL, &len);
  expect (r != NULL && len == 2, "NULL answers count as empty");
  null_answers = 0;

  /* PLAIN with user + pass phrase over 510 bytes (Q18) */
  memset (big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  big_answer = big;
  auth_set_interact_cb (ctx, interact, "big");
  expect (auth_set_mechanism (ctx, "PLAIN") == 1, "PLAIN again");
  r = auth_response (ctx, NULL, &len);
  expect (r != NULL && len == 2 + 2 * 1999, "long PLAIN response");
  big_answer = NULL;

  /* a challenge before the exchange started (libESMTP: NULL state) */
  expect (auth_set_mechanism (ctx, "LOGIN") == 1, "LOGIN");
  len = 9;
  r = auth_response (ctx, "Username:", &len);
  expect (r != NULL && len == 3 && memcmp (r, "tim", 3) == 0, "LOGIN from a challenge");

  /* EXTERNAL selected, then the identity cleared (libESMTP: strlen(NULL)) */
  auth_set_external_id (ctx, "id");
  expect (auth_set_mechanism (ctx, "EXTERNAL") == 1, "EXTERNAL");
  auth_set_external_id (ctx, NULL);
  len = -7;
  r = auth_response (ctx, NULL, &len);
  expect (r == NULL && len == 0, "EXTERNAL without identity gives no response");

  /* a pointer that is not a context */
  {
    long junk[16] = { 0 };
    expect (auth_destroy_context ((auth_context_t) junk) == 0, "foreign pointer");
    expect (auth_client_enabled ((auth_context_t) junk) == 0, "foreign pointer enabled");
  }
  expect (auth_destroy_context (ctx) == 1, "destroy");
  printf ("hardened tests done, %d failures\n", failures);
  return failures != 0;
}

int
main (int argc, char **argv)
{
  if (check_loaded_libesmtp () != 0)
    return 2;
  if (argc > 1 && strcmp (argv[1], "hardened") == 0)
    return hardened ();
  return common ();
}
