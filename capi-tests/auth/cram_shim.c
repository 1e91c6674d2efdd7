/* cram_shim.c - LD_PRELOAD helper for the reference runs only: Debian's
 * libESMTP 1.1.0 asks dlopen() for "sasl-cram-md5.so" but the package
 * installs "sasl-crammd5.so" (tls-auth.md §9.5, Q16). Rewriting the name
 * lets the reference library's CRAM-MD5 be compared with ours. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void *
dlopen (const char *file, int mode)
{
  static void *(*real) (const char *, int);
  char buf[4096];
  const char *p;

  if (real == NULL)
    real = (void *(*) (const char *, int)) dlsym (RTLD_NEXT, "dlopen");
  if (file != NULL && (p = strstr (file, "sasl-cram-md5.so")) != NULL)
    {
      snprintf (buf, sizeof buf, "%.*ssasl-crammd5.so", (int) (p - file), file);
      file = buf;
    }
  return real (file, mode);
}
