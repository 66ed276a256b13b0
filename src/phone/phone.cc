// phone: the C API of phone.h on top of Google's libphonenumber (C++).
//
// With phone_type.cc, the project's only C++. Every extern "C" function catches all
// exceptions (std::string and protobuf can throw std::bad_alloc), so nothing
// unwinds into C. Nothing is allocated that outlives a call except the
// read-only tables below, built once.

// phone.h is a C header without extern "C" guards of its own.
extern "C" {
#include "phone/phone.h"
#include "phone/phone_metadata.h"
}
#include "phone/phone_type.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <sys/mman.h>
#include <unistd.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// The metadata libphonenumber reads when it starts. The library calls these
// two functions (through its PLT, so a definition in the program wins over
// the library's own) to get the serialised PhoneMetadataCollection compiled
// into it; ours hand it the current numbering plans of phone_metadata.c
// instead of the late-2022 ones Debian built in. Their names and signatures
// are those of libphonenumber's src/phonenumbers/metadata.h, unchanged since
// 2011. phone_init() checks that the library did call them.
namespace {
bool metadata_handed_over;
}

namespace i18n {
namespace phonenumbers {
int metadata_size();
const void *metadata_get();

int metadata_size()
{
	return static_cast<int>(phone_metadata_size);
}

const void *metadata_get()
{
	metadata_handed_over = true;
	return phone_metadata_bytes;
}
} // namespace phonenumbers
} // namespace i18n

namespace {

// Calling codes have at most three digits (ITU-T E.164).
constexpr int kMaxCallingCode = 999;

// Read-only after construction; a function-local static is built exactly
// once even when several threads get here first, so the functions are safe
// even if a caller forgot phone_init() (they just pay for it then).
struct tables {
	std::set<std::string> regions;
	char main_region[kMaxCallingCode + 1][3];

	tables()
	{
		const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();

		util->GetSupportedRegions(&regions);
		std::memset(main_region, 0, sizeof(main_region));
		for (int cc = 1; cc <= kMaxCallingCode; cc++) {
			std::string r;

			util->GetRegionCodeForCountryCode(cc, &r);
			// "ZZ" means unused, "001" a non-geographic code
			// (+800, +882...): neither is a region.
			if (r.size() == 2 && r != "ZZ")
				std::memcpy(main_region[cc], r.c_str(), 3);
		}
	}
};

// libphonenumber parses the serialised metadata into its own tables once and
// never reads it again: give its 200 kB of pages back. They are clean pages
// of the program file, so should anything touch them they are read again.
void release_metadata_pages()
{
	long page = sysconf(_SC_PAGESIZE);

	if (page <= 0)
		return;
	uintptr_t first = reinterpret_cast<uintptr_t>(phone_metadata_bytes);
	uintptr_t end = first + phone_metadata_size;
	uintptr_t mask = static_cast<uintptr_t>(page) - 1;

	first = (first + mask) & ~mask;
	end &= ~mask;
	if (end > first)
		madvise(reinterpret_cast<void *>(first), end - first, MADV_DONTNEED);
}

const tables &get_tables()
{
	static const tables t;
	return t;
}

const PhoneNumberUtil &util()
{
	return *PhoneNumberUtil::GetInstance();
}

bool region_known(const char *region)
{
	if (!region || std::strlen(region) != 2)
		return false;
	return get_tables().regions.count(region) != 0;
}

// Copies src into buf, truncated to a UTF-8 character boundary so a short
// buffer never ends in half a character ("Côte d’Ivoire").
void copy_utf8(char *buf, size_t size, const std::string &src)
{
	size_t n = src.size();

	if (n >= size) {
		n = size - 1;
		while (n > 0 && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80)
			n--;
	}
	std::memcpy(buf, src.data(), n);
	buf[n] = '\0';
}

void set_country(struct phone_number *out, int cc)
{
	const char *r = phone_region_for_calling_code(cc);

	std::memcpy(out->region, r, std::strlen(r) + 1);
	out->calling_code = cc;
}

// When the library refused the number before it found a calling code, tell
// the country ourselves so an error message can still name it: from the
// digits after the '+' or "00" (calling codes are prefix-free, so at most one
// prefix of the first three digits is in use), else from the region argument.
void guess_country(const char *digits, bool international, const char *region,
		   struct phone_number *out)
{
	if (!international) {
		if (region_known(region)) {
			std::memcpy(out->region, region, 3);
			out->calling_code = util().GetCountryCodeForRegion(region);
		}
		return;
	}
	int cc = 0;
	int ndigits = 0;

