/* fakeclock.c -- LD_PRELOAD shim for the differential driver.
 *
 * Makes the values a libESMTP implementation puts into generated headers
 * deterministic: the wall clock (time, gettimeofday, clock_gettime with a
 * REALTIME clock) always reads FAKECLOCK_SEC (default 1767225600 =
 * 2026-01-01 00:00:00 UTC) plus FAKECLOCK_USEC microseconds (default
 * 123456), and getpid() returns FAKECLOCK_PID (default 4242).  Monotonic
 * clocks are passed through, so poll() timeouts and any elapsed-time logic
 * keep working.  With FAKECLOCK_OFF set every call goes to libc unchanged.
 * Only the driver process is preloaded (never the server).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static long envl(const char *name, long dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 10) : dflt;
}

static int off(void) { return getenv("FAKECLOCK_OFF") != NULL; }
static long fsec(void) { return envl("FAKECLOCK_SEC", 1767225600L); }
static long fusec(void) { return envl("FAKECLOCK_USEC", 123456L); }

static int real_clock_gettime(clockid_t clk, struct timespec *ts)
{
    static int (*real)(clockid_t, struct timespec *);
    if (!real)
        real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    return real(clk, ts);
}

time_t time(time_t *t)
{
    time_t v;
    if (off()) {
        struct timespec ts;
        real_clock_gettime(CLOCK_REALTIME, &ts);
        v = ts.tv_sec;
    } else
        v = (time_t)fsec();
    if (t)
        *t = v;
    return v;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    struct timeval *volatile p = tv;   /* glibc declares tv nonnull */
    (void)tz;
    if (p == NULL)
        return 0;
    if (off()) {
        struct timespec ts;
        real_clock_gettime(CLOCK_REALTIME, &ts);
        p->tv_sec = ts.tv_sec;
        p->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
    } else {
        p->tv_sec = (time_t)fsec();
        p->tv_usec = (suseconds_t)fusec();
    }
    return 0;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
    if (!off() && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE)) {
        ts->tv_sec = (time_t)fsec();
        ts->tv_nsec = fusec() * 1000L;
        return 0;
    }
    return real_clock_gettime(clk, ts);
}

pid_t getpid(void)
{
    static pid_t (*real)(void);
    if (off()) {
        if (!real)
            real = (pid_t (*)(void))dlsym(RTLD_NEXT, "getpid");
        return real();
    }
    return (pid_t)envl("FAKECLOCK_PID", 4242L);
}
