#include "delivery/fetch_plain.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"

#define IDLE_MAX 64       /* pooled connections, as fetch.c's handles */
#define AUTHORITY_MAX 256 /* "host:port" */
#define HEAD_MAX 8192     /* status line and headers */
#define DRAIN_MAX                                                                                  \
	(1 << 20) /* body bytes read past FETCH_ANSWER_MAX before giving up the connection */

struct idle {
	int fd;
	char authority[AUTHORITY_MAX];
};

struct fetch_plain {
	pthread_mutex_t lock;
	long timeout_ms;
	int n_idle;
	struct idle idle[IDLE_MAX];
};

/* The parts of an http:// URL a request needs. */
struct target {
	char authority[AUTHORITY_MAX]; /* as written: the Host header and the pool's key */
	char host[AUTHORITY_MAX];      /* without brackets */
	char port[8];
	const char *path; /* from the '/' or '?' on, up to any '#' */
	size_t path_len;
};

static int parse_url(const char *url, struct target *t)
{
	if (strncmp(url, "http://", 7) != 0)
		return -1;
	const char *a = url + 7, *end = a + strcspn(a, "/?#");
	size_t alen = (size_t)(end - a);
	if (!alen || alen >= sizeof t->authority || memchr(a, '@', alen))
		return -1;
	memcpy(t->authority, a, alen);
	t->authority[alen] = '\0';
	const char *hs = a, *he, *colon;
	if (*a == '[') {
		const char *close = memchr(a, ']', alen);
		if (!close)
			return -1;
		hs = a + 1;
		he = close;
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		if (!colon && close + 1 != end)
			return -1;
	} else {
		colon = memchr(a, ':', alen);
		he = colon ? colon : end;
	}
	if (he == hs)
		return -1;
	memcpy(t->host, hs, (size_t)(he - hs));
	t->host[he - hs] = '\0';
	size_t plen = colon ? (size_t)(end - colon - 1) : 0;
	if (colon &&
	    (plen == 0 || plen >= sizeof t->port || strspn(colon + 1, "0123456789") < plen))
		return -1;
	if (colon) {
		memcpy(t->port, colon + 1, plen);
		t->port[plen] = '\0';
	} else {
		strfmt(t->port, sizeof t->port, "80");
	}
	t->path = end;
	t->path_len = strcspn(end, "#");
	return 0;
}

int fetch_plain_accepts(const char *url)
{
	struct target t;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0; /* libcurl says what is wrong with it */
	return parse_url(url, &t) == 0;
}

struct fetch_plain *fetch_plain_new(long timeout_ms)
{
	struct fetch_plain *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	p->timeout_ms = timeout_ms;
	return p;
}

void fetch_plain_free(struct fetch_plain *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_idle; i++)
		close(p->idle[i].fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static int take_idle(struct fetch_plain *p, const char *authority)
{
	int fd = -1;
	pthread_mutex_lock(&p->lock);
	for (int i = p->n_idle - 1; i >= 0; i--) {
		if (strcmp(p->idle[i].authority, authority))
			continue;
		fd = p->idle[i].fd;
		p->idle[i] = p->idle[--p->n_idle];
		break;
	}
	pthread_mutex_unlock(&p->lock);
	return fd;
}

static void give_idle(struct fetch_plain *p, int fd, const char *authority)
{
	pthread_mutex_lock(&p->lock);
	if (p->n_idle < IDLE_MAX) {
		p->idle[p->n_idle].fd = fd;
		strfmt(p->idle[p->n_idle].authority, AUTHORITY_MAX, "%s", authority);
		p->n_idle++;
		fd = -1;
	}
	pthread_mutex_unlock(&p->lock);
	if (fd >= 0)
		close(fd);
}

/* Waits for events on fd until deadline; 1 when ready, 0 on timeout. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - clock_now_ms();
		if (left <= 0)
			return 0;
		struct pollfd pfd = {.fd = fd, .events = events};
		int n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 1; /* the next call on fd reports the error */
	}
}