	for (; *digits && ndigits < 3; digits++) {
		if (*digits < '0' || *digits > '9')
			continue;	// "+ 4 4" reads as +44, as in the library
		cc = cc * 10 + (*digits - '0');
		ndigits++;
		std::string r;

		util().GetRegionCodeForCountryCode(cc, &r);
		if (r != "ZZ") {
			set_country(out, cc);
			return;
		}
	}
}

enum phone_type map_type(PhoneNumberUtil::PhoneNumberType t)
{
	switch (t) {
	case PhoneNumberUtil::FIXED_LINE: return PHONE_TYPE_FIXED_LINE;
	case PhoneNumberUtil::MOBILE: return PHONE_TYPE_MOBILE;
	case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return PHONE_TYPE_FIXED_LINE_OR_MOBILE;
	case PhoneNumberUtil::TOLL_FREE: return PHONE_TYPE_TOLL_FREE;
	case PhoneNumberUtil::PREMIUM_RATE: return PHONE_TYPE_PREMIUM_RATE;
	case PhoneNumberUtil::SHARED_COST: return PHONE_TYPE_SHARED_COST;
	case PhoneNumberUtil::VOIP: return PHONE_TYPE_VOIP;
	case PhoneNumberUtil::PERSONAL_NUMBER: return PHONE_TYPE_PERSONAL_NUMBER;
	case PhoneNumberUtil::PAGER: return PHONE_TYPE_PAGER;
	case PhoneNumberUtil::UAN: return PHONE_TYPE_UAN;
	case PhoneNumberUtil::VOICEMAIL: return PHONE_TYPE_VOICEMAIL;
	default: return PHONE_TYPE_UNKNOWN;
	}
}

// The library's Parse of input (start: where it reads from), with our
// statuses; PHONE_MISSING_COUNTRY_CODE for its invalid country code, which
// the caller tells apart.
enum phone_status parse_with_library(const char *input, const char *start, const char *region,
				     PhoneNumber *n)
{
	bool have_region = region && *region;
	bool idd00 = !have_region && start[0] == '0' && start[1] == '0';
	std::string text(input);
	if (idd00) {
		// Without a region the library has no international prefix to
		// strip; "00" is the one most of the world dials.
		text.replace(static_cast<size_t>(start - input), 2, "+");
	}
	// An unknown region ("XX", "gb", "001") is passed on as "ZZ", the
	// library's "no region": a national number then fails with
	// INVALID_COUNTRY_CODE_ERROR, which we report as
	// PHONE_INVALID_COUNTRY_CODE because the caller did name a region.
	// Callers check regions with phone_region_known() first.
	std::string def = region_known(region) ? region : "ZZ";

	switch (util().Parse(text, def, n)) {
	case PhoneNumberUtil::NO_PARSING_ERROR:
		return PHONE_OK;
	case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
		return PHONE_MISSING_COUNTRY_CODE;
	case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
	case PhoneNumberUtil::TOO_SHORT_NSN:
		return PHONE_TOO_SHORT;
	case PhoneNumberUtil::TOO_LONG_NSN:
		return PHONE_TOO_LONG;
	default:
		return PHONE_INVALID_NUMBER;
	}
}

enum phone_status parse(const char *input, const char *region,
			struct phone_number *out)
{
	if (!input) {
		guess_country("", false, region, out);
		return PHONE_INVALID_NUMBER;
	}

	bool have_region = region && *region;
	// Where the library will start reading: the first '+' or digit
	// (it skips leading blanks, brackets and text such as "Tel:").
	const char *start = input + std::strcspn(input, "+0123456789");
	bool idd00 = !have_region && start[0] == '0' && start[1] == '0';
	bool international = *start == '+' || idd00;
	const char *digits = start + (idd00 ? 2 : international ? 1 : 0);

