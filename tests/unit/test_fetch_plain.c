/* fetch's own HTTP/1.1 GET client (delivery/fetch_plain.c) against a scripted
 * server on loopback: the answer framings it must read (length, chunked, to
 * the close, after a 1xx), connection reuse, a pooled connection the server
 * closed (tried once more, on a new connection), and a request that got no
 * answer (never repeated: a gateway must not get a message twice); and
 * fetch_plain_get_batch, whose requests all go out before any answer is
 * read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "delivery/fetch_plain.h"

/* One scripted answer: what to write back, then whether to close. */
struct step {
	const char *answer; /* NULL: read the request, answer nothing, keep it open */
	int close_after;
};

struct server {
	int fd, port;
	pthread_t thread;
	const struct step *steps;
	int n_steps;
	int accepts, requests;
	char last[1024]; /* the last request's head */
	int stop;
};

/* Reads one request head (up to the empty line); 0 at the client's close. */
static int read_request(int fd, char *out, size_t size)
{
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = recv(fd, out + len, 1, 0);
		if (n <= 0)
			return 0;
		len++;
		out[len] = '\0';
		if (len >= 4 && !memcmp(out + len - 4, "\r\n\r\n", 4))
			return 1;
	}
	return 0;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	int step = 0;
	while (!s->stop && step < s->n_steps) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			break;
		s->accepts++;
		char head[1024];
		while (step < s->n_steps && read_request(c, head, sizeof head)) {
			s->requests++;
			snprintf(s->last, sizeof s->last, "%s", head);
			const struct step *st = &s->steps[step++];
			if (!st->answer) {
				/* Hold it unanswered until the client gives up. */
				while (recv(c, head, sizeof head, 0) > 0)
					;
				break;
			}
			assert_true(send(c, st->answer, strlen(st->answer), MSG_NOSIGNAL) >= 0);
			if (st->close_after)
				break;
		}
		close(c);
	}
	return NULL;
}

static void start(struct server *s, const struct step *steps, int n)
{
	memset(s, 0, sizeof *s);
	s->steps = steps;
	s->n_steps = n;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->fd, 8), 0);
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void finish(struct server *s, struct fetch_plain *p)
{
	fetch_plain_free(p); /* closes pooled connections: the server's reads end */
	s->stop = 1;
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static int get(struct fetch_plain *p, const struct server *s, const char *path,
               struct fetch_answer *ans, char *err)
{
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
	return fetch_plain_get(p, url, ans, err, 256);
}

static void length_framed_and_reused(void **state)
{
	(void)state;
	static const struct step steps[] = {
	    {"HTTP/1.1 202 Accepted\r\nContent-Length: 28\r\n\r\n0: Accepted for delivery\r\n\r\n",
	     0},
	    {"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\nX-A: b\r\n\r\nok", 0},
	};
	struct server s;
	start(&s, steps, 2);
	struct fetch_plain *p = fetch_plain_new(2000);
	struct fetch_answer *ans = malloc(sizeof *ans);
	char err[256] = "";
	assert_int_equal(get(p, &s, "/cgi-bin/sendsms?to=%2B447400&text=a+b", ans, err), 0);
	assert_int_equal(ans->status, 202);
	assert_string_equal(ans->body, "0: Accepted for delivery\r\n\r\n");
	char want[128];
	snprintf(want, sizeof want,
	         "GET /cgi-bin/sendsms?to=%%2B447400&text=a+b HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n",
	         s.port);
	assert_memory_equal(s.last, want, strlen(want));
	assert_int_equal(get(p, &s, "?x=1#frag", ans, err), 0);
	assert_string_equal(ans->body, "ok");
	assert_memory_equal(s.last, "GET /?x=1 HTTP/1.1\r\n", 20);
	assert_int_equal(s.accepts, 1); /* one connection carried both */
	finish(&s, p);
	free(ans);
}

static void chunked_interim_and_close(void **state)
{
	(void)state;
	static const struct step steps[] = {
	    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n",
	     0},
	    {"HTTP/1.0 503 Busy\r\n\r\nlater", 1},
	    {"HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 6\r\n\r\ndenied", 0},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0},
	};
	struct server s;
	start(&s, steps, 4);
	struct fetch_plain *p = fetch_plain_new(2000);
	struct fetch_answer *ans = malloc(sizeof *ans);
	char err[256] = "";
	assert_int_equal(get(p, &s, "/a", ans, err), 0);
	assert_int_equal(ans->status, 200);
	assert_string_equal(ans->body, "abcdefg");
	assert_int_equal(get(p, &s, "/b", ans, err), 0); /* same connection, read to its close */
	assert_int_equal(ans->status, 503);
	assert_string_equal(ans->body, "later");
	assert_int_equal(get(p, &s, "/c", ans, err), 0);
	assert_int_equal(ans->status, 403);
	assert_string_equal(ans->body, "denied");
	assert_int_equal(get(p, &s, "/d", ans, err), 0);
	assert_int_equal(ans->len, 0);
	assert_int_equal(s.accepts, 3); /* neither closed connection was used again */
	finish(&s, p);
	free(ans);
}

