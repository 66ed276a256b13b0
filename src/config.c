#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "store/store.h"

enum opt_type { T_STRING, T_INT, T_BOOL, T_INT_LIST };

struct option {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *def;     /* production default */
	const char *dev_def; /* default under --dev, or NULL for the same */
	long min, max;       /* bounds for T_INT and each T_INT_LIST element */
	int secret;          /* 1: masked in --dump-config; 2 (SECRET_URL): its password masked */
	const char *help;
};

#define F(field) offsetof(struct config, field)
#define SECRET_URL 2

static const struct option options[] = {
	{"listen", T_STRING, F(listen), "127.0.0.1:8080", NULL, 0, 0, 0,
	 "Address and port the HTTP API listens on (HOST:PORT)."},
	{"data_dir", T_STRING, F(data_dir), "./iotp-data", NULL, 0, 0, 0,
	 "Directory for the SQLite database, the server secret and the log provider's messages."},
	{"store", T_STRING, F(store), "", NULL, 0, 0, SECRET_URL,
	 "Where iotp keeps its state: 'sqlite:DIR/FILE' (one node; empty means sqlite:<data_dir>/iotp.db) "
	 "or a PostgreSQL connection URI 'postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=require' (or "
	 "libpq 'key=value' words) shared by any number of nodes: see docs/deploy.md. Its password is "
	 "masked in --dump-config and in logs."},
	{"store_pool_size", T_INT, F(store_pool_size), "8", NULL, 1, 256, 0,
	 "PostgreSQL: connections each node keeps to the server. Requests beyond it wait for a free "
	 "one; every node's pool counts against the server's max_connections."},
	{"store_timeout", T_INT, F(store_timeout), "5", NULL, 1, 600, 0,
	 "PostgreSQL: seconds a statement may run (and a connection may take to open) before it is "
	 "cancelled and the request answered 503 store_unavailable."},
	{"store_lease", T_INT, F(store_lease), "30", NULL, 2, 3600, 0,
	 "PostgreSQL: seconds a node may hold a message it claimed for delivery; past it, the node is "
	 "taken for dead and another sends the message (or, caught mid-hand-over, marks it sent with "
	 "an unknown outcome rather than send it twice). Longer than any provider's answer takes."},
	{"retention_days", T_INT, F(retention_days), "90", NULL, 0, 36500, 0,
	 "Days sessions, their finished messages and hand-overs, delivered webhooks, numbers' notes and "
	 "fraud events are kept (the timeline and the dashboard reach this far back); older ones are removed in small batches by "
	 "whichever node holds the cleanup lease. Expired records go whatever this says. 0: keep them."},
	{"node_name", T_STRING, F(node_name), "", NULL, 0, 0, 0,
	 "PostgreSQL: this node's name, unique among the nodes and the same across its restarts; at "
	 "start-up it takes back the messages it held when it stopped. Empty: <hostname>:<data_dir>."},
	{"api_key", T_STRING, F(api_key), "", "dev", 0, 0, 1,
	 "Key app backends send as 'Authorization: Bearer <key>'. Required outside dev mode (at least 16 characters)."},
	{"secret", T_STRING, F(secret), "", NULL, 0, 0, 1,
	 "64 hex digits that seal codes and messages at rest. Empty: generated once into <data_dir>/secret. "
	 "Every node sharing a database needs the same secret."},
	{"app_name", T_STRING, F(app_name), "iotp", NULL, 0, 0, 0,
	 "The app's name as the SMS shows it: 'Your <app_name> code: 123-456.'"},
	{"code_length", T_INT, F(code_length), "6", NULL, 4, 10, 0, "Digits in a code."},
	{"min_code_length", T_INT, F(min_code_length), "6", NULL, 4, 10, 0,
	 "Fewest digits a client may ask its codes to have (code_length of POST /v1/sessions, Twilio's "
	 "CodeLength): a 4-digit code falls to 10 guesses a hundred times more often than a 6-digit one. "
	 "An [app ID] section may set its own. Shorter requests are refused (400)."},
	{"code_ttl", T_INT, F(code_ttl), "600", NULL, 10, 86400, 0,
	 "Seconds a code stays valid after it is sent; a resend within this time sends the same code and restarts it."},
	{"session_ttl", T_INT, F(session_ttl), "1800", NULL, 10, 86400, 0,
	 "Seconds a session lives from its creation (longer while a code it sent is still valid)."},
	{"verified_ttl", T_INT, F(verified_ttl), "600", NULL, 10, 86400, 0,
	 "Seconds a verified session can still be used (to register, change number, ...)."},
	{"max_check_attempts", T_INT, F(max_check_attempts), "5", NULL, 1, 20, 0,
	 "Code checks a session allows, right or wrong; then it refuses further checks for good."},
	{"sms_delays", T_INT_LIST, F(sms_delays), "0,60,120,300,600", NULL, 0, 86400, 0,
	 "Seconds to wait before each SMS of a session, counted from the previous SMS; the list's length is the "
	 "most SMS a session sends."},
	{"voice_delays", T_INT_LIST, F(voice_delays), "60,120,300", NULL, 0, 86400, 0,
	 "Seconds to wait before each voice call: the first counted from the first SMS (fixed lines: from the "
	 "start), the others from the previous call. Its length is the most calls a session makes."},
	{"allowed_number_types", T_STRING, F(allowed_number_types),
	 "mobile,fixed_line_or_mobile,fixed_line", NULL, 0, 0, 0,
	 "Number types that may get a code (see phone types in docs/api.md); others get 422 "
	 "unsupported_number_type. Fixed lines get voice calls only. Add voip to accept VoIP numbers (NIST SP "
	 "800-63B advises against). premium_rate, shared_cost, uan, pager and personal_number are never "
	 "accepted: they are how SMS pumping is paid."},
	{"default_region", T_STRING, F(default_region), "", NULL, 0, 0, 0,
	 "Region (ISO 3166 alpha-2) for numbers typed without a country code when the request names none."},
	{"test_numbers", T_STRING, F(test_numbers), "", NULL, 0, 0, 1,
	 "Numbers with a fixed code that send nothing and skip send waits, for app developers' CI: "
	 "'+15005550006:123456,+447700900001:000000'."},
	{"allow_test_numbers", T_BOOL, F(allow_test_numbers), "false", "true", 0, 0, 0,
	 "Whether test_numbers may be used outside dev mode."},
	{"http_threads", T_INT, F(http_threads), "0", NULL, 0, 256, 0,
	 "HTTP worker threads; 0 means four per CPU core (an answer waits for its group commit "
	 "without holding its thread, but a read of the store or a provider still blocks it)."},
	{"cpu_scheduling", T_STRING, F(cpu_scheduling), "batch", NULL, 0, 0, 0,
	 "'batch': iotpd's threads run under Linux's SCHED_BATCH policy: the same share of the CPU, but a "
	 "thread one of them wakes (a delivery thread, a request whose commit is done) waits until the "
	 "waker blocks instead of preempting it mid-request; fewer context switches, 5-11 % less CPU a "
	 "verified flow (bench/RESULTS.md). 'normal': the kernel's default policy (SCHED_OTHER)."},
	{"http_timeout", T_INT, F(http_timeout), "10", NULL, 1, 3600, 0,
	 "Seconds a client may take to send a request's body once its headers are in (then 408), and "
	 "to send the next request's headers on a kept-alive connection (then it is closed)."},
	{"http_header_timeout", T_INT, F(http_header_timeout), "5", NULL, 1, 3600, 0,
	 "Seconds from a new connection to the end of its request's headers, however slowly they "
	 "trickle in; later, the client gets 408 request_timeout and is cut off (slow-header attacks)."},
	{"max_connections", T_INT, F(max_connections), "10000", NULL, 1, 1000000, 0,
	 "Open connections at once. A new connection beyond it closes the one that has waited longest "
	 "for a request (idle, or still sending its headers); one with a request in progress is never "
	 "closed. iotpd raises its open-file limit to fit, as far as the hard limit allows (it says so "
	 "when it cannot)."},
	{"max_connections_per_ip", T_INT, F(max_connections_per_ip), "64", NULL, 1, 1000000, 0,
	 "Open connections one client address may hold; more get 429 too_many_connections."},
	{"max_connections_per_network", T_INT, F(max_connections_per_network), "256", NULL, 1, 1000000,
	 0,
	 "Open connections one client network (/24 for IPv4, /64 for IPv6) may hold; more get 429 "
	 "too_many_connections. Behind a reverse proxy, raise it with max_connections_per_ip."},
	{"max_connections_per_site", T_INT, F(max_connections_per_site), "1024", NULL, 1, 1000000, 0,
	 "Open connections one IPv6 site (/48, 65,536 networks) may hold; more get 429 "
	 "too_many_connections."},
	{"sqlite_synchronous", T_STRING, F(sqlite_synchronous), "normal", NULL, 0, 0, 0,
	 "'normal': a process crash loses nothing, a power loss may lose the last second of writes; "
	 "'full': fsync on every commit."},
	{"log_level", T_STRING, F(log_level), "info", NULL, 0, 0, 0, "debug, info, warn or error."},
	{"log_format", T_STRING, F(log_format), "text", NULL, 0, 0, 0,
	 "text (one line per event: time, level, message) or json (one JSON object per line: "
	 "time, level, msg and the event's fields), for a log collector. Either way phone "
	 "numbers are masked, and codes, PINs and secrets are never written."},
	{"access_log", T_BOOL, F(access_log), "off", NULL, 0, 0, 0,
	 "on: one info line per HTTP request: method, route pattern (never the path as sent, which "
	 "may hold a number), status, duration in ms, app and request id. The request id is also "
	 "returned as X-Request-Id (a client's own X-Request-Id of up to 64 letters, digits and "
	 "-_.: is kept, else one is made)."},
	{"provider", T_STRING, F(provider), "", "log", 0, 0, 0,
	 "Message provider when the file has no [provider NAME] sections. Real gateways (kannel, http, "
	 "smpp) and routes per country are sections: see docs/delivery.md. 'log' writes every message, "
	 "codes in clear, to <data_dir>/messages.jsonl and the dev inbox: the default under --dev; "
	 "outside it only when set by name, with a warning at start-up. Empty outside --dev with no "
	 "sections: iotpd refuses to start."},
	{"pin_max_attempts", T_INT, F(pin_max_attempts), "10", NULL, 1, 100, 0,
	 "Wrong two-step verification PINs an account allows in a row; then the PIN is locked until it is "
	 "reset by e-mail or lapses."},
	{"pin_waits", T_INT_LIST, F(pin_waits), "0,0,30,60,300,900,3600,14400,43200,86400", NULL, 0,
	 2592000, 0,
	 "Seconds to wait after the 1st, 2nd, ... wrong PIN in a row before the next is compared (the last "
	 "repeats), answered with Retry-After."},
	{"pin_lapse", T_INT, F(pin_lapse), "604800", NULL, 1, 31536000, 0,
	 "Seconds without the account being used (7 days) after which its PIN no longer protects a new "
	 "registration: the owner registers with the code alone, as WhatsApp does."},
	{"pin_reminder_hours", T_INT_LIST, F(pin_reminder_hours), "12,24,72,168,336", NULL, 1, 8760, 0,
	 "Hours until the next PIN reminder after the 1st, 2nd, ... right answer in a row (the last "
	 "repeats); a wrong answer starts over."},
	{"pin_reset_ttl", T_INT, F(pin_reset_ttl), "3600", NULL, 60, 604800, 0,
	 "Seconds an e-mailed PIN reset link works."},
	{"reverify_after", T_INT, F(reverify_after), "0", NULL, 0, 315360000, 0,
	 "Seconds after its last verification at which an account must verify its number again before it "
	 "is served (e.g. 7776000 for 90 days); 0: never."},
	{"passkey_rp_id", T_STRING, F(passkey_rp_id), "", NULL, 0, 0, 0,
	 "Turns on passkeys (WebAuthn, docs/passkeys.md) for the default app: the relying party id, "
	 "the domain of the pages that run the ceremony, e.g. example.com (localhost for development). "
	 "A passkey works only for this id, and so only on that site. Empty: passkeys are off. An "
	 "[app ID] section sets its own."},
	{"passkey_origins", T_STRING, F(passkey_origins), "", NULL, 0, 0, 0,
	 "Comma-separated origins whose pages may run the default app's passkey ceremonies, exactly "
	 "as browsers write them (https://example.com,https://www.example.com, or "
	 "http://localhost:8080; http://localhost:* takes any port, for development). Empty: "
	 "https://<passkey_rp_id>. An [app ID] section sets its own."},
	{"passkey_user_verification", T_STRING, F(passkey_user_verification), "required", NULL, 0, 0, 0,
	 "required: a passkey counts only when its authenticator verified the person (screen lock, "
	 "PIN, fingerprint), which is what lets it stand in for the two-step PIN; preferred: presence "
	 "alone is accepted (a security key without a PIN)."},
	{"passkey_challenge_ttl", T_INT, F(passkey_challenge_ttl), "300", NULL, 30, 3600, 0,
	 "Seconds a passkey ceremony's challenge can be answered. Each challenge is answered once."},
	{"passkeys_max", T_INT, F(passkeys_max), "10", NULL, 1, 100, 0,
	 "Most passkeys one account may hold."},
	{"public_url", T_STRING, F(public_url), "http://127.0.0.1:8080", NULL, 0, 0, 0,
	 "The address people's browsers reach iotpd at, for links in e-mails (PIN reset)."},
	{"smtp_url", T_STRING, F(smtp_url), "", NULL, 0, 0, 0,
	 "SMTP server for PIN reset e-mails: smtp://host:port (STARTTLS when offered) or smtps://host:port. "
	 "Empty: no e-mail; PINs can only lapse."},
	{"smtp_tls", T_STRING, F(smtp_tls), "require", "opportunistic", 0, 0, 0,
	 "TLS to the SMTP server of smtp:// (smtps:// always has it): require (STARTTLS or no e-mail: "
	 "a reset link must not cross the network in clear), opportunistic (STARTTLS when offered; "
	 "the default in dev mode only) or off."},
	{"smtp_ca_file", T_STRING, F(smtp_ca_file), "", NULL, 0, 0, 0,
	 "PEM file of the certificate authorities that may sign the SMTP server's certificate (e.g. a "
	 "company CA or the server's own self-signed certificate). Empty: the system's CAs. The "
	 "certificate is always verified, host name included."},
	{"smtp_from", T_STRING, F(smtp_from), "iotp@localhost", NULL, 0, 0, 0,
	 "Sender address of iotp's e-mails."},
	{"smtp_user", T_STRING, F(smtp_user), "", NULL, 0, 0, 0, "SMTP user name, if the server wants one."},
	{"smtp_password", T_STRING, F(smtp_password), "", NULL, 0, 0, 1, "SMTP password."},
	{"webhook_timeout", T_INT, F(webhook_timeout), "5", NULL, 1, 60, 0,
	 "Seconds an app's webhook (or the SMTP server) may take to answer before the event is retried."},
	{"events_threads", T_INT, F(events_threads), "4", NULL, 1, 64, 0,
	 "Threads delivering webhooks and e-mails, one event at a time each. A destination (an app's "
	 "webhook, the SMTP server) gets one delivery at a time, so a slow one holds one thread at most."},
	{"events_breaker_open", T_INT, F(events_breaker_open), "30", NULL, 1, 600, 0,
	 "Seconds a destination rests after 5 failed deliveries in a row (its events wait, spending no "
	 "attempt); doubles after each failed probe, up to 10 minutes."},
	{"delivery", T_BOOL, F(delivery), "true", NULL, 0, 0, 0,
	 "false holds every message in the outbox (maintenance); they go out once it is true again."},
	{"limits", T_BOOL, F(limits), "on", NULL, 0, 0, 0,
	 "off turns the rate limits, spend caps, proof-of-work and SMS-pumping detector of docs/fraud.md "
	 "off for local integration testing; accepted only in dev mode. A session's own resend schedule, "
	 "attempt limit and expiry always hold."},
	{"trusted_proxies", T_STRING, F(trusted_proxies), "", NULL, 0, 0, 0,
	 "Addresses of your reverse proxies (comma-separated). Only a request from one of them has its "
	 "client address taken from X-Forwarded-For (the last address there not itself a trusted proxy)."},
	{"fraud_action", T_STRING, F(fraud_action), "refuse", NULL, 0, 0, 0,
	 "What a send to a number range blocked for SMS pumping answers: 'refuse' (403 prefix_blocked) or "
	 "'pretend' (answer as if sent, send nothing; the timeline records the truth)."},
	{"fraud_window", T_INT, F(fraud_window), "3600", NULL, 60, 86400, 0,
	 "Seconds: half-life of the recent window of codes sent and verified per prefix and country."},
	{"fraud_baseline_window", T_INT, F(fraud_baseline_window), "604800", NULL, 3600, 31536000, 0,
	 "Seconds: half-life of the long window whose conversion is each prefix's and country's baseline."},
	{"fraud_prefix3_min_sent", T_INT, F(fraud_prefix3_min_sent), "10", NULL, 1, 100000, 0,
	 "Recent sends to one number-without-its-last-3-digits before its conversion is judged."},
	{"fraud_prefix5_min_sent", T_INT, F(fraud_prefix5_min_sent), "20", NULL, 1, 100000, 0,
	 "Recent sends to one number-without-its-last-5-digits before its conversion is judged."},
	{"fraud_country_min_sent", T_INT, F(fraud_country_min_sent), "200", NULL, 1, 10000000, 0,
	 "Recent sends to one country before its conversion is judged."},
	{"fraud_baseline_min_sent", T_INT, F(fraud_baseline_min_sent), "50", NULL, 1, 10000000, 0,
	 "Sends of history a prefix or country needs before its own baseline is trusted; with less, a "
	 "prefix uses its country's and a country uses fraud_default_baseline."},
	{"fraud_throttle_percent", T_INT, F(fraud_throttle_percent), "50", NULL, 0, 100, 0,
	 "Throttle (new sessions owe a proof-of-work) when recent conversion falls below this % of the baseline."},
	{"fraud_block_percent", T_INT, F(fraud_block_percent), "20", NULL, 0, 100, 0,
	 "Block (no code is sent for fraud_block_time, or until 'iotpctl fraud unblock') when recent "
	 "conversion falls below this % "
	 "of the baseline."},
	{"fraud_default_baseline", T_INT, F(fraud_default_baseline), "60", NULL, 1, 100, 0,
	 "Conversion (%) assumed where there is no history yet."},
	{"fraud_block_time", T_INT, F(fraud_block_time), "3600", NULL, 1, 31536000, 0,
	 "Seconds a range's first block or a country's first throttle lasts; each repeat within "
	 "fraud_block_max of the last one ending doubles it. Measures lift themselves."},
	{"fraud_block_max", T_INT, F(fraud_block_max), "604800", NULL, 1, 31536000, 0,
	 "Seconds: the longest a block or throttle lasts, and how long a key must stay clear before its "
	 "repeats are forgotten."},
	{"fraud_pressure_window", T_INT, F(fraud_pressure_window), "60", NULL, 1, 3600, 0,
	 "Seconds: half-life of the short window of sessions created and verified per country and client "
	 "network, compared with fraud_window's to see pressure build up."},
	{"fraud_pressure_floor", T_INT, F(fraud_pressure_floor), "20", NULL, 1, 10000000, 0,
	 "Unverified sessions a country or client network may gather in the short window beyond its usual "
	 "before its new sessions owe a proof-of-work; each doubling beyond adds a bit."},
	{"fraud_pressure_young", T_INT, F(fraud_pressure_young), "25", NULL, 0, 10000000, 0,
	 "Most sessions of a country created within the last ~30 s (too young to have been verified) that "
	 "pressure forgives on top of fraud_pressure_floor, so that a fresh node, or a country quiet for "
	 "an hour, does not challenge its first honest people before any verification shows what is usual "
	 "(an attack there gets this many more sessions before the price rises; 0: none)."},
	{"fraud_profile_min_sessions", T_INT, F(fraud_profile_min_sessions), "2000", NULL, 1, 1000000000, 0,
	 "Sessions a country's hourly profile (when in the day its sessions come, learned over "
	 "fraud_baseline_window) must hold before it scales fraud_pressure_young: down to nothing at "
	 "the country's quiet hours, up to 4 times at its busiest."},
	{"fraud_spread_floor", T_INT, F(fraud_spread_floor), "5", NULL, 0, 10000000, 0,
	 "Sessions in blocks of 100,000 numbers where nobody verified within fraud_baseline_window that a "
	 "country may gather in the short window, beyond its usual share of such sessions, before new "
	 "sessions in such blocks owe a proof-of-work (an attack on random valid numbers lands mostly "
	 "there; real people mostly where others verified before). Under a country's pressure a block "
	 "with a verified history then pays only pow_difficulty. 0: the spread is not measured."},
	{"reach_provider", T_STRING, F(reach_provider), "", NULL, 0, 0, 0,
	 "A lookup provider asked, before a code is sent, whether the number is in service (an HLR "
	 "lookup): 'http' (reach_url), or empty for none. A number it says is not in service gets no "
	 "code (422 number_unreachable); a lookup that fails or times out sends anyway."},
	{"reach_url", T_STRING, F(reach_url), "", NULL, 0, 0, 0,
	 "The http lookup provider's URL, with {phone} where the number goes; it must answer 200 and "
	 "JSON with \"reachable\": true or false."},
	{"reach_header", T_STRING, F(reach_header), "", NULL, 0, 0, 1,
	 "A header sent with each lookup, 'Name: value' (e.g. 'Authorization: Bearer KEY')."},
	{"reach_timeout_ms", T_INT, F(reach_timeout_ms), "500", NULL, 50, 10000, 0,
	 "Milliseconds a lookup may take; past it the code is sent without an answer (fail open)."},
	{"reach_cache_s", T_INT, F(reach_cache_s), "86400", NULL, 0, 2592000, 0,
	 "Seconds a lookup's answer is kept (in memory, per node) before the number is asked again."},
	{"pow_countries", T_STRING, F(pow_countries), "", NULL, 0, 0, 0,
	 "Region codes (comma-separated) whose every new session owes a proof-of-work first."},
	{"pow_ip_sessions", T_INT, F(pow_ip_sessions), "30", NULL, 0, 1000000, 0,
	 "Sessions one client address may start within fraud_window before its new ones owe a proof-of-work "
	 "(0: never)."},
	{"pow_network_numbers", T_INT, F(pow_network_numbers), "50", NULL, 0, 1000000, 0,
	 "Distinct numbers, not verified, that one client site (its /24 for IPv4, /48 for IPv6) may start "
	 "sessions for within fraud_window before its new sessions owe a proof-of-work (0: never), on top "
	 "of what the site's verified numbers account for at the country's usual conversion (a busy NAT "
	 "whose numbers verify is not an attacker). The same number asked again counts once; a verified "
	 "one not at all."},
	{"pow_difficulty", T_INT, F(pow_difficulty), "16", NULL, 1, 30, 0,
	 "Leading zero bits a proof-of-work needs at the lowest risk (2^N hashes on average); each further "
	 "risk signal adds 2."},
	{"pow_max_difficulty", T_INT, F(pow_max_difficulty), "18", NULL, 1, 30, 0,
	 "The most bits pressure makes a proof-of-work ask (2^18 hashes: about 0.3 s in a desktop "
	 "browser, 1 s on a slow phone, with a plain JavaScript solver): the price rises up to here, "
	 "nobody is refused for it."},
	{"twilio_account_sid", T_STRING, F(twilio_account_sid), "", NULL, 0, 0, 0,
	 "Turns on the Twilio Verify v2 API under /v2 (docs/compat.md): the account SID ('AC' and 32 hex "
	 "digits) clients send as the Basic auth user name, with an API key as the password. Empty: off."},
	{"twilio_max_services", T_INT, F(twilio_max_services), "100", NULL, 1, 100000, 0,
	 "Twilio Verify services one app may hold at once; creating one more answers 403 (error 20403) "
	 "until it deletes one."},
	{"gotrue_jwt_secret", T_STRING, F(gotrue_jwt_secret), "", NULL, 0, 0, 1,
	 "Turns on the Supabase Auth (GoTrue) phone API under gotrue_prefix (docs/compat.md): the HS256 "
	 "secret its access tokens are signed with, as PostgREST's jwt-secret (32 characters or more). "
	 "Empty: off."},
	{"metrics_token", T_STRING, F(metrics_token), "", NULL, 0, 0, 1,
	 "Turns on GET /metrics (Prometheus' text format, docs/operations.md): the token a scraper sends "
	 "as 'Authorization: Bearer <token>' (at least 16 characters). Empty: off."},
	{"admin_key", T_STRING, F(admin_key), "", "dev-admin", 0, 0, 1,
	 "Turns on the operator dashboard at /admin and the admin API under /v1/admin (docs/admin.md): the "
	 "key an operator or 'iotpctl --url' sends as 'Authorization: Bearer <key>' (at least 16 characters, "
	 "never an app's API key). Empty: both are off. Dev mode's default is 'dev-admin'."},
	{"web_page", T_BOOL, F(web_page), "false", "true", 0, 0, 0,
	 "Serves the registration page at / (docs/admin.md): anyone may then ask for codes through it, as "
	 "the default app and under every limit. On in dev mode, with the simulated phone beside it."},
	{"gotrue_prefix", T_STRING, F(gotrue_prefix), "/auth/v1", NULL, 0, 0, 0,
	 "Path under which the Supabase Auth (GoTrue) API answers."},
	{"gotrue_jwt_exp", T_INT, F(gotrue_jwt_exp), "3600", NULL, 30, 604800, 0,
	 "Seconds a GoTrue access token is valid."},
	{"gotrue_refresh_ttl", T_INT, F(gotrue_refresh_ttl), "2592000", NULL, 60, 31536000, 0,
	 "Seconds a GoTrue login lasts without being refreshed (its refresh token then expires)."},
	{"delivery_threads", T_INT, F(delivery_threads), "16", NULL, 1, 256, 0,
	 "Messages handed to gateways at once. A gateway answers each hand-over in its own time "
	 "(Kannel takes ~40 ms when a delivery report is asked for), so more keep codes flowing "
	 "while others wait."},
	{"delivery_batch", T_INT, F(delivery_batch), "1", NULL, 1, 64, 0,
	 "Messages to Kannel (over plain http://) one delivery driver takes in one store write "
	 "and sends at once, each on its own connection, when more are queued than "
	 "delivery_threads can carry one by one: about a fifth less iotpd CPU per code in bursts, "
	 "but Kannel then holds more of them ~40 ms (Nagle's algorithm between smsbox and "
	 "bearerbox), so raise it only where delayed ACKs are off (docs/delivery.md)."},
	{"dlr_timeout", T_INT, F(dlr_timeout), "0", NULL, 0, 86400, 0,
	 "Seconds after which a message the carrier has not confirmed (no delivery report) makes "
	 "the session's next send try the other providers of its route first. 0: off."},
	{"callback_base_url", T_STRING, F(callback_base_url), "", NULL, 0, 0, 0,
	 "Base URL at which SMS gateways reach this server with delivery reports (e.g. "
	 "https://otp.example.com, or http://10.0.0.5:8081 for a Kannel beside it). Empty: "
	 "http://<callback_listen address>, or http://<listen address> when callback_listen is "
	 "empty."},
	{"callback_listen", T_STRING, F(callback_listen), "", NULL, 0, 0, 0,
	 "Address and port (HOST:PORT) of a second listener that serves only delivery reports "
	 "(/v1/dlr/*), e.g. 127.0.0.1:8081 or an internal address your gateways reach; the API "
	 "listener then answers 404 there, and gateways no longer share max_connections_per_ip "
	 "with API clients. Empty: reports are served on listen."},
	{"callback_max_connections_per_ip", T_INT, F(callback_max_connections_per_ip), "0", NULL, 0,
	 100000, 0,
	 "Open connections one gateway address may hold on callback_listen; 0: no per-address "
	 "limit, only max_connections (a gateway sends all its reports from one address, many at "
	 "once). Set one if callback_listen is reachable from the internet."},
	{"alpha_sender_forbidden", T_STRING, F(alpha_sender_forbidden),
	 "US,CA,PR,CN,AR,BR,CL,CO,CR,EC,GT,MX,NI,PA,PE,UY,VE,KR,VN", NULL, 0, 0, 0,
	 "Regions whose carriers refuse alphanumeric sender ids: messages there come from the "
	 "[sender XX] or [sender default] number instead. Check your gateway's current list."},
};