	if (std::strlen(input) > PHONE_INPUT_MAX) {
		guess_country(digits, international, region, out);
		return PHONE_TOO_LONG;
	}
	// No ASCII digit and no non-ASCII byte: nothing the library could read
	// as a number. Non-ASCII input goes on, as the library reads
	// full-width and Arabic-Indic digits.
	bool maybe_digits = std::strpbrk(input, "0123456789") != nullptr;
	for (const char *p = input; *p && !maybe_digits; p++)
		maybe_digits = static_cast<unsigned char>(*p) >= 0x80;
	if (!maybe_digits) {
		guess_country(digits, international, region, out);
		return PHONE_INVALID_NUMBER;
	}

	PhoneNumber n;
	// A number already written as "+" and digits, the usual case, is read
	// without the library's general parser (phone_type.cc), which would
	// run half a dozen ICU patterns over it to find what it already is.
	if (!phone_read_international(input, &n)) {
		enum phone_status st = parse_with_library(input, start, region, &n);
		if (st != PHONE_OK) {
			guess_country(digits, international, region, out);
			if (st == PHONE_MISSING_COUNTRY_CODE && (international || have_region))
				st = PHONE_INVALID_COUNTRY_CODE;
			return st;
		}
	}

	int cc = n.country_code();

	// The library's IsValidNumber is its GetNumberType != UNKNOWN; the
	// region and the type come out of one pass (phone_type.cc).
	std::string r;
	PhoneNumberUtil::PhoneNumberType type = phone_region_and_type(n, &r);
	if (type == PhoneNumberUtil::UNKNOWN) {
		// The library's own region for an invalid number is unreliable
		// (+1 800 123 4567 gives "DO"): use the caller's region when
		// it shares the calling code, else the code's main region.
		if (region_known(region) &&
		    util().GetCountryCodeForRegion(region) == cc) {
			std::memcpy(out->region, region, 3);
			out->calling_code = cc;
		} else {
			set_country(out, cc);
		}
		switch (util().IsPossibleNumberWithReason(n)) {
		case PhoneNumberUtil::TOO_SHORT:
		// A local-only length lacks the area code ("555-2671" in
		// the US): to a person that is a number too short.
		case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
			return PHONE_TOO_SHORT;
		case PhoneNumberUtil::TOO_LONG:
			return PHONE_TOO_LONG;
		case PhoneNumberUtil::INVALID_COUNTRY_CODE:
			return PHONE_INVALID_COUNTRY_CODE;
		default:
			return PHONE_INVALID_NUMBER;
		}
	}

	std::string e164;

	util().Format(n, PhoneNumberUtil::E164, &e164);
	if (e164.size() > PHONE_E164_MAX) {	// cannot happen for a valid number
		set_country(out, cc);
		return PHONE_TOO_LONG;
	}
	// The number's own region, which may differ from the argument
	// (+44 7911 ... is Guernsey); "001" for +800 and the like is no
	// region, so it stays "".
	set_country(out, cc);
	if (r.size() == 2 && r != "ZZ")
		std::memcpy(out->region, r.c_str(), 3);
	std::memcpy(out->e164, e164.c_str(), e164.size() + 1);
	out->type = map_type(type);
	return PHONE_OK;
}

const char *const type_names[PHONE_TYPE_COUNT] = {
	"unknown", "mobile", "fixed_line", "fixed_line_or_mobile",
	"toll_free", "premium_rate", "shared_cost", "voip",
	"personal_number", "pager", "uan", "voicemail",
};

} // namespace