static int connect_to(const struct target *t, long timeout_ms, int64_t deadline, char *err,
                      size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int gai = getaddrinfo(t->host, t->port, &hints, &res);
	if (gai != 0) {
		strfmt(err, errlen, "could not resolve %s (%s)", t->host, gai_strerror(gai));
		return -1;
	}
	int fd = -1, why = 0;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0) {
			why = errno;
			continue;
		}
		int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc < 0 && errno == EINPROGRESS) {
			socklen_t len = sizeof why;
			why = ETIMEDOUT;
			if (wait_fd(fd, POLLOUT, deadline))
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &why, &len);
			rc = why ? -1 : 0;
		} else if (rc < 0) {
			why = errno;
		}
		if (rc < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (why == ETIMEDOUT)
			strfmt(err, errlen, "no answer within %ld ms", timeout_ms);
		else
			strfmt(err, errlen, "could not connect (%s port %s: %s)", t->host, t->port,
			       strerror(why));
		return -1;
	}
	/* Requests are one small write each: no reason to hold them back. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	return fd;
}

/* What was read so far of one answer. */
struct reader {
	int fd;
	int64_t deadline;
	char buf[HEAD_MAX];
	size_t len, pos;
	size_t got; /* bytes received in all */
};

/* Reads more into r->buf (moving the unread part to the front first).
 * Returns the bytes read, 0 at the peer's close, -1 on an error or timeout
 * (ETIMEDOUT in errno for the latter). */
static ssize_t fill(struct reader *r)
{
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len == sizeof r->buf) {
		errno = EMSGSIZE;
		return -1;
	}
	for (;;) {
		ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
		if (n > 0) {
			r->len += (size_t)n;
			r->got += (size_t)n;
			return n;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (!wait_fd(r->fd, POLLIN, r->deadline)) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

/* The next line (without its CRLF) in *line, NUL-terminated in place. */
static int read_line(struct reader *r, char **line)
{
	for (;;) {
		char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		if (nl) {
			char *start = r->buf + r->pos;
			r->pos = (size_t)(nl - r->buf) + 1;
			if (nl > start && nl[-1] == '\r')
				nl--;
			*nl = '\0';
			*line = start;
			return 0;
		}
		if (fill(r) <= 0)
			return -1;
	}
}

/* Takes n body bytes into ans (what fits) and drops the rest. */
static int read_body(struct reader *r, size_t n, struct fetch_answer *ans)
{
	while (n) {
		if (r->pos == r->len && fill(r) <= 0)
			return -1;
		size_t k = r->len - r->pos < n ? r->len - r->pos : n;
		size_t room = FETCH_ANSWER_MAX - ans->len;
		memcpy(ans->body + ans->len, r->buf + r->pos, k < room ? k : room);
		ans->len += k < room ? k : room;
		r->pos += k;
		n -= k;
	}
	return 0;
}

enum framing { BY_LENGTH, CHUNKED, TO_CLOSE };

/* Reads one answer. Returns 1 when the connection can carry another request,
 * 0 when it cannot, -1 on a failure (errno says which; r->got == 0 when
 * nothing at all came back). */
static int read_answer(struct reader *r, struct fetch_answer *ans)
{
	char *line;
	int minor, keep;
	long status = 0;
	enum framing framing;
	unsigned long long length = 0;
	do { /* 1xx answers come before the real one */
		if (read_line(r, &line) < 0)
			return -1;
		char *end = NULL;
		if (strncmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') ||
		    line[8] != ' ' || (status = strtol(line + 9, &end, 10)) < 100 || status > 999 ||
		    end != line + 12) {
			errno = EPROTO;
			return -1;
		}
		minor = line[7] - '0';
		keep = minor == 1;
		framing = TO_CLOSE;
		for (;;) {
			if (read_line(r, &line) < 0)
				return -1;
			if (!line[0])
				break;
			char *colon = strchr(line, ':');
			if (!colon)
				continue;
			*colon = '\0';
			char *v = colon + 1 + strspn(colon + 1, " \t");
			if (!strcasecmp(line, "Content-Length")) {
				char *e = NULL;
				errno = 0;
				length = strtoull(v, &e, 10);
				if (e == v || errno) {
					errno = EPROTO;
					return -1;
				}
				if (framing != CHUNKED)
					framing = BY_LENGTH;
			} else if (!strcasecmp(line, "Transfer-Encoding")) {
				framing = strcasestr(v, "chunked") ? CHUNKED : TO_CLOSE;
			} else if (!strcasecmp(line, "Connection")) {
				if (strcasestr(v, "close"))
					keep = 0;
				else if (strcasestr(v, "keep-alive"))
					keep = 1;
			}
		}
	} while (status < 200 && status != 101);
	ans->status = status;
	if (status == 204 || status == 304)
		return keep;
	if (framing == BY_LENGTH) {
		if (length > DRAIN_MAX + FETCH_ANSWER_MAX) {
			keep = 0;
			length = FETCH_ANSWER_MAX;
		}
		return read_body(r, (size_t)length, ans) < 0 ? -1 : keep;
	}
	if (framing == CHUNKED) {
		size_t total = 0;
		for (;;) {
			if (read_line(r, &line) < 0)
				return -1;
			char *e = NULL;
			unsigned long long n = strtoull(line, &e, 16);
			if (e == line) {
				errno = EPROTO;
				return -1;
			}
			if (n == 0)
				break;
			if (n > DRAIN_MAX || (total += n) > DRAIN_MAX + FETCH_ANSWER_MAX) {
				errno = EMSGSIZE;
				return -1;
			}
			if (read_body(r, (size_t)n, ans) < 0 || read_line(r, &line) < 0)
				return -1;
		}
		do { /* trailers, up to the empty line */
			if (read_line(r, &line) < 0)
				return -1;
		} while (line[0]);
		return keep;
	}
	/* Neither: the body runs to the close. */
	for (size_t total = 0;;) {
		size_t k = r->len - r->pos, room = FETCH_ANSWER_MAX - ans->len;
		memcpy(ans->body + ans->len, r->buf + r->pos, k < room ? k : room);
		ans->len += k < room ? k : room;
		r->pos = r->len;
		total += k;
		if (total > DRAIN_MAX + FETCH_ANSWER_MAX)
			return 0;
		ssize_t n = fill(r);
		if (n == 0)
			return 0;
		if (n < 0)
			return -1;
	}
}

int fetch_plain_read(int fd, long timeout_ms, struct fetch_answer *ans)
{
	struct reader *r = xmalloc(sizeof *r);
	r->fd = fd;
	r->deadline = clock_now_ms() + timeout_ms;
	r->len = r->pos = r->got = 0;
	ans->status = 0;
	ans->len = 0;
	int rc = read_answer(r, ans);
	ans->body[ans->len] = '\0';
	free(r);
	return rc;
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_fd(fd, POLLOUT, deadline)) {
				errno = ETIMEDOUT;
				return -1;
			}
			continue;
		}
		return -1;
	}
	return 0;
}

