#include "core/core.h"

#include <ctype.h>
#include <string.h>

#include "base/alloc.h"
#include "phone/phone.h"

int core_init(struct core *c, const struct config *cfg, struct store *st,
	      const unsigned char secret[32], char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	c->store = st;
	seal_derive(secret, &c->keys);
	c->channels = CORE_CHANNEL_SMS | CORE_CHANNEL_VOICE;

	char buf[512];
	if (strfmt(buf, sizeof buf, "%s", cfg->allowed_number_types) < 0) {
		strfmt(err, errlen, "option allowed_number_types (IOTP_ALLOWED_NUMBER_TYPES): too long");
		return -1;
	}
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int t = phone_type_from_name(tok);
		if (t < 0) {
			strfmt(err, errlen,
			       "option allowed_number_types (IOTP_ALLOWED_NUMBER_TYPES): unknown type '%s' "
			       "(known: mobile, fixed_line, fixed_line_or_mobile, toll_free, premium_rate, "
			       "shared_cost, voip, personal_number, pager, uan, voicemail, unknown)",
			       tok);
			return -1;
		}
		if (t == PHONE_TYPE_PREMIUM_RATE || t == PHONE_TYPE_SHARED_COST || t == PHONE_TYPE_UAN ||
		    t == PHONE_TYPE_PAGER || t == PHONE_TYPE_PERSONAL_NUMBER) {
			/* These ranges pay their holder per message or call: the very
			 * thing SMS pumping exploits (docs/fraud.md). */
			strfmt(err, errlen,
			       "option allowed_number_types (IOTP_ALLOWED_NUMBER_TYPES): '%s' numbers are "
			       "never accepted (premium_rate, shared_cost, uan, pager and personal_number "
			       "are how SMS pumping is paid)",
			       tok);
			return -1;
		}
		c->allowed_types |= 1u << t;
	}
	if (!c->allowed_types) {
		strfmt(err, errlen,
		       "option allowed_number_types (IOTP_ALLOWED_NUMBER_TYPES): allow at least one type");
		return -1;
	}
	const char *r = cfg->default_region;
	if (*r && !phone_region_known(r)) {
		strfmt(err, errlen,
		       "option default_region (IOTP_DEFAULT_REGION): '%s' is not a region code such as "
		       "GB or US (upper case)",
		       r);
		return -1;
	}
	return apps_load(&c->apps, cfg, err, errlen);
}

void core_deinit(struct core *c)
{
	apps_free(&c->apps);
}

int core_ready(struct core *c, const char **backend, char *why, size_t len)
{
	*backend = store_backend_name(c->store);
	return store_ready(c->store, why, len);
}
