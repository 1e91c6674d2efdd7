/* Preloaded into the fault-injection driver runs against OUR library:
 * makes the driver's signal(SIGPIPE, SIG_IGN) a no-op, so SIGPIPE keeps its
 * default action (terminate).  A library that writes to a closed socket
 * without MSG_NOSIGNAL then kills the driver, and the case fails
 * (protocol.md Q-SIGPIPE).  Only signal() is wrapped; everything else is
 * passed to libc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>

typedef void (*sighandler_fn)(int);

sighandler_fn signal(int sig, sighandler_fn handler)
{
    static sighandler_fn (*real)(int, sighandler_fn);
    if (sig == SIGPIPE && handler == SIG_IGN)
        return SIG_DFL;
    if (!real)
        real = (sighandler_fn (*)(int, sighandler_fn))dlsym(RTLD_NEXT, "signal");
    return real ? real(sig, handler) : SIG_ERR;
}