/* The server closes the pooled connection while it is idle (a gateway's
 * keep-alive timeout): the next request goes out once, on a new connection. */
static void closed_pooled_connection_is_replaced(void **state)
{
	(void)state;
	static const struct step steps[] = {
	    {"HTTP/1.1 202 Accepted\r\nContent-Length: 1\r\n\r\n0", 1},
	    {"HTTP/1.1 202 Accepted\r\nContent-Length: 1\r\n\r\n1", 0},
	};
	struct server s;
	start(&s, steps, 2);
	struct fetch_plain *p = fetch_plain_new(2000);
	struct fetch_answer *ans = malloc(sizeof *ans);
	char err[256] = "";
	/* HTTP/1.1 without "Connection: close": pooled, but the server closes it. */
	assert_int_equal(get(p, &s, "/1", ans, err), 0);
	usleep(50 * 1000);
	assert_int_equal(get(p, &s, "/2", ans, err), 0);
	assert_string_equal(ans->body, "1");
	assert_int_equal(s.accepts, 2);
	assert_int_equal(s.requests, 2); /* the second was received once */
	finish(&s, p);
	free(ans);
}

/* No answer in time: a failure, and the request is not sent again. */
static void unanswered_request_is_not_repeated(void **state)
{
	(void)state;
	static const struct step steps[] = {{NULL, 0}};
	struct server s;
	start(&s, steps, 1);
	struct fetch_plain *p = fetch_plain_new(300);
	struct fetch_answer *ans = malloc(sizeof *ans);
	char err[256] = "";
	assert_int_equal(get(p, &s, "/slow", ans, err), -1);
	assert_string_equal(err, "no answer within 300 ms");
	assert_int_equal(s.requests, 1);
	finish(&s, p);
	assert_int_equal(s.requests, 1);
	free(ans);
}

static void refused_and_malformed(void **state)
{
	(void)state;
	struct server s;
	static const struct step none[] = {{"", 1}};
	start(&s, none, 1);
	int port = s.port;
	finish(&s, NULL); /* nobody listens there now */
	struct fetch_plain *p = fetch_plain_new(1000);
	struct fetch_answer *ans = malloc(sizeof *ans);
	char err[256] = "", url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
	assert_int_equal(fetch_plain_get(p, url, ans, err, sizeof err), -1);
	assert_non_null(strstr(err, "could not connect"));
	fetch_plain_free(p);
	free(ans);
	assert_true(fetch_plain_accepts("http://127.0.0.1:13013/cgi-bin/sendsms?a=b"));
	assert_true(fetch_plain_accepts("http://[::1]:13013/x"));
	assert_true(fetch_plain_accepts("http://kannel"));
	assert_false(fetch_plain_accepts("https://kannel/x"));
	assert_false(fetch_plain_accepts("http://user:pw@kannel/x"));
	assert_false(fetch_plain_accepts("http://kannel/a b"));
	assert_false(fetch_plain_accepts("http://kannel:99999999/x"));
	assert_false(fetch_plain_accepts("http://:80/x"));
	assert_false(fetch_plain_accepts("http://[::1/x"));
}

/* A server for batches: it answers only once `hold` requests are in (on
 * as many connections), the last first, and closes the connection that
 * carried "/b" after answering it. */
struct batch_server {
	int fd, port;
	pthread_t thread;
	atomic_int hold, stop;
	int accepts, requests;
};

