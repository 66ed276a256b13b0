/* phone_parse and phone_format (src/phone/phone.cc, libphonenumber): what a
 * person typed, with a region. Input: region, NUL, number. Contract: a status
 * of enum phone_status, never negative; on PHONE_OK an E.164 number ("+" and
 * digits), a region of two capitals or "", and parsing
 * the E.164 form again gives the same number; phone_format's international form
 * parses back to it. */
#include "fuzz.h"
#include "phone/phone.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (phone_init() < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;
	fuzz_split(data, size, 2, &p);
	const char *region = p.s[0], *input = p.s[1];
	struct phone_number n;
	memset(&n, 0x5a, sizeof n);
	enum phone_status st = phone_parse(input, region, &n);
	FUZZ_ASSERT(st >= PHONE_OK && st <= PHONE_INVALID_COUNTRY_CODE);
	FUZZ_ASSERT(memchr(n.region, '\0', sizeof n.region));
	FUZZ_ASSERT(n.region[0] == '\0' || (n.region[0] >= 'A' && n.region[0] <= 'Z' &&
					    n.region[1] >= 'A' && n.region[1] <= 'Z'));
	if (st == PHONE_OK) {
		size_t len = strlen(n.e164);
		FUZZ_ASSERT(n.e164[0] == '+' && len >= 3 && len <= PHONE_E164_MAX);
		FUZZ_ASSERT(strspn(n.e164 + 1, "0123456789") == len - 1);
		FUZZ_ASSERT(n.calling_code > 0 && n.calling_code < 1000);
		FUZZ_ASSERT(n.type >= PHONE_TYPE_UNKNOWN && n.type < PHONE_TYPE_COUNT);
		struct phone_number again;
		FUZZ_ASSERT(phone_parse(n.e164, NULL, &again) == PHONE_OK);
		FUZZ_ASSERT(strcmp(again.e164, n.e164) == 0 && again.type == n.type);
		/* Only the international form: libphonenumber's national form need not
		 * parse back where a country renumbered (Gabon's old +241 4 12 34 56
		 * is written "04 12 34 56", which reads as the new +241 04 12 34 56). */
		char shown[64];
		FUZZ_ASSERT(phone_format(n.e164, 1, shown, sizeof shown) == 0);
		FUZZ_ASSERT(phone_parse(shown, n.region, &again) == PHONE_OK);
		FUZZ_ASSERT(strcmp(again.e164, n.e164) == 0);
		FUZZ_ASSERT(phone_format(n.e164, 0, shown, sizeof shown) == 0);
		FUZZ_ASSERT(fuzz_utf8(shown, strlen(shown)));
	}
	char buf[64];
	if (phone_country_name(region, buf, sizeof buf) == 0)
		FUZZ_ASSERT(fuzz_utf8(buf, strlen(buf)));
	if (phone_example(region, buf, sizeof buf) == 0) {
		struct phone_number ex;
		FUZZ_ASSERT(phone_parse(buf, NULL, &ex) == PHONE_OK);
	}
	fuzz_parts_free(&p);
	return 0;
}
