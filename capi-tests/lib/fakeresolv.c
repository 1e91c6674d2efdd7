/* fakeresolv.c -- LD_PRELOAD shim for the differential driver (built into
 * the same preload object as fakeclock.c).
 *
 * getaddrinfo() for the node name "multi.test" returns, in order, one
 * result per numeric address listed in $FAKE_ADDRS (space separated, e.g.
 * "127.0.0.2 127.0.0.1"), each resolved with the caller's service and
 * hints; the first result's canonical name is "multi.test".  Every other
 * name goes to the real resolver.  Lets a scenario exercise "try the next
 * address" without DNS.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *,
                      struct addrinfo **);

int getaddrinfo(const char *node, const char *service,
                const struct addrinfo *hints, struct addrinfo **res)
{
    static gai_fn real;
    if (!real)
        real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
    const char *list = getenv("FAKE_ADDRS");
    if (node == NULL || strcmp(node, "multi.test") != 0 || list == NULL)
        return real(node, service, hints, res);

    struct addrinfo h, *head = NULL, **tail = &head;
    if (hints)
        h = *hints;
    else
        memset(&h, 0, sizeof h);
    h.ai_flags |= AI_NUMERICHOST;
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return EAI_MEMORY;
    for (char *a = strtok_r(copy, " ,", &save); a; a = strtok_r(NULL, " ,", &save)) {
        struct addrinfo *r = NULL;
        if (real(a, service, &h, &r) != 0 || r == NULL)
            continue;
        *tail = r;
        while (r->ai_next)
            r = r->ai_next;
        tail = &r->ai_next;
    }
    free(copy);
    if (head == NULL)
        return EAI_NONAME;
    if (hints && (hints->ai_flags & AI_CANONNAME)) {
        free(head->ai_canonname);
        head->ai_canonname = strdup("multi.test");
    }
    *res = head;
    return 0;
}
