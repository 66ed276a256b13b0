/* utf8_* (src/base/utf8.c) and msg_sms_measure (src/msg/sms.c): every
 * message text is checked and measured with them. Contract: utf8_valid
 * agrees with jansson's independent decoder; each code point decoded writes
 * back as the same bytes; utf8_next always moves forward; a text is GSM-7
 * exactly when every character has a GSM-7 septet count, its units are the
 * septets or UTF-16 units, and its segments fit those units: 1 up to the
 * single-segment limit, else between ceil(units / part) and
 * ceil(units / (part - 1)) (a character never straddles two parts). */
#include "fuzz.h"
#include "msg/msg.h"
#include "msg/sms.h"
#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int valid = utf8_valid(s, size);
	FUZZ_ASSERT(valid == fuzz_utf8(s, size));

	size_t i = 0, chars = 0, septets = 0, utf16 = 0;
	int gsm = 1;
	while (i < size) {
		size_t at = i;
		int32_t cp = utf8_next(s, size, &i);
		FUZZ_ASSERT(i > at && i <= size);
		if (cp < 0) {
			FUZZ_ASSERT(i == at + 1 && !valid);
			continue;
		}
		char back[4];
		size_t n = utf8_put((uint32_t)cp, back);
		FUZZ_ASSERT(n == i - at && memcmp(back, s + at, n) == 0);
		chars++;
		utf16 += cp >= 0x10000 ? 2 : 1;
		int sep = msg_gsm7_septets((uint32_t)cp);
		FUZZ_ASSERT(sep >= 0 && sep <= 2);
		if (sep == 0)
			gsm = 0;
		septets += (size_t)sep;
	}

	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct msg_sms_size m;
	int rc = msg_sms_measure(text, &m);
	if (memchr(data, '\0', size) || !valid) {
		FUZZ_ASSERT(rc == MSG_OK || rc == MSG_EUTF8);
		free(text);
		return 0;
	}
	FUZZ_ASSERT(rc == MSG_OK);
	FUZZ_ASSERT(m.chars == chars);
	FUZZ_ASSERT(m.encoding == (gsm ? MSG_GSM7 : MSG_UCS2));
	FUZZ_ASSERT(m.units == (gsm ? septets : utf16));
	FUZZ_ASSERT(gsm ? m.first_ucs2 == 0 : msg_gsm7_septets(m.first_ucs2) == 0);
	size_t part = gsm ? MSG_GSM7_PART : MSG_UCS2_PART;
	FUZZ_ASSERT(m.limit == (gsm ? MSG_GSM7_SINGLE : MSG_UCS2_SINGLE));
	FUZZ_ASSERT(m.segments >= 1);
	if (m.units <= m.limit) {
		FUZZ_ASSERT(m.segments == 1);
	} else {
		FUZZ_ASSERT((size_t)m.segments >= (m.units + part - 1) / part);
		FUZZ_ASSERT((size_t)m.segments <= (m.units + part - 2) / (part - 1));
	}
	free(text);
	return 0;
}
