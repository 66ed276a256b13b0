/* A real SQLite store in a directory of its own under IOTP_TEST_TMP, for the
 * unit tests that need one (test_record, test_events, test_account,
 * test_compat_upgrade): opened by a test's setup, closed and removed by its
 * teardown (or tmp_store_setup/teardown, when the store is all a test
 * needs). Include after cmocka.h. */
#ifndef IOTP_TEST_TMP_STORE_H
#define IOTP_TEST_TMP_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"

struct tmp_store {
	struct store *st;
	char dir[256];
};

/* Opens a fresh store in IOTP_TEST_TMP/<name>-<pid>-<n>; 0, or -1 after
 * printing why. */
static inline int tmp_store_open(struct tmp_store *t, const char *name)
{
	static int n;
	char url[300], err[512];
	snprintf(t->dir, sizeof t->dir, "%s/%s-%d-%d", IOTP_TEST_TMP, name, (int)getpid(), n++);
	snprintf(url, sizeof url, "sqlite:%s/iotp.db", t->dir);
	if (store_open(url, NULL, &t->st, err, sizeof err) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	return 0;
}

/* Closes the store and removes its directory; 0 or -1. */
static inline int tmp_store_close(struct tmp_store *t)
{
	char cmd[300];
	store_close(t->st);
	t->st = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* cmocka setup and teardown for a test whose state is just a tmp_store. */
static inline int tmp_store_setup(void **state)
{
	struct tmp_store *t = calloc(1, sizeof *t);
	if (!t || tmp_store_open(t, "unit") < 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static inline int tmp_store_teardown(void **state)
{
	struct tmp_store *t = *state;
	int rc = tmp_store_close(t);
	free(t);
	return rc;
}

#endif