#define N_OPTIONS (sizeof options / sizeof options[0])

static const struct option *find_option(const char *name)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static void env_name(const char *name, char *buf, size_t size)
{
	size_t j = 0;
	const char *prefix = "IOTP_";
	for (; prefix[j] && j + 1 < size; j++)
		buf[j] = prefix[j];
	for (size_t i = 0; name[i] && j + 1 < size; i++)
		buf[j++] = (char)toupper((unsigned char)name[i]);
	buf[j] = '\0';
}

static int parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int set_option(struct config *cfg, const struct option *o, const char *value, char *err,
		      size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	char env[64];
	env_name(o->name, env, sizeof env);

	switch (o->type) {
	case T_STRING: {
		char **p = (char **)field;
		free(*p);
		*p = xstrdup(value);
		return 0;
	}
	case T_INT: {
		long v;
		if (parse_long(value, &v) < 0) {
			strfmt(err, errlen, "option %s (%s): '%s' is not a whole number", o->name, env, value);
			return -1;
		}
		if (v < o->min || v > o->max) {
			strfmt(err, errlen, "option %s (%s): %ld is out of range %ld..%ld", o->name, env, v,
			       o->min, o->max);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	}
	case T_BOOL:
		if (!strcmp(value, "true") || !strcmp(value, "on") || !strcmp(value, "yes") ||
		    !strcmp(value, "1")) {
			*(int *)field = 1;
		} else if (!strcmp(value, "false") || !strcmp(value, "off") || !strcmp(value, "no") ||
			   !strcmp(value, "0")) {
			*(int *)field = 0;
		} else {
			strfmt(err, errlen, "option %s (%s): '%s' is not true or false", o->name, env, value);
			return -1;
		}
		return 0;
	case T_INT_LIST: {
		struct config_int_list list = {0};
		char buf[256];
		if (strfmt(buf, sizeof buf, "%s", value) < 0) {
			strfmt(err, errlen, "option %s (%s): value too long", o->name, env);
			return -1;
		}
		char *save = NULL;
		for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			long v;
			if (list.n == CONFIG_LIST_MAX) {
				strfmt(err, errlen, "option %s (%s): at most %d values", o->name, env,
				       CONFIG_LIST_MAX);
				return -1;
			}
			if (parse_long(tok, &v) < 0 || v < o->min || v > o->max) {
				strfmt(err, errlen,
				       "option %s (%s): '%s' is not a whole number in %ld..%ld", o->name,
				       env, tok, o->min, o->max);
				return -1;
			}
			list.v[list.n++] = (int)v;
		}
		*(struct config_int_list *)field = list;
		return 0;
	}
	}
	return -1;
}

