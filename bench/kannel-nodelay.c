/* Experiment only, not part of iotp (bench/README.md, bench/kannel-dlr.mjs):
 * preloaded into bearerbox and smsbox, turns Nagle's algorithm off on every
 * socket they connect or accept, which Kannel's gwlib never does. Shows that
 * the ~40 ms sendsms holds with two delivery reports per message are Nagle
 * meeting bearerbox's delayed ACK on the box connection. Other programs that
 * inherit LD_PRELOAD are left alone.
 *
 *   gcc -shared -fPIC -o /tmp/kannel-nodelay.so bench/kannel-nodelay.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
static int active = -1;
static int on(void) {
	if (active < 0) {
		extern char *program_invocation_short_name;
		active = !strcmp(program_invocation_short_name, "smsbox") || !strcmp(program_invocation_short_name, "bearerbox");
	}
	return active;
}
static void nd(int fd) { int one = 1; if (fd >= 0 && on()) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
int connect(int fd, const struct sockaddr *a, socklen_t l) {
	static int (*real)(int, const struct sockaddr *, socklen_t);
	if (!real) real = dlsym(RTLD_NEXT, "connect");
	nd(fd);
	return real(fd, a, l);
}
int accept(int fd, struct sockaddr *a, socklen_t *l) {
	static int (*real)(int, struct sockaddr *, socklen_t *);
	if (!real) real = dlsym(RTLD_NEXT, "accept");
	int r = real(fd, a, l); int e = errno; nd(r); errno = e; return r;
}
int accept4(int fd, struct sockaddr *a, socklen_t *l, int fl) {
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	if (!real) real = dlsym(RTLD_NEXT, "accept4");
	int r = real(fd, a, l, fl); int e = errno; nd(r); errno = e; return r;
}
