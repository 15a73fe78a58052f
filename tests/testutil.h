/* testutil.h - small fixtures shared by the Check suites. Each helper fails
 * the running test (ck_assert) instead of returning an error. */
#ifndef GALE_TESTUTIL_H
#define GALE_TESTUTIL_H

#include <sys/types.h>

/* A TCP port of 127.0.0.1 that was free a moment ago (the kernel's pick,
 * so parallel suites do not collide on fixed ranges). */
int test_free_port(void);
/* Writes text to path (created or truncated) and sets its mode. */
void test_write_text(const char *path, const char *text, mode_t mode);

/* Removes path and everything under it (symbolic links are removed, not
 * followed); fails the test if anything cannot be removed. */
void test_rm_tree(const char *path);

#endif