static void *serve_batch(void *arg)
{
	struct batch_server *s = arg;
	int conns[8], nc = 0, np = 0;
	struct {
		int conn;
		char path[16];
	} pending[8];
	while (!atomic_load(&s->stop)) {
		struct pollfd pf[9] = {{.fd = s->fd, .events = POLLIN}};
		for (int i = 0; i < nc; i++)
			pf[i + 1] = (struct pollfd){.fd = conns[i], .events = POLLIN};
		if (poll(pf, (nfds_t)nc + 1, 50) <= 0)
			continue;
		if ((pf[0].revents & POLLIN) && nc < 8) {
			int c = accept(s->fd, NULL, NULL);
			if (c >= 0) {
				conns[nc++] = c;
				s->accepts++;
			}
		}
		for (int i = 0; i < nc; i++) {
			if (conns[i] < 0 || !(pf[i + 1].revents & (POLLIN | POLLHUP)))
				continue;
			char head[1024];
			if (!read_request(conns[i], head, sizeof head)) {
				close(conns[i]);
				conns[i] = -1;
				continue;
			}
			s->requests++;
			pending[np].conn = i;
			sscanf(head, "GET %15s ", pending[np].path);
			np++;
		}
		if (np < atomic_load(&s->hold))
			continue;
		while (np > 0) {
			np--;
			char answer[128];
			int i = pending[np].conn;
			snprintf(answer, sizeof answer,
			         "HTTP/1.1 202 Accepted\r\nContent-Length: %zu\r\n\r\n%s",
			         strlen(pending[np].path), pending[np].path);
			assert_true(send(conns[i], answer, strlen(answer), MSG_NOSIGNAL) > 0);
			if (!strcmp(pending[np].path, "/b")) {
				close(conns[i]);
				conns[i] = -1;
			}
		}
	}
	for (int i = 0; i < nc; i++)
		if (conns[i] >= 0)
			close(conns[i]);
	return NULL;
}

/* Three requests the server answers only once all three are in (so they
 * must all go out before the first answer is read), each answer to its own
 * request; then a batch of two where one pooled connection was closed by the
 * server meanwhile: that request goes once more, on another connection, and
 * each reaches the server once. */
static void batch_sends_all_before_reading(void **state)
{
	(void)state;
	struct batch_server s;
	memset(&s, 0, sizeof s);
	atomic_store(&s.hold, 3);
	s.fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s.fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s.fd, 8), 0);
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(s.fd, (struct sockaddr *)&a, &len), 0);
	s.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s.thread, NULL, serve_batch, &s), 0);

	struct fetch_plain *p = fetch_plain_new(3000);
	struct fetch_answer *ans = calloc(3, sizeof *ans);
	char urls[3][64], err[3 * 256];
	const char *u[3] = {urls[0], urls[1], urls[2]};
	int rc[3];
	const char *paths[] = {"/a", "/b", "/c"};
	for (int i = 0; i < 3; i++)
		snprintf(urls[i], sizeof urls[i], "http://127.0.0.1:%d%s", s.port, paths[i]);
	fetch_plain_get_batch(p, u, 3, ans, rc, err, 256);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rc[i], 0);
		assert_int_equal(ans[i].status, 202);
		assert_string_equal(ans[i].body, paths[i]);
	}
	assert_int_equal(s.accepts, 3);

	atomic_store(&s.hold, 1);
	usleep(50 * 1000); /* the server has closed /b's connection */
	const char *more[] = {"/d", "/e"};
	for (int i = 0; i < 2; i++)
		snprintf(urls[i], sizeof urls[i], "http://127.0.0.1:%d%s", s.port, more[i]);
	fetch_plain_get_batch(p, u, 2, ans, rc, err, 256);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(rc[i], 0);
		assert_string_equal(ans[i].body, more[i]);
	}
	assert_int_equal(s.requests, 5); /* each received once */

	fetch_plain_free(p);
	atomic_store(&s.stop, 1);
	pthread_join(s.thread, NULL);
	close(s.fd);
	free(ans);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(length_framed_and_reused),
	    cmocka_unit_test(chunked_interim_and_close),
	    cmocka_unit_test(closed_pooled_connection_is_replaced),
	    cmocka_unit_test(unanswered_request_is_not_repeated),
	    cmocka_unit_test(refused_and_malformed),
	    cmocka_unit_test(batch_sends_all_before_reading),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
