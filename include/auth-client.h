/* auth-client.h: public C interface of esmtp-rs's SASL client (the auth_*
 * half of the libESMTP 1.1 API), source-compatible with libESMTP's header.
 *
 * esmtp-rs is a memory-safe, drop-in replacement for libESMTP 1.1
 * (libesmtp.so.6). This file was written for esmtp-rs from the project's
 * specification; names, values and layouts match libESMTP 1.1.
 *
 * Include this header BEFORE <libesmtp.h> to get the declaration of
 * smtp_auth_set_context(): libesmtp.h tests the include guard below.
 */
#ifndef _auth_client_h
/* The guard name is part of the interface: libesmtp.h checks for it. */
#define _auth_client_h

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------- */

/* Handle of a SASL client context. The application creates and destroys
 * it; libESMTP sessions only borrow it (see smtp_auth_set_context). */
typedef struct auth_context *auth_context_t;

/* Bits of auth_client_request.flags: what kind of value is asked for. */
#define AUTH_USER       0x0001  /* a user (login) name */
#define AUTH_REALM      0x0002  /* a realm or domain */
#define AUTH_PASS       0x0004  /* a password or pass phrase */
#define AUTH_CLEARTEXT  0x0008  /* the answer will be sent unencrypted */

/* One item the mechanism wants from the application; an array of these
 * is handed to the interaction callback. */
struct auth_client_request
{
  const char *name;     /* short field name, for example "user" */
  unsigned flags;       /* AUTH_USER / AUTH_REALM / AUTH_PASS / AUTH_CLEARTEXT */
  const char *prompt;   /* text suitable for asking a person */
  unsigned size;        /* longest answer accepted, 0 for no limit */
};
typedef const struct auth_client_request *auth_client_request_t;

/* Interaction callback: fill result[0 .. fields-1] with answers to
 * request[0 .. fields-1]; return non-zero on success, 0 to give up. */
typedef int (*auth_interact_t) (auth_client_request_t request,
                                char **result, int fields, void *arg);

/* Signature of a mechanism's response step. */
typedef const char *(*auth_response_t) (void *ctx, const char *challenge,
                                        int *len, auth_interact_t interact,
                                        void *arg);

/* Signature of a security-layer encoder or decoder. */
typedef int (*auth_recode_t) (void *ctx, char **dstbuf, int *dstlen,
                              const char *srcbuf, int srclen);

/* Mechanism classes the application must opt in to with
 * auth_set_mechanism_flags (EXTERNAL: via auth_set_external_id). */
#define AUTH_PLUGIN_ANONYMOUS 0x01  /* anonymous login */
#define AUTH_PLUGIN_PLAIN     0x02  /* password sent in plain form */
#define AUTH_PLUGIN_EXTERNAL  0x04  /* the EXTERNAL mechanism */

/* ---------------------------------------------------------------------
 * Functions. Unless stated otherwise, int results are 1 on success and
 * 0 on failure; none of these functions changes smtp_errno().
 * ------------------------------------------------------------------- */

/* Library set-up and tear-down (init does nothing; exit unloads). */
void auth_client_init (void);
void auth_client_exit (void);

/* Create / destroy a context. */
auth_context_t auth_create_context (void);
int auth_destroy_context (auth_context_t context);

/* flags := (flags & ~clear) | set, using the AUTH_PLUGIN_* bits. */
int auth_set_mechanism_flags (auth_context_t context,
                              unsigned set, unsigned clear);
/* Lowest security strength factor a mechanism must offer. */
int auth_set_mechanism_ssf (auth_context_t context, int min_ssf);
/* Install the interaction callback; without one, AUTH is not used. */
int auth_set_interact_cb (auth_context_t context,
                          auth_interact_t interact, void *arg);
/* Non-zero when the context is usable (it has an interaction callback). */
int auth_client_enabled (auth_context_t context);
/* Select a mechanism by name (case-insensitive). */
int auth_set_mechanism (auth_context_t context, const char *name);
/* Name of the selected mechanism, or NULL. */
const char *auth_mechanism_name (auth_context_t context);
/* Next client response to a decoded server challenge (NULL to start);
 * the response's length is stored in *len. */
const char *auth_response (auth_context_t context, const char *challenge,
                           int *len);
/* Security strength factor of the selected mechanism, -1 if none. */
int auth_get_ssf (auth_context_t context);
/* Security layer; arg is the auth_context_t. */
void auth_encode (char **dstbuf, int *dstlen,
                  const char *srcbuf, int srclen, void *arg);
void auth_decode (char **dstbuf, int *dstlen,
                  const char *srcbuf, int srclen, void *arg);
/* Identity for the EXTERNAL mechanism (also enables EXTERNAL). */
int auth_set_external_id (auth_context_t context, const char *identity);

#ifdef __cplusplus
}
#endif

#endif /* _auth_client_h */