int config_set(struct config *cfg, const char *name, const char *value, char *err, size_t errlen)
{
	const struct option *o = find_option(name);
	if (!o) {
		strfmt(err, errlen, "unknown option '%s' (iotpd --print-example-config lists them all)",
		       name);
		return -1;
	}
	return set_option(cfg, o, value, err, errlen);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int valid_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

/* "[kind]" or "[kind name]": kind is lower-case letters, name a word of
 * letters, digits, '-', '_' and '.' (a provider's name, a region, a language). */
static struct config_section *add_section(struct config *cfg, char *s, int lineno, char *err,
					  size_t errlen)
{
	char *close = strchr(s, ']');
	if (!close || close[1] != '\0') {
		strfmt(err, errlen, "%s:%d: expected a section header '[kind name]'", cfg->path, lineno);
		return NULL;
	}
	*close = '\0';
	char *kind = trim(s + 1), *name = kind;
	while (*name && !isspace((unsigned char)*name))
		name++;
	if (*name)
		*name++ = '\0';
	name = trim(name);
	int ok = *kind != '\0';
	for (const char *k = kind; *k; k++)
		ok = ok && islower((unsigned char)*k);
	if (!ok || (*name && !valid_word(name))) {
		strfmt(err, errlen,
		       "%s:%d: section header '[%s %s]' is not '[kind name]' (kind: lower-case letters; "
		       "name: letters, digits, '-', '_', '.')",
		       cfg->path, lineno, kind, name);
		return NULL;
	}
	if (config_section_find(cfg, kind, name)) {
		strfmt(err, errlen, "%s:%d: section [%s%s%s] appears twice; merge the two", cfg->path,
		       lineno, kind, *name ? " " : "", name);
		return NULL;
	}
	cfg->sections = xrealloc(cfg->sections, (size_t)(cfg->n_sections + 1) * sizeof *cfg->sections);
	struct config_section *sec = &cfg->sections[cfg->n_sections++];
	*sec = (struct config_section){xstrdup(kind), xstrdup(name), lineno, 0, NULL};
	return sec;
}

static int load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		strfmt(err, errlen, "cannot open configuration file %s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096];
	int lineno = 0, rc = 0;
	struct config_section *sec = NULL;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if (*s == '[') {
			sec = add_section(cfg, s, lineno, err, errlen);
			if (!sec) {
				rc = -1;
				break;
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			strfmt(err, errlen, "%s:%d: expected 'name = value'", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *name = trim(s), *value = trim(eq + 1);
		size_t vl = strlen(value);
		if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
			value[vl - 1] = '\0';
			value++;
		}
		if (sec) {
			if (config_section_get(sec, name)) {
				strfmt(err, errlen, "%s:%d: [%s%s%s]: '%s' is set twice", path, lineno,
				       sec->kind, *sec->name ? " " : "", sec->name, name);
				rc = -1;
				break;
			}
			sec->entries = xrealloc(sec->entries, (size_t)(sec->n + 1) * sizeof *sec->entries);
			sec->entries[sec->n++] = (struct config_entry){xstrdup(name), xstrdup(value), lineno};
			continue;
		}
		char inner[512];
		if (config_set(cfg, name, value, inner, sizeof inner) < 0) {
			strfmt(err, errlen, "%s:%d: %s", path, lineno, inner);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* Edit distance of a and b (both short), for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[72];
	if (la >= 71 || lb >= 71)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

void config_unknown_env(char *const *env, void (*fn)(const char *name, const char *suggest, void *arg),
			void *arg)
{
	for (; env && *env; env++) {
		const char *eq = strchr(*env, '=');
		char name[72];
		if (strncmp(*env, "IOTP_", 5) != 0 || !eq || (size_t)(eq - *env) >= sizeof name)
			continue;
		strfmt(name, sizeof name, "%.*s", (int)(eq - *env), *env);
		const char *best = NULL;
		size_t best_d = 99;
		char known[64], best_name[64] = "";
		for (size_t i = 0; i < N_OPTIONS; i++) {
			env_name(options[i].name, known, sizeof known);
			size_t d = distance(name, known);
			if (d < best_d) {
				best_d = d;
				strfmt(best_name, sizeof best_name, "%s", known);
				best = best_name;
			}
		}
		if (best_d == 0)
			continue;
		/* Only a near miss is worth a guess: a few letters off. */
		fn(name, best_d <= 3 ? best : NULL, arg);
	}
}

int config_load(struct config *cfg, const char *path, int dev, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->dev = dev;
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option *o = &options[i];
		const char *def = dev && o->dev_def ? o->dev_def : o->def;
		if (set_option(cfg, o, def, err, errlen) < 0)
			return -1;
	}
	if (path) {
		cfg->path = xstrdup(path);
		if (load_file(cfg, path, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; i < N_OPTIONS; i++) {
		char env[64];
		env_name(options[i].name, env, sizeof env);
		const char *v = getenv(env);
		if (v && set_option(cfg, &options[i], v, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int valid_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	long port;
	if (!colon || colon == s || parse_long(colon + 1, &port) < 0)
		return 0;
	return port >= 0 && port <= 65535;
}

static int parse_test_numbers(struct config *cfg, char *err, size_t errlen)
{
	char buf[4096];
	cfg->n_test_numbers = 0;
	if (strfmt(buf, sizeof buf, "%s", cfg->test_numbers) < 0) {
		strfmt(err, errlen, "option test_numbers (IOTP_TEST_NUMBERS): too long");
		return -1;
	}
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		char *colon = strchr(tok, ':');
		if (cfg->n_test_numbers == CONFIG_TEST_NUMBERS_MAX) {
			strfmt(err, errlen, "option test_numbers (IOTP_TEST_NUMBERS): at most %d numbers",
			       CONFIG_TEST_NUMBERS_MAX);
			return -1;
		}
		if (!colon) {
			strfmt(err, errlen,
			       "option test_numbers (IOTP_TEST_NUMBERS): '%s' should be +E164:CODE", tok);
			return -1;
		}
		*colon = '\0';
		const char *phone = tok, *code = colon + 1;
		size_t pl = strlen(phone), cl = strlen(code);
		int ok = phone[0] == '+' && pl >= 8 && pl <= 16 && cl == (size_t)cfg->code_length;
		for (size_t i = 1; ok && i < pl; i++)
			ok = isdigit((unsigned char)phone[i]);
		for (size_t i = 0; ok && i < cl; i++)
			ok = isdigit((unsigned char)code[i]);
		if (!ok) {
			strfmt(err, errlen,
			       "option test_numbers (IOTP_TEST_NUMBERS): '%s:%s' needs an E.164 number "
			       "and a code of code_length (%d) digits",
			       phone, code, cfg->code_length);
			return -1;
		}
		struct config_test_number *t = &cfg->test[cfg->n_test_numbers++];
		memcpy(t->phone, phone, pl + 1);
		memcpy(t->code, code, cl + 1);
	}
	return 0;
}

int config_validate(struct config *cfg, char *err, size_t errlen)
{
	if (!valid_listen(cfg->listen)) {
		strfmt(err, errlen, "option listen (IOTP_LISTEN): '%s' is not HOST:PORT", cfg->listen);
		return -1;
	}
	if (*cfg->callback_listen && !valid_listen(cfg->callback_listen)) {
		strfmt(err, errlen, "option callback_listen (IOTP_CALLBACK_LISTEN): '%s' is not HOST:PORT",
		       cfg->callback_listen);
		return -1;
	}
	/* Port 0 picks a free port for each: the same text is then two listeners. */
	const char *cport = strrchr(cfg->callback_listen, ':');
	if (*cfg->callback_listen && !strcmp(cfg->callback_listen, cfg->listen) &&
	    strcmp(cport, ":0") != 0) {
		strfmt(err, errlen,
		       "option callback_listen (IOTP_CALLBACK_LISTEN): '%s' is also listen; give the "
		       "delivery reports another port, or leave it empty to serve them on listen",
		       cfg->callback_listen);
		return -1;
	}
	if (!*cfg->data_dir) {
		strfmt(err, errlen, "option data_dir (IOTP_DATA_DIR): must not be empty");
		return -1;
	}
	if (!*cfg->store) {
		char url[4200];
		if (strfmt(url, sizeof url, "sqlite:%s/iotp.db", cfg->data_dir) < 0) {
			strfmt(err, errlen, "option data_dir (IOTP_DATA_DIR): path too long");
			return -1;
		}
		free(cfg->store);
		cfg->store = xstrdup(url);
	}
	if (!cfg->dev && strlen(cfg->api_key) < 16) {
		strfmt(err, errlen,
		       "option api_key (IOTP_API_KEY): set a key of at least 16 characters "
		       "(e.g. from 'openssl rand -hex 24'); only dev mode has a default");
		return -1;
	}
	if (!*cfg->api_key) {
		strfmt(err, errlen, "option api_key (IOTP_API_KEY): must not be empty");
		return -1;
	}
	if (*cfg->metrics_token && strlen(cfg->metrics_token) < 16) {
		strfmt(err, errlen,
		       "option metrics_token (IOTP_METRICS_TOKEN): set a token of at least 16 "
		       "characters (e.g. from 'openssl rand -hex 24'), or leave it empty to turn "
		       "GET /metrics off");
		return -1;
	}
	if (*cfg->admin_key && !cfg->dev && strlen(cfg->admin_key) < 16) {
		strfmt(err, errlen,
		       "option admin_key (IOTP_ADMIN_KEY): set a key of at least 16 characters "
		       "(e.g. from 'openssl rand -hex 24'), or leave it empty to turn the dashboard "
		       "and the admin API off");
		return -1;
	}
	if (*cfg->admin_key && !strcmp(cfg->admin_key, cfg->api_key)) {
		strfmt(err, errlen,
		       "option admin_key (IOTP_ADMIN_KEY): must differ from api_key: an app's key "
		       "must never open the admin API");
		return -1;
	}
	/* Nodes sharing a database unseal each other's codes: a secret generated
	 * per node (under its own data_dir) would make them fail on every other. */
	if (strncmp(cfg->store, "sqlite:", 7) != 0 && !*cfg->secret && !cfg->dev) {
		strfmt(err, errlen,
		       "option secret (IOTP_SECRET): a shared store needs the same secret on every "
		       "node; set 64 hex digits (e.g. from 'openssl rand -hex 32') on each");
		return -1;
	}
	size_t sl = strlen(cfg->secret);
	int hex = sl == 64;
	for (size_t i = 0; hex && i < sl; i++)
		hex = isxdigit((unsigned char)cfg->secret[i]);
	if (sl && !hex) {
		strfmt(err, errlen, "option secret (IOTP_SECRET): must be 64 hex digits, or empty");
		return -1;
	}
	if (!*cfg->app_name || strlen(cfg->app_name) > 30) {
		strfmt(err, errlen, "option app_name (IOTP_APP_NAME): 1 to 30 characters");
		return -1;
	}
	size_t tl = strlen(cfg->twilio_account_sid);
	int sid_ok = tl == 34 && cfg->twilio_account_sid[0] == 'A' && cfg->twilio_account_sid[1] == 'C';
	for (size_t i = 2; sid_ok && i < tl; i++)
		sid_ok = isxdigit((unsigned char)cfg->twilio_account_sid[i]);
	if (tl && !sid_ok) {
		strfmt(err, errlen,
		       "option twilio_account_sid (IOTP_TWILIO_ACCOUNT_SID): 'AC' and 32 hex digits, "
		       "or empty");
		return -1;
	}
	if (*cfg->gotrue_jwt_secret && strlen(cfg->gotrue_jwt_secret) < 32) {
		strfmt(err, errlen,
		       "option gotrue_jwt_secret (IOTP_GOTRUE_JWT_SECRET): at least 32 characters, "
		       "or empty");
		return -1;
	}
	const char *gp = cfg->gotrue_prefix;
	size_t gl = strlen(gp);
	if (gl < 2 || gl > 64 || gp[0] != '/' || gp[gl - 1] == '/' || strpbrk(gp, "{}?# ")) {
		strfmt(err, errlen,
		       "option gotrue_prefix (IOTP_GOTRUE_PREFIX): a path like /auth/v1 (no trailing /)");
		return -1;
	}
	if (cfg->sms_delays.n == 0 && cfg->voice_delays.n == 0) {
		strfmt(err, errlen,
		       "options sms_delays and voice_delays: at least one channel needs a send");
		return -1;
	}
	if (strcmp(cfg->cpu_scheduling, "batch") && strcmp(cfg->cpu_scheduling, "normal")) {
		strfmt(err, errlen,
		       "option cpu_scheduling (IOTP_CPU_SCHEDULING): '%s' is not batch or normal",
		       cfg->cpu_scheduling);
		return -1;
	}
	if (strcmp(cfg->sqlite_synchronous, "normal") && strcmp(cfg->sqlite_synchronous, "full")) {
		strfmt(err, errlen,
		       "option sqlite_synchronous (IOTP_SQLITE_SYNCHRONOUS): '%s' is not normal or full",
		       cfg->sqlite_synchronous);
		return -1;
	}
	int level = log_level_from_name(cfg->log_level);
	if (level < 0) {
		strfmt(err, errlen,
		       "option log_level (IOTP_LOG_LEVEL): '%s' is not debug, info, warn or error",
		       cfg->log_level);
		return -1;
	}
	if (log_format_from_name(cfg->log_format) < 0) {
		strfmt(err, errlen, "option log_format (IOTP_LOG_FORMAT): '%s' is not text or json",
		       cfg->log_format);
		return -1;
	}
	if (parse_test_numbers(cfg, err, errlen) < 0)
		return -1;
	if (!cfg->limits && !cfg->dev) {
		strfmt(err, errlen,
		       "option limits (IOTP_LIMITS): 'off' is accepted only in dev mode (--dev); in "
		       "production the rate limits protect your SMS budget");
		return -1;
	}
	if (strcmp(cfg->smtp_tls, "require") && strcmp(cfg->smtp_tls, "opportunistic") &&
	    strcmp(cfg->smtp_tls, "off")) {
		strfmt(err, errlen,
		       "option smtp_tls (IOTP_SMTP_TLS): '%s' is not require, opportunistic or off",
		       cfg->smtp_tls);
		return -1;
	}
	if (*cfg->smtp_ca_file && access(cfg->smtp_ca_file, R_OK) != 0) {
		strfmt(err, errlen,
		       "option smtp_ca_file (IOTP_SMTP_CA_FILE): cannot read '%s': %s; give the path of a "
		       "PEM file of CA certificates, or leave it empty for the system's CAs",
		       cfg->smtp_ca_file, strerror(errno));
		return -1;
	}
	if (strcmp(cfg->passkey_user_verification, "required") &&
	    strcmp(cfg->passkey_user_verification, "preferred")) {
		strfmt(err, errlen,
		       "option passkey_user_verification (IOTP_PASSKEY_USER_VERIFICATION): '%s' is not "
		       "required or preferred",
		       cfg->passkey_user_verification);
		return -1;
	}
	if (strcmp(cfg->fraud_action, "refuse") && strcmp(cfg->fraud_action, "pretend")) {
		strfmt(err, errlen, "option fraud_action (IOTP_FRAUD_ACTION): '%s' is not refuse or pretend",
		       cfg->fraud_action);
		return -1;
	}
	if (cfg->n_test_numbers && !cfg->dev && !cfg->allow_test_numbers) {
		strfmt(err, errlen,
		       "option test_numbers (IOTP_TEST_NUMBERS): test numbers are refused outside dev mode "
		       "unless allow_test_numbers = true");
		return -1;
	}
	return 0;
}

static void write_value(const struct config *cfg, const struct option *o, FILE *out)
{
	const char *field = (const char *)cfg + o->offset;
	switch (o->type) {
	case T_STRING:
		fputs(*(char *const *)field, out);
		break;
	case T_INT:
		fprintf(out, "%d", *(const int *)field);
		break;
	case T_BOOL: {
		/* In the words the option is documented with (limits = on|off). */
		int onoff = !strcmp(o->def, "on") || !strcmp(o->def, "off");
		int v = *(const int *)field;
		fputs(onoff ? (v ? "on" : "off") : (v ? "true" : "false"), out);
		break;
	}
	case T_INT_LIST: {
		const struct config_int_list *l = (const struct config_int_list *)field;
		for (int i = 0; i < l->n; i++)
			fprintf(out, "%s%d", i ? "," : "", l->v[i]);
		break;
	}
	}
}

int config_key_is_secret(const char *key)
{
	static const char *const words[] = {"secret", "password", "token", "key", "auth"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strstr(key, words[i]))
			return 1;
	return 0;
}

void config_dump(const struct config *cfg, FILE *out)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option *o = &options[i];
		fprintf(out, "%s = ", o->name);
		const char *str = o->type == T_STRING ? *(char *const *)((const char *)cfg + o->offset) : NULL;
		char masked[1024];
		if (o->secret == SECRET_URL && str)
			fputs(store_url_mask(str, masked, sizeof masked), out);
		else if (o->secret && str && *str)
			fputs("********", out);
		else
			write_value(cfg, o, out);
		fputc('\n', out);
	}
	for (int i = 0; i < cfg->n_sections; i++) {
		const struct config_section *sec = &cfg->sections[i];
		fprintf(out, "\n[%s%s%s]\n", sec->kind, *sec->name ? " " : "", sec->name);
		for (int j = 0; j < sec->n; j++)
			fprintf(out, "%s = %s\n", sec->entries[j].key,
				config_key_is_secret(sec->entries[j].key) ? "********" : sec->entries[j].value);
	}
}

void config_write_example(FILE *out)
{
	fputs("# iotpd configuration. Generated by 'iotpd --print-example-config' from the option\n"
	      "# table in src/config.c; every option can also be set by the environment variable\n"
	      "# IOTP_<NAME> (upper case), which wins over this file.\n"
	      "#\n"
	      "# Things there can be several of (providers, routes, apps, templates) are set\n"
	      "# after these options, in sections '[kind name]' of 'key = value' lines; each\n"
	      "# kind is described in docs/operations.md. Settings whose name holds 'secret',\n"
	      "# 'password', 'token', 'key' or 'auth' are masked by --dump-config.\n",
	      out);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option *o = &options[i];
		char env[64];
		env_name(o->name, env, sizeof env);
		fprintf(out, "\n# %s\n# Environment: %s.", o->help, env);
		if (o->dev_def)
			fprintf(out, " Dev-mode default: %s.", o->secret == 1 ? "(set)" : o->dev_def);
		if (o->type == T_INT)
			fprintf(out, " Range: %ld..%ld.", o->min, o->max);
		fprintf(out, "\n%s%s = %s\n", o->secret == 1 ? "# " : "", o->name, o->def);
	}
	fputs("\n# Countries that may get codes (docs/fraud.md). Outside dev mode a country is\n"
	      "# refused until an allow list names it; this set is a starting point: the EU's\n"
	      "# larger markets, the UK, North America, Australia and New Zealand. [geo APP]\n"
	      "# sections set an app's own lists; rate limits go in [limits], spend caps in\n"
	      "# [spend].\n"
	      "[geo]\n"
	      "allow = GB, IE, FR, DE, ES, IT, NL, BE, AT, PT, SE, DK, FI, NO, PL, US, CA, AU, NZ\n",
	      out);
}

int config_option_info(size_t i, struct config_option_info *out)
{
	if (i >= N_OPTIONS)
		return -1;
	const struct option *o = &options[i];
	out->name = o->name;
	env_name(o->name, out->env, sizeof out->env);
	out->help = o->help;
	out->def = o->def;
	out->dev_def = o->secret == 1 && o->dev_def ? "(set)" : o->dev_def;
	out->secret = o->secret;
	out->is_int = o->type == T_INT || o->type == T_INT_LIST;
	out->min = o->min;
	out->max = o->max;
	return 0;
}

const struct config_section *config_section_next(const struct config *cfg, const char *kind,
						 const struct config_section *prev)
{
	int i = prev ? (int)(prev - cfg->sections) + 1 : 0;
	for (; i < cfg->n_sections; i++)
		if (!strcmp(cfg->sections[i].kind, kind))
			return &cfg->sections[i];
	return NULL;
}

const struct config_section *config_section_find(const struct config *cfg, const char *kind,
						 const char *name)
{
	for (const struct config_section *s = NULL; (s = config_section_next(cfg, kind, s));)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

const char *config_section_get(const struct config_section *s, const char *key)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->entries[i].key, key))
			return s->entries[i].value;
	return NULL;
}

void config_section_where(const struct config *cfg, const struct config_section *s,
			  const char *key, char *buf, size_t size)
{
	int line = s->line;
	for (int i = 0; key && i < s->n; i++)
		if (!strcmp(s->entries[i].key, key))
			line = s->entries[i].line;
	strfmt(buf, size, "%s:%d: [%s%s%s]", cfg->path ? cfg->path : "(no file)", line, s->kind,
	       *s->name ? " " : "", s->name);
}

int config_section_check_keys(const struct config *cfg, const struct config_section *s,
			      const char *const *allowed, char *err, size_t errlen)
{
	for (int i = 0; i < s->n; i++) {
		int known = 0;
		for (size_t j = 0; allowed[j] && !known; j++)
			known = !strcmp(allowed[j], s->entries[i].key);
		if (known)
			continue;
		char where[512], list[512];
		list[0] = '\0';
		for (size_t j = 0; allowed[j]; j++) {
			size_t used = strlen(list);
			strfmt(list + used, sizeof list - used, "%s%s", j ? ", " : "", allowed[j]);
		}
		config_section_where(cfg, s, s->entries[i].key, where, sizeof where);
		strfmt(err, errlen, "%s: unknown setting '%s' (known: %s)", where, s->entries[i].key, list);
		return -1;
	}
	return 0;
}

void config_deinit(struct config *cfg)
{
	for (int i = 0; i < cfg->n_sections; i++) {
		struct config_section *s = &cfg->sections[i];
		for (int j = 0; j < s->n; j++) {
			free(s->entries[j].key);
			free(s->entries[j].value);
		}
		free(s->entries);
		free(s->kind);
		free(s->name);
	}
	free(cfg->sections);
	cfg->sections = NULL;
	cfg->n_sections = 0;
	free(cfg->path);
	cfg->path = NULL;

	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (options[i].type == T_STRING) {
			char **p = (char **)((char *)cfg + options[i].offset);
			free(*p);
			*p = NULL;
		}
	}
}
