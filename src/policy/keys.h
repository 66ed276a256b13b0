/* keys: the names under which policy counts things — number prefixes and
 * client networks. Pure functions of their input, so tests check them alone. */
#ifndef IOTP_POLICY_KEYS_H
#define IOTP_POLICY_KEYS_H

#include <stddef.h>

/* The E.164 number without its last drop digits ("+447911123456", 3 ->
 * "+447911123"): sequential numbers used in SMS pumping share it. Never cuts
 * into the first two digits after '+'. Returns 0, or -1 when out is too small
 * or e164 is not '+' and digits. */
int keys_prefix(const char *e164, int drop, char *out, size_t size);

/* The network of a client address: "192.0.2.0/24" for IPv4, the first 64 bits
 * for IPv6 ("2001:db8:1:2::/64"). IPv4-mapped IPv6 counts as IPv4. Returns 0,
 * or -1 when ip is not an address (out is then a copy of ip). */
int keys_network(const char *ip, char *out, size_t size);

/* The site of an IPv6 client address: its first 48 bits ("2001:db8:1::/48"),
 * what one customer or organisation is typically given, so an attacker who
 * holds one has 65,536 /64 networks. IPv4 addresses (IPv4-mapped IPv6 too)
 * have no site: out is "" and 0 is returned. Returns -1 when ip is not an
 * address (out is then ""). */
int keys_site(const char *ip, char *out, size_t size);

/* Canonical text of an address (IPv4-mapped IPv6 as IPv4), or -1. */
int keys_address(const char *ip, char *out, size_t size);

/* All three keys of one client address, reading it once (every limited
 * request needs them): what keys_address, keys_network and keys_site give,
 * with address a copy of ip when ip is not an address. Returns 0 or -1 as
 * keys_address does. */
#define KEYS_ADDRESS_MAX 64
struct keys_client {
	char address[KEYS_ADDRESS_MAX];
	char network[KEYS_ADDRESS_MAX];
	char site[KEYS_ADDRESS_MAX];
};
int keys_client(const char *ip, struct keys_client *k);

#endif
