/* conntrack: open connections per client address, so one address cannot take
 * every connection the server has. Thread safe. */
#ifndef IOTP_CONNTRACK_H
#define IOTP_CONNTRACK_H

struct conntrack;
struct conntrack_slot;

struct conntrack *conntrack_new(int per_ip_limit);
void conntrack_free(struct conntrack *ct);

/* Counts a new connection from ip; returns a handle for conntrack_close. */
struct conntrack_slot *conntrack_open(struct conntrack *ct, const char *ip);
void conntrack_close(struct conntrack *ct, struct conntrack_slot *slot);
/* 1 when the connection that holds this handle is beyond its address's limit. */
int conntrack_over_limit(const struct conntrack_slot *slot);

#endif
