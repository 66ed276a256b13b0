/* iotpctl account: an operator's view of the account on a number, and the
 * re-verification mark (support, or a fraud suspicion). The mark writes its
 * event like iotpd does; the running iotpd's events worker delivers it. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "core/account.h"
#include "core/core.h"
#include "ctl.h"
#include "phone/phone.h"

static const char usage_text[] =
	"usage: iotpctl account show PHONE [--app ID]\n"
	"       iotpctl account reverify PHONE [--app ID] [--reason TEXT]\n";

static void when(int64_t ms, char *buf, size_t size)
{
	if (ms)
		clock_format_ms(ms, buf, size);
	else
		strfmt(buf, size, "-");
}

static const char *const event_states[] = {"pending", "delivered", "failed"};

static void print_event(const struct store_event *e, void *arg)
{
	(void)arg;
	char at[32];
	when(e->created_at, at, sizeof at);
	printf("    %s  %-32s %-9s attempts=%d%s%s\n", at, e->type,
	       (unsigned)e->state < 3 ? event_states[e->state] : "?", e->attempts,
	       e->error[0] ? "  error: " : "", e->error);
}

static void show(const struct core *c, const struct store_account *a)
{
	char created[32], verified[32], device[32];
	when(a->created_at, created, sizeof created);
	when(a->verified_at, verified, sizeof verified);
	when(a->device_at, device, sizeof device);
	printf("account %s  %s (app %s)\n  created %s  last verified %s\n  device %s \"%s\" since %s\n"
	       "  pin %s  failures=%d  re-verification %s%s%s\n",
	       a->id, a->phone, a->app, created, verified, a->device_id, a->device_name, device,
	       a->pin_hash[0] ? "on" : "off", a->pin_failures, a->reverify ? "required" : "no",
	       a->reverify ? ": " : "", a->reverify_reason);
	printf("  events:\n");
	store_account_events(c->store, a->id, print_event, NULL);
}

int ctl_account(const struct config *cfg, struct store *st, int argc, char **argv)
{
	const char *app = APP_DEFAULT, *reason = "operator";
	if (argc < 2 || (strcmp(argv[0], "show") && strcmp(argv[0], "reverify"))) {
		fputs(usage_text, stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char **opt = !strcmp(argv[i], "--app")	 ? &app
				   : !strcmp(argv[i], "--reason") ? &reason
								  : NULL;
		if (!opt || i + 1 >= argc) {
			fprintf(stderr, "iotpctl: account: unexpected '%s'\n%s", argv[i], usage_text);
			return 2;
		}
		*opt = argv[++i];
	}
	struct phone_number n;
	if (phone_init() < 0 || phone_parse(argv[1], NULL, &n) != PHONE_OK) {
		fprintf(stderr, "iotpctl: '%s' is not a phone number with a country code\n", argv[1]);
		return 2;
	}
	char err[1024];
	unsigned char secret[32] = {0}; /* nothing here seals or opens a secret */
	struct core c;
	if (core_init(&c, cfg, st, secret, err, sizeof err) < 0) {
		fprintf(stderr, "iotpctl: %s\n", err);
		return 2;
	}
	struct store_account a;
	int rc = 0;
	if (!strcmp(argv[0], "show")) {
		int r = store_account_by_phone(st, app, n.e164, &a);
		if (r == 0)
			show(&c, &a);
		else
			fprintf(stderr, "iotpctl: no live account of app %s on %s\n", app, n.e164);
		rc = r == 0 ? 0 : 1;
	} else {
		enum iotp_error e = account_mark_reverify(&c, app, n.e164, reason, clock_now_ms(), &a);
		if (e == IOTP_E_OK)
			printf("account %s on %s marked: it must verify its number again (%s)\n", a.id,
			       a.phone, reason);
		else
			fprintf(stderr, "iotpctl: %s\n", iotp_error_message(e));
		rc = e == IOTP_E_OK ? 0 : 1;
	}
	core_deinit(&c);
	return rc;
}
