/* A preloaded shim (LD_PRELOAD) that measures how long a client runs its own
 * code between the socket system calls of a session: the time from each
 * call's return to the next call's entry, summed from one session's
 * socket() to the next one's. On the benchmark's one CPU the kernel and the
 * sink run inside the calls, so this is the client's share of a session,
 * which is what separates it from the wire floor.
 *
 * It wraps the calls the clients make through the dynamic linker (socket,
 * connect, setsockopt, fcntl, poll, send, sendto, sendmsg, recv, recvfrom,
 * read, write, close) and prints at exit, on stderr:
 *   steps sessions=N between_us=X calls=Y
 * where X is the mean time between calls per session, in microseconds, and
 * Y the mean number of wrapped calls per session. The first session is left
 * out (it pays for loading and first use). Each wrapped call adds two
 * clock_gettime calls (vDSO, tens of nanoseconds) to both sides alike. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

static double last_return;     /* when the previous wrapped call returned */
static double between_current; /* time between calls in this session */
static double between_total;   /* ... in every session but the first */
static long calls_current, calls_total, sessions;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void entering(int starts_session) {
    double t = now();
    if (last_return > 0)
        between_current += t - last_return;
    if (starts_session) {
        /* A session runs from its socket() to the next one's: the API
         * calls that set up the next session count for this one. */
        if (sessions > 1) {
            between_total += between_current;
            calls_total += calls_current;
        }
        sessions++;
        between_current = 0;
        calls_current = 0;
    }
    calls_current++;
}

static void returned(void) { last_return = now(); }

/* One wrapper: finds the real function once, then times around it. */
#define WRAP(ret, name, params, args, starts_session)                                            \
    ret name params {                                                                            \
        static ret(*real) params;                                                                \
        if (!real)                                                                               \
            *(void **)&real = dlsym(RTLD_NEXT, #name);                                           \
        entering(starts_session);                                                                \
        ret r = real args;                                                                       \
        returned();                                                                              \
        return r;                                                                                \
    }

WRAP(int, socket, (int domain, int type, int protocol), (domain, type, protocol), 1)
WRAP(int, connect, (int fd, const struct sockaddr *addr, socklen_t len), (fd, addr, len), 0)
WRAP(int, setsockopt, (int fd, int level, int name, const void *value, socklen_t len),
     (fd, level, name, value, len), 0)
WRAP(ssize_t, send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags), 0)
WRAP(ssize_t, sendto,
     (int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len),
     (fd, buf, n, flags, addr, len), 0)
WRAP(ssize_t, sendmsg, (int fd, const struct msghdr *msg, int flags), (fd, msg, flags), 0)
WRAP(ssize_t, recv, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags), 0)
WRAP(ssize_t, recvfrom,
     (int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len),
     (fd, buf, n, flags, addr, len), 0)
WRAP(int, close, (int fd), (fd), 0)
/* libESMTP's: it waits in poll and moves bytes with read and write. */
WRAP(int, poll, (struct pollfd * fds, nfds_t n, int timeout), (fds, n, timeout), 0)
WRAP(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n), 0)
WRAP(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n), 0)

/* fcntl is variadic; every command a client uses here takes an int or a
 * pointer, which travel the same way on the platforms we run on. */
int fcntl(int fd, int cmd, ...) {
    static int (*real)(int, int, ...);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "fcntl");
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    entering(0);
    int r = real(fd, cmd, arg);
    returned();
    return r;
}

__attribute__((destructor)) static void report(void) {
    /* The last session ends at exit: counted up to its last call. */
    if (sessions > 1) {
        between_total += between_current;
        calls_total += calls_current;
    }
    long counted = sessions - 1;
    if (counted > 0)
        fprintf(stderr, "steps sessions=%ld between_us=%.3f calls=%.2f\n", counted,
                between_total / (double)counted * 1e6, (double)calls_total / (double)counted);
}
