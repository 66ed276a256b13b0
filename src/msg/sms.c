#include "msg/sms.h"

#include <string.h>

#include "msg/msg.h"
#include "base/utf8.h"

/* The default alphabet's 128 positions (TS 23.038 section 6.2.1). Position 0x1B
 * is the escape to the extension table, not a character: 0 marks it. */
/* clang-format off */
static const uint16_t basic[128] = {
	'@',    0x00A3, '$',    0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* @ £ $ ¥ è é ù ì */
	0x00F2, 0x00C7, '\n',   0x00D8, 0x00F8, '\r',   0x00C5, 0x00E5, /* ò Ç LF Ø ø CR Å å */
	0x0394, '_',    0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* Δ _ Φ Γ Λ Ω Π Ψ */
	0x03A3, 0x0398, 0x039E, 0,      0x00C6, 0x00E6, 0x00DF, 0x00C9, /* Σ Θ Ξ ESC Æ æ ß É */
	' ',    '!',    '"',    '#',    0x00A4, '%',    '&',    '\'',   /* ¤ where ASCII has $ */
	'(',    ')',    '*',    '+',    ',',    '-',    '.',    '/',
	'0',    '1',    '2',    '3',    '4',    '5',    '6',    '7',
	'8',    '9',    ':',    ';',    '<',    '=',    '>',    '?',
	0x00A1, 'A',    'B',    'C',    'D',    'E',    'F',    'G', /* ¡ where ASCII has @ */
	'H',    'I',    'J',    'K',    'L',    'M',    'N',    'O',
	'P',    'Q',    'R',    'S',    'T',    'U',    'V',    'W',
	'X',    'Y',    'Z',    0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* Ä Ö Ñ Ü § */
	0x00BF, 'a',    'b',    'c',    'd',    'e',    'f',    'g', /* ¿ where ASCII has ` */
	'h',    'i',    'j',    'k',    'l',    'm',    'n',    'o',
	'p',    'q',    'r',    's',    't',    'u',    'v',    'w',
	'x',    'y',    'z',    0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* ä ö ñ ü à */
};
/* clang-format on */

/* The extension table's characters (section 6.2.1.1), each ESC plus a septet. */
static const uint16_t extension[] = {
    0x000C, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC,
};

int msg_gsm7_septets(uint32_t cp)
{
	/* ASCII first, without the tables: most texts are all ASCII, and this is
	 * asked once per character of every code's SMS. All of printable ASCII
	 * is in the basic table but '`', and eight characters are extensions;
	 * of the control characters only LF and CR are basic, FF an extension. */
	if (cp < 0x80) {
		if (cp >= 0x20 && cp < 0x7F)
			return cp == '`' ? 0 : strchr("^{}\\[~]|", (int)cp) ? 2 : 1;
		return cp == '\n' || cp == '\r' ? 1 : cp == 0x0C ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof basic / sizeof basic[0]; i++)
		if (basic[i] == cp)
			return 1;
	for (size_t i = 0; i < sizeof extension / sizeof extension[0]; i++)
		if (extension[i] == cp)
			return 2;
	return 0;
}

const char *msg_encoding_name(enum msg_encoding enc)
{
	return enc == MSG_GSM7 ? "GSM-7" : "UCS-2";
}

const char *msg_encoding_unit(enum msg_encoding enc)
{
	return enc == MSG_GSM7 ? "septets" : "UCS-2 units";
}

/* Parts a text of these unit costs needs when cut into parts of cap units,
 * no cost ever straddling two parts (a straddling pair moves whole to the
 * next part, leaving a unit unused). */
static int count_parts(const char *text, size_t len, enum msg_encoding enc, size_t cap)
{
	size_t i = 0, used = 0;
	int parts = 1;
	while (i < len) {
		int32_t cp = utf8_next(text, len, &i);
		size_t cost = enc == MSG_GSM7 ? (size_t)msg_gsm7_septets((uint32_t)cp)
		                              : (cp >= 0x10000 ? 2 : 1);
		if (used + cost > cap) {
			parts++;
			used = 0;
		}
		used += cost;
	}
	return parts;
}

int msg_sms_measure(const char *text, struct msg_sms_size *out)
{
	size_t len = strlen(text), i = 0, septets = 0, utf16 = 0, chars = 0;
	uint32_t first_ucs2 = 0;

	while (i < len) {
		int32_t cp = utf8_next(text, len, &i);
		if (cp < 0)
			return MSG_EUTF8;
		chars++;
		utf16 += cp >= 0x10000 ? 2 : 1;
		int s = msg_gsm7_septets((uint32_t)cp);
		if (s == 0 && first_ucs2 == 0)
			first_ucs2 = (uint32_t)cp;
		septets += (size_t)s;
	}

	memset(out, 0, sizeof *out);
	out->chars = chars;
	out->first_ucs2 = first_ucs2;
	out->encoding = first_ucs2 ? MSG_UCS2 : MSG_GSM7;
	out->units = first_ucs2 ? utf16 : septets;
	out->limit = first_ucs2 ? MSG_UCS2_SINGLE : MSG_GSM7_SINGLE;
	if (out->units <= out->limit)
		out->segments = 1;
	else
		out->segments = count_parts(text, len, out->encoding,
		                            first_ucs2 ? MSG_UCS2_PART : MSG_GSM7_PART);
	return MSG_OK;
}
