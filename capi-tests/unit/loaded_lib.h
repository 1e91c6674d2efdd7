/* Which libesmtp.so.6 did the dynamic linker load?  Tests must fail when
 * the system library is picked up instead of the one under test. */
#ifndef ESMTP_TEST_LOADED_LIB_H
#define ESMTP_TEST_LOADED_LIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns 0 if the libesmtp.so.6 mapped into this process lives in the
 * directory named by $EXPECT_LIBESMTP (when set), printing the path to
 * stderr; -1 otherwise. */
static int check_loaded_libesmtp(void) {
    const char *want = getenv("EXPECT_LIBESMTP");
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096], found[4096] = "";
    if (maps == NULL)
        return -1;
    while (fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "libesmtp.so")) {
            path[strcspn(path, "\n")] = 0;
            snprintf(found, sizeof found, "%s", path);
            break;
        }
    }
    fclose(maps);
    if (want == NULL || *want == 0)
        return 0;
    char real_want[4096], real_found[4096];
    if (!realpath(want, real_want) || !found[0] || !realpath(found, real_found)) {
        fprintf(stderr, "loaded libesmtp: %s (expected under %s)\n", found[0] ? found : "none", want);
        return -1;
    }
    if (strncmp(real_found, real_want, strlen(real_want)) != 0) {
        fprintf(stderr, "WRONG libesmtp loaded: %s, expected under %s\n", real_found, real_want);
        return -1;
    }
    return 0;
}

#endif