/* A request made ready to go: its target and its bytes. */
struct prepared {
	struct target t;
	char *req;
	size_t len;
};

static int prepare(const char *url, struct prepared *q, char *err, size_t errlen)
{
	q->req = NULL;
	if (parse_url(url, &q->t) < 0) {
		strfmt(err, errlen, "URL using bad/illegal format or missing URL");
		return -1;
	}
	size_t cap = q->t.path_len + strlen(q->t.authority) + 96;
	q->req = xmalloc(cap);
	strfmt(q->req, cap, "GET %s%.*s HTTP/1.1\r\nHost: %s\r\nUser-Agent: iotpd\r\n\r\n",
	       q->t.path[0] == '/' ? "" : "/", (int)q->t.path_len, q->t.path, q->t.authority);
	q->len = strlen(q->req);
	return 0;
}

/* A request's bytes carry what its URL does (Kannel's sendsms: the code), so
 * they are wiped before they are freed, as the provider wipes its URL. */
static void drop_request(struct prepared *q)
{
	if (q->req)
		explicit_bzero(q->req, q->len);
	free(q->req);
	q->req = NULL;
}

/* A pooled connection, or else a new one: -1 with err when none. */
static int open_for(struct fetch_plain *p, const struct target *t, int64_t deadline, int *reused,
                    char *err, size_t errlen)
{
	int fd = take_idle(p, t->authority);
	*reused = fd >= 0;
	return fd >= 0 ? fd : connect_to(t, p->timeout_ms, deadline, err, errlen);
}

/* The answer to the request sent on fd (sent: send_all's result, why its
 * errno), after which fd goes back to the pool or is closed. Returns 0 with
 * the answer in ans; 1 when fd was a pooled connection the gateway had closed
 * before answering anything, so the request may go once more on another; -1
 * with err. */
