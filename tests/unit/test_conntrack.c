/* http/conntrack's shedding rule: at max_connections a new connection closes
 * the one that has waited longest for a request; a request in progress is
 * never shed; and a connection whose last answer is queued no longer takes a
 * place, since its client may hold the answer and be connecting again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "http/conntrack.h"

#define MAX 4

struct peer {
	int ours;   /* the server's end, which conntrack shuts down */
	int theirs; /* the client's end, which sees the shutdown */
	struct conntrack_slot *slot;
};

/* Times the tests give are ms after this: conntrack's own thread holds the
 * deadlines against the real clock, so they must be near it (a time long
 * past would have every connection expire under the test). */
static int64_t base;

static struct conntrack *start(void)
{
	base = clock_now_ms();
	struct conntrack_limits lim = {
		.max = MAX,
		.per_ip = 100,
		.per_network = 100,
		.per_site = 100,
		.header_timeout_ms = 60000,
		.idle_timeout_ms = 60000,
	};
	return conntrack_start(&lim);
}

static void open_peer(struct conntrack *ct, struct peer *p, const char *ip, int64_t now)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->ours = sv[0];
	p->theirs = sv[1];
	p->slot = conntrack_open(ct, ip, p->ours, base + now);
}

/* Whether conntrack shut the server's end: the client reads end of file. */
static int was_shed(const struct peer *p)
{
	char c;
	ssize_t n = recv(p->theirs, &c, 1, MSG_DONTWAIT);
	return n == 0;
}

static void close_peer(struct conntrack *ct, struct peer *p)
{
	conntrack_close(ct, p->slot);
	close(p->ours);
	close(p->theirs);
}

static void sheds_the_longest_waiting_never_a_busy_one(void **state)
{
	(void)state;
	struct conntrack *ct = start();
	struct peer p[MAX + 2];
	open_peer(ct, &p[0], "192.0.2.1", 1000);
	assert_int_equal(conntrack_busy(ct, p[0].slot), 0);
	for (int i = 1; i < MAX; i++)
		open_peer(ct, &p[i], "192.0.2.2", 1000 + i);
	for (int i = 0; i < MAX; i++)
		assert_false(was_shed(&p[i]));
	open_peer(ct, &p[MAX], "192.0.2.3", 2000);
	assert_false(was_shed(&p[0])); /* the oldest, but busy */
	assert_true(was_shed(&p[1]));
	for (int i = 2; i <= MAX; i++)
		assert_false(was_shed(&p[i]));
	/* The shed one is closed by libmicrohttpd; until then it takes no place. */
	open_peer(ct, &p[MAX + 1], "192.0.2.4", 2001);
	assert_true(was_shed(&p[2]));
	assert_int_equal(conntrack_busy(ct, p[1].slot), 1); /* its late request is dropped */
	for (int i = 0; i < MAX + 2; i++)
		close_peer(ct, &p[i]);
	conntrack_stop(ct);
}

static void an_answered_closing_connection_takes_no_place(void **state)
{
	(void)state;
	struct conntrack *ct = start();
	struct peer p[MAX + 1];
	for (int i = 0; i < MAX; i++)
		open_peer(ct, &p[i], "192.0.2.2", 1000 + i);
	/* The newest sends a request that asks to close, and is answered: before
	 * libmicrohttpd reports it closed, its client connects again. */
	assert_int_equal(conntrack_busy(ct, p[MAX - 1].slot), 0);
	conntrack_leaving(ct, p[MAX - 1].slot);
	open_peer(ct, &p[MAX], "192.0.2.3", 2000);
	for (int i = 0; i <= MAX; i++)
		assert_false(was_shed(&p[i]));
	struct conntrack_stats st;
	conntrack_stats(ct, &st);
	assert_int_equal(st.open, MAX + 1);
	assert_int_equal(st.shed, 0);
	close_peer(ct, &p[MAX - 1]);
	/* Its place is taken: the next newcomer sheds the longest waiting. */
	struct peer extra;
	open_peer(ct, &extra, "192.0.2.5", 3000);
	assert_true(was_shed(&p[0]));
	close_peer(ct, &extra);
	for (int i = 0; i <= MAX; i++)
		if (i != MAX - 1)
			close_peer(ct, &p[i]);
	conntrack_stop(ct);
}

static void a_connection_kept_after_all_takes_its_place_again(void **state)
{
	(void)state;
	struct conntrack *ct = start();
	struct peer p[MAX + 2];
	open_peer(ct, &p[0], "192.0.2.1", 1000);
	assert_int_equal(conntrack_busy(ct, p[0].slot), 0);
	conntrack_leaving(ct, p[0].slot);
	conntrack_leaving(ct, p[0].slot); /* twice is once */
	/* libmicrohttpd kept it open: it waits for its next request and counts. */
	conntrack_idle(ct, p[0].slot, base + 1500);
	for (int i = 1; i <= MAX; i++)
		open_peer(ct, &p[i], "192.0.2.2", 2000 + i);
	assert_true(was_shed(&p[0])); /* waited longest, since 1500 */
	for (int i = 1; i <= MAX; i++)
		assert_false(was_shed(&p[i]));
	struct conntrack_stats st;
	conntrack_stats(ct, &st);
	assert_int_equal(st.shed, 1);
	for (int i = 0; i <= MAX; i++)
		close_peer(ct, &p[i]);
	conntrack_stop(ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sheds_the_longest_waiting_never_a_busy_one),
		cmocka_unit_test(an_answered_closing_connection_takes_no_place),
		cmocka_unit_test(a_connection_kept_after_all_takes_its_place_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
