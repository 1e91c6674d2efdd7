/* fakeclock.c -- LD_PRELOAD shim for the differential driver.
 *
 * Makes the values a libESMTP implementation puts into generated headers
 * deterministic: the wall clock (time, gettimeofday, clock_gettime with a
 * REALTIME clock) always reads FAKECLOCK_SEC (default 1767225600 =
 * 2026-01-01 00:00:00 UTC) plus FAKECLOCK_USEC microseconds (default
 * 123456), and getpid() returns FAKECLOCK_PID (default 4242).  Monotonic
 * clocks are passed through, so poll() timeouts and any elapsed-time logic
 * keep working.  Only the driver process is preloaded (never the server).
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

static long fsec(void) { return envl("FAKECLOCK_SEC", 1767225600L); }
static long fusec(void) { return envl("FAKECLOCK_USEC", 123456L); }

time_t time(time_t *t)
{
    time_t v = (time_t)fsec();
    if (t)
        *t = v;
    return v;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    (void)tz;
    struct timeval *volatile p = tv;   /* glibc declares tv nonnull */
    if (p) {
        p->tv_sec = (time_t)fsec();
        p->tv_usec = (suseconds_t)fusec();
    }
    return 0;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
    static int (*real)(clockid_t, struct timespec *);
    if (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE) {
        ts->tv_sec = (time_t)fsec();
        ts->tv_nsec = fusec() * 1000L;
        return 0;
    }
    if (!real)
        real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    return real(clk, ts);
}

pid_t getpid(void)
{
    return (pid_t)envl("FAKECLOCK_PID", 4242L);
}