extern "C" {

int phone_init(void)
{
	try {
		// Loads the metadata and builds our tables now, so no request
		// pays for it; an empty region list means the library is
		// unusable.
		if (get_tables().regions.empty())
			return -1;
		// A library linked statically or with -Bsymbolic would have
		// read its own, older metadata: refuse to run on it.
		if (!metadata_handed_over)
			return -1;
		if (!phone_types_init(phone_metadata_bytes, phone_metadata_size))
			return -1;
		release_metadata_pages();
		// ICU loads its display names lazily: pay for that here too.
		// Names are a nicety, so failing here does not fail init.
		char name[64];

		phone_country_name("GB", name, sizeof(name));
		return 0;
	} catch (...) {
		return -1;
	}
}

enum phone_status phone_parse_uncached(const char *input, const char *region,
				       struct phone_number *out)
{
	struct phone_number tmp;

	// Work on a zeroed copy so *out never holds half a result, and a
	// NULL out is harmless.
	std::memset(&tmp, 0, sizeof(tmp));
	enum phone_status st;
	try {
		st = parse(input, region, &tmp);
	} catch (...) {
		std::memset(&tmp, 0, sizeof(tmp));
		st = PHONE_INVALID_NUMBER;
	}
	if (st != PHONE_OK) {
		tmp.e164[0] = '\0';
		tmp.type = PHONE_TYPE_UNKNOWN;
	}
	if (out)
		*out = tmp;
	return st;
}

const char *phone_type_name(enum phone_type type)
{
	// A C caller may pass any int; in C++ reading an out-of-range enum
	// is undefined, so look at its bytes as an int instead.
	int t;

	static_assert(sizeof(t) == sizeof(type), "enum phone_type is an int");
	std::memcpy(&t, &type, sizeof(t));
	if (t < 0 || t >= PHONE_TYPE_COUNT)
		t = PHONE_TYPE_UNKNOWN;
	return type_names[t];
}

int phone_type_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < PHONE_TYPE_COUNT; i++)
		if (std::strcmp(name, type_names[i]) == 0)
			return i;
	return -1;
}

int phone_region_known(const char *region)
{
	try {
		return region_known(region) ? 1 : 0;
	} catch (...) {
		return 0;
	}
}

int phone_country_name(const char *region, char *buf, size_t size)
{
	if (!buf || size == 0)
		return -1;
	buf[0] = '\0';
	try {
		if (!region_known(region))
			return -1;
		icu::UnicodeString name;
		std::string utf8;

		icu::Locale("", region).getDisplayCountry(icu::Locale::getEnglish(), name);
		name.toUTF8String(utf8);
		// ICU answers with the code itself when it has no name.
		if (utf8.empty() || utf8 == region)
			return -1;
		copy_utf8(buf, size, utf8);
		return 0;
	} catch (...) {
		buf[0] = '\0';
		return -1;
	}
}

int phone_calling_code(const char *region)
{
	try {
		return region_known(region) ? util().GetCountryCodeForRegion(region) : 0;
	} catch (...) {
		return 0;
	}
}

int phone_example(const char *region, char *buf, size_t size)
{
	if (!buf || size == 0)
		return -1;
	buf[0] = '\0';
	try {
		if (!region_known(region))
			return -1;
		PhoneNumber n;
		std::string s;

		if (!util().GetExampleNumberForType(region, PhoneNumberUtil::MOBILE, &n) &&
		    !util().GetExampleNumber(region, &n))
			return -1;
		util().Format(n, PhoneNumberUtil::INTERNATIONAL, &s);
		copy_utf8(buf, size, s);
		return 0;
	} catch (...) {
		buf[0] = '\0';
		return -1;
	}
}

int phone_format(const char *e164, int international, char *buf, size_t size)
{
	if (!buf || size == 0)
		return -1;
	buf[0] = '\0';
	try {
		PhoneNumber n;
		if (util().Parse(e164, "ZZ", &n) != PhoneNumberUtil::NO_PARSING_ERROR)
			return -1;
		std::string s;
		util().Format(n, international ? PhoneNumberUtil::INTERNATIONAL : PhoneNumberUtil::NATIONAL,
			      &s);
		copy_utf8(buf, size, s);
		return 0;
	} catch (...) {
		buf[0] = '\0';
		return -1;
	}
}

const char *phone_metadata_version(void)
{
	return phone_metadata_id;
}

const char *phone_region_for_calling_code(int calling_code)
{
	if (calling_code < 1 || calling_code > kMaxCallingCode)
		return "";
	try {
		return get_tables().main_region[calling_code];
	} catch (...) {
		return "";
	}
}

} // extern "C"