static int answer_on(struct fetch_plain *p, const struct target *t, int fd, int reused, int sent,
                     int why, int64_t deadline, struct reader *r, struct fetch_answer *ans,
                     char *err, size_t errlen)
{
	r->fd = fd;
	r->deadline = deadline;
	r->len = r->pos = r->got = 0;
	ans->len = 0;
	int keep = -1;
	if (sent == 0) {
		keep = read_answer(r, ans);
		why = errno;
	}
	if (keep > 0 && r->pos == r->len)
		give_idle(p, fd, t->authority);
	else
		close(fd);
	if (keep >= 0)
		return 0;
	if (reused && r->got == 0 && why != ETIMEDOUT)
		return 1;
	if (why == ETIMEDOUT)
		strfmt(err, errlen, "no answer within %ld ms", p->timeout_ms);
	else if (why == EPROTO || why == EMSGSIZE)
		strfmt(err, errlen, "the answer is not HTTP/1.x this client reads (%s)",
		       strerror(why));
	else if (r->got == 0)
		strfmt(err, errlen, "the connection failed before an answer (%s)", strerror(why));
	else
		strfmt(err, errlen, "the connection failed during the answer (%s)", strerror(why));
	return -1;
}

/* Sends q and reads its answer, tries times at most (a pooled connection the
 * gateway has closed in the meantime fails at once, before any answer: then
 * once more. Only then: a request that got some answer, or none in time, is
 * never repeated). */
static int exchange(struct fetch_plain *p, const struct prepared *q, int tries, int64_t deadline,
                    struct reader *r, struct fetch_answer *ans, char *err, size_t errlen)
{
	int rc = -1;
	for (; tries > 0; tries--) {
		int reused, fd = open_for(p, &q->t, deadline, &reused, err, errlen);
		if (fd < 0)
			break;
		int sent = send_all(fd, q->req, q->len, deadline);
		rc = answer_on(p, &q->t, fd, reused, sent, errno, deadline, r, ans, err, errlen);
		if (rc != 1)
			break;
		rc = -1;
		strfmt(err, errlen,
		       "the connection failed before an answer (closed by the gateway)");
	}
	return rc;
}

int fetch_plain_get(struct fetch_plain *p, const char *url, struct fetch_answer *ans, char *err,
                    size_t errlen)
{
	ans->status = 0;
	ans->len = 0;
	ans->body[0] = '\0';
	struct prepared q;
	if (prepare(url, &q, err, errlen) < 0)
		return -1;
	struct reader *r = xmalloc(sizeof *r);
	int rc = exchange(p, &q, 2, clock_now_ms() + p->timeout_ms, r, ans, err, errlen);
	ans->body[ans->len] = '\0';
	free(r);
	drop_request(&q);
	return rc;
}

void fetch_plain_get_batch(struct fetch_plain *p, const char *const *urls, size_t n,
                           struct fetch_answer *ans, int *rc, char *err, size_t errlen)
{
	struct prepared *q = xcalloc(n, sizeof *q);
	struct sent {
		int fd, reused, rc, why;
	} *s = xcalloc(n, sizeof *s);
	struct reader *r = xmalloc(sizeof *r);
	int64_t deadline = clock_now_ms() + p->timeout_ms;
	/* Every request goes out before any answer is read: the gateway works on
	 * them together, and the wait is the slowest answer's, not the sum. */
	for (size_t i = 0; i < n; i++) {
		char *e = err + i * errlen;
		ans[i].status = 0;
		ans[i].len = 0;
		rc[i] = -1;
		s[i].fd = -1;
		if (prepare(urls[i], &q[i], e, errlen) < 0 ||
		    (s[i].fd = open_for(p, &q[i].t, deadline, &s[i].reused, e, errlen)) < 0)
			continue;
		s[i].rc = send_all(s[i].fd, q[i].req, q[i].len, deadline);
		s[i].why = errno;
	}
	for (size_t i = 0; i < n; i++) {
		char *e = err + i * errlen;
		if (s[i].fd >= 0) {
			rc[i] = answer_on(p, &q[i].t, s[i].fd, s[i].reused, s[i].rc, s[i].why,
			                  deadline, r, &ans[i], e, errlen);
			if (rc[i] == 1)
				rc[i] = exchange(p, &q[i], 1, deadline, r, &ans[i], e, errlen);
		}
		ans[i].body[ans[i].len] = '\0';
		drop_request(&q[i]);
	}
	free(r);
	free(s);
	free(q);
}
