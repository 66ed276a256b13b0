#include "delivery/report.h"

#include <ctype.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "store/store.h"

/* Copies the word after key ("stat:") in a receipt. */
static int receipt_field(const char *receipt, const char *key, char *out, size_t size)
{
	const char *p = receipt;
	size_t kl = strlen(key);
	for (; (p = strstr(p, key)); p += kl) {
		if (p != receipt && !isspace((unsigned char)p[-1]))
			continue;
		p += kl;
		size_t n = 0;
		while (p[n] && !isspace((unsigned char)p[n]) && n + 1 < size) {
			out[n] = p[n];
			n++;
		}
		out[n] = '\0';
		return n ? 0 : -1;
	}
	return -1;
}

int report_smpp_stat(const char *receipt, char *reason, size_t size)
{
	char stat[16], err[16];
	if (receipt_field(receipt, "stat:", stat, sizeof stat) < 0)
		return -1;
	if (receipt_field(receipt, "err:", err, sizeof err) < 0)
		err[0] = '\0';
	char code[32] = "";
	if (err[0] && strspn(err, "0") != strlen(err))
		strfmt(code, sizeof code, ", error %s", err);
	reason[0] = '\0';
	if (!strcmp(stat, "DELIVRD"))
		return STORE_MSG_DELIVERED;
	if (!strcmp(stat, "ACCEPTD") || !strcmp(stat, "ENROUTE"))
		return STORE_MSG_ACCEPTED;
	if (!strcmp(stat, "EXPIRED")) {
		strfmt(reason, size,
		       "The phone stayed unreachable (off or out of coverage) until the carrier "
		       "gave up "
		       "(EXPIRED%s).",
		       code);
		return STORE_MSG_EXPIRED;
	}
	if (!strcmp(stat, "UNDELIV")) {
		strfmt(reason, size,
		       "The carrier could not deliver it to the phone: the number may be inactive, "
		       "roaming where SMS is barred, or its inbox full (UNDELIV%s).",
		       code);
		return STORE_MSG_FAILED;
	}
	if (!strcmp(stat, "REJECTD")) {
		strfmt(reason, size,
		       "The carrier rejected the message: the sender may be blocked in this "
		       "country or "
		       "the number barred from receiving it (REJECTD%s).",
		       code);
		return STORE_MSG_FAILED;
	}
	if (!strcmp(stat, "DELETED")) {
		strfmt(reason, size,
		       "The carrier deleted the message before delivering it (DELETED%s).", code);
		return STORE_MSG_FAILED;
	}
	strfmt(reason, size, "The carrier reported the message as %s%s.", stat, code);
	return STORE_MSG_FAILED;
}

int report_from_kannel(int type, const char *reply, struct provider_report *out, char *error,
                       size_t errlen)
{
	out->reason[0] = '\0';
	switch (type) {
	case 1:
		out->state = STORE_MSG_DELIVERED;
		return 0;
	case 2: {
		int st = report_smpp_stat(reply, out->reason, sizeof out->reason);
		if (st < 0 || st == STORE_MSG_DELIVERED || st == STORE_MSG_ACCEPTED) {
			st = STORE_MSG_FAILED;
			strfmt(out->reason, sizeof out->reason,
			       "The carrier could not deliver it to the phone (%.120s).",
			       reply[0] ? reply : "no reason given");
		}
		out->state = st;
		utf8_scrub(out->reason);
		return 0;
	}
	case 4:
		strfmt(error, errlen, "buffered at the gateway: nothing changes");
		return PROVIDER_REPORT_IGNORED;
	case 8:
		out->state = STORE_MSG_ACCEPTED;
		return 0;
	case 16:
		out->state = STORE_MSG_FAILED;
		strfmt(out->reason, sizeof out->reason,
		       "The carrier's SMS centre refused the message (%.120s).",
		       reply[0] ? reply : "no reason given");
		utf8_scrub(out->reason);
		return 0;
	}
	strfmt(error, errlen, "report type %d is not one Kannel sends", type);
	return PROVIDER_REPORT_INVALID;
}

int report_state_from_name(const char *name)
{
	static const struct {
		const char *name;
		int state;
	} map[] = {
	    {"submitted", STORE_MSG_SENT},      {"accepted", STORE_MSG_ACCEPTED},
	    {"delivered", STORE_MSG_DELIVERED}, {"failed", STORE_MSG_FAILED},
	    {"expired", STORE_MSG_EXPIRED},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(map[i].name, name))
			return map[i].state;
	return -1;
}
