#include "core/number.h"

#include <ctype.h>
#include <string.h>

#include "base/alloc.h"

static enum iotp_error phone_error(enum phone_status st)
{
	switch (st) {
	case PHONE_OK:
		return IOTP_E_OK;
	case PHONE_MISSING_COUNTRY_CODE:
		return IOTP_E_MISSING_COUNTRY_CODE;
	case PHONE_TOO_SHORT:
		return IOTP_E_TOO_SHORT;
	case PHONE_TOO_LONG:
		return IOTP_E_TOO_LONG;
	case PHONE_INVALID_COUNTRY_CODE:
		return IOTP_E_INVALID_COUNTRY_CODE;
	case PHONE_INVALID_NUMBER:
		break;
	}
	return IOTP_E_INVALID_NUMBER;
}

const struct config_test_number *number_test(const struct core *c, const char *e164)
{
	for (int i = 0; i < c->cfg->n_test_numbers; i++)
		if (strcmp(c->cfg->test[i].phone, e164) == 0)
			return &c->cfg->test[i];
	return NULL;
}

/* The configured test number that what a person typed spells, ignoring the
 * usual separators, or NULL. */
static const struct config_test_number *test_number_typed(const struct core *c, const char *typed)
{
	char canon[PHONE_E164_MAX + 2];
	size_t n = 0;
	if (!c->cfg->n_test_numbers)
		return NULL;
	for (const char *p = typed; *p; p++) {
		if (*p == ' ' || *p == '-' || *p == '.' || *p == '(' || *p == ')')
			continue;
		if (n + 1 >= sizeof canon || !(isdigit((unsigned char)*p) || (*p == '+' && n == 0)))
			return NULL;
		canon[n++] = *p;
	}
	canon[n] = '\0';
	return number_test(c, canon);
}

enum iotp_error number_read(const struct core *c, const char *typed, const char *region,
			    struct phone_number *out, int *test_out)
{
	char reg[3] = "";
	memset(out, 0, sizeof *out);
	if (!region || !*region)
		region = c->cfg->default_region;
	if (*region) {
		if (strlen(region) != 2)
			return IOTP_E_INVALID_REGION;
		reg[0] = (char)toupper((unsigned char)region[0]);
		reg[1] = (char)toupper((unsigned char)region[1]);
		if (!phone_region_known(reg))
			return IOTP_E_INVALID_REGION;
	}
	enum iotp_error e = phone_error(phone_parse(typed, reg, out));
	const struct config_test_number *test = test_number_typed(c, typed);
	if (test && e) {
		/* Test numbers may be fictional (+44 7700 900xxx is reserved for drama):
		 * a configured one is taken as typed, whatever the library thinks. */
		strfmt(out->e164, sizeof out->e164, "%s", test->phone);
		out->type = PHONE_TYPE_MOBILE;
		e = IOTP_E_OK;
	}
	*test_out = test != NULL;
	return e;
}

enum iotp_error number_allowed(const struct core *c, const struct phone_number *n, int test)
{
	if (!test && !(c->allowed_types & (1u << n->type)))
		return IOTP_E_UNSUPPORTED_NUMBER_TYPE;
	return IOTP_E_OK;
}


enum iotp_error number_lookup(struct core *c, const struct policy_client *who, const char *typed,
			      const char *region, int64_t now, struct phone_number *out, int *test,
			      struct policy_verdict *v)
{
	memset(v, 0, sizeof *v);
	*test = 0;
	enum iotp_error e = number_read(c, typed, region, out, test);
	if (c->policy && who) {
		enum iotp_error limited = policy_lookup(c->policy, who, e ? NULL : out->e164, now, v);
		if (limited)
			return limited;
	}
	return e;
}
