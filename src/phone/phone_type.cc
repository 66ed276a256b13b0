// phone_type: which region and which type a parsed number is, as
// libphonenumber's GetRegionCodeForNumber and GetNumberType tell them, from
// the same metadata and by the same rules, at a fraction of the cost.
//
// For a calling code shared by several regions (+1, +44, +7, +39, +61 ...)
// the library finds the region by testing the number against each region's
// types in turn, then tests it against that region's types again to tell the
// type, and asking it for the region afterwards runs the first pass a third
// time: three passes, each a dozen regular expressions through ICU, every
// pattern looked up by hashing its text (a +44 mobile cost 36 us of its 48 us
// read, bench/RESULTS.md). Here one pass tells both, over patterns compiled
// once at start-up (PCRE2, without JIT: a service under
// MemoryDenyWriteExecute=yes may map no executable memory).

#include "phone/phone_type.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <phonenumbers/phonemetadata.pb.h>

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

// A compiled pattern; a null one matches nothing.
struct pattern {
	pcre2_code *re = nullptr;

	pattern() = default;
	pattern(const pattern &) = delete;
	pattern &operator=(const pattern &) = delete;
	~pattern() { pcre2_code_free(re); }

	// whole: the pattern must match all of the text (the library's
	// FullMatch); else a match at its start is enough (Consume).
	bool compile(const std::string &text, bool whole)
	{
		int err;
		PCRE2_SIZE at;
		uint32_t opt = PCRE2_ANCHORED | (whole ? PCRE2_ENDANCHORED : 0);

		re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), opt,
				   &err, &at, nullptr);
		return re != nullptr;
	}
};

// One kind of number of a region (mobile, toll free ...): the library's
// IsNumberMatchingDesc, which looks at the lengths before the pattern.
struct kind {
	pattern re;
	std::vector<int> lengths; // empty: any length

	bool compile(const PhoneNumberDesc &d)
	{
		lengths.assign(d.possible_length().begin(), d.possible_length().end());
		// The library counts an empty pattern as matching nothing.
		if (!d.has_national_number_pattern() || d.national_number_pattern().empty())
			return true;
		return re.compile(d.national_number_pattern(), true);
	}
};

// The types in the order the library tests them: the first that matches is
// the number's (fixed line and mobile come last, tested apart).
enum { K_GENERAL, K_PREMIUM, K_TOLL_FREE, K_SHARED, K_VOIP, K_PERSONAL, K_PAGER, K_UAN,
       K_VOICEMAIL, K_FIXED, K_MOBILE, K_COUNT };

const PhoneNumberUtil::PhoneNumberType kind_type[K_COUNT] = {
	PhoneNumberUtil::UNKNOWN,	  PhoneNumberUtil::PREMIUM_RATE,
	PhoneNumberUtil::TOLL_FREE,	  PhoneNumberUtil::SHARED_COST,
	PhoneNumberUtil::VOIP,		  PhoneNumberUtil::PERSONAL_NUMBER,
	PhoneNumberUtil::PAGER,		  PhoneNumberUtil::UAN,
	PhoneNumberUtil::VOICEMAIL,	  PhoneNumberUtil::FIXED_LINE,
	PhoneNumberUtil::MOBILE,
};

struct region {
	std::string id; // "GB", or "001" for a non-geographic code (+800 ...)
	// national_prefix_for_parsing: what the library may strip from the
	// start of a national number (phone_read_international)
	pattern national_prefix;
	bool has_leading;
	pattern leading; // the national numbers that are this region's, when the code is shared
	bool same_mobile_and_fixed;
	kind kinds[K_COUNT];

	bool compile(const PhoneMetadata &md)
	{
		const PhoneNumberDesc *d[K_COUNT] = {
			&md.general_desc(),    &md.premium_rate(), &md.toll_free(),
			&md.shared_cost(),     &md.voip(),	   &md.personal_number(),
			&md.pager(),	       &md.uan(),	   &md.voicemail(),
			&md.fixed_line(),      &md.mobile(),
		};
		id = md.id();
		same_mobile_and_fixed = md.same_mobile_and_fixed_line_pattern();
		has_leading = md.has_leading_digits();
		if (has_leading && !leading.compile(md.leading_digits(), false))
			return false;
		if (!md.national_prefix_for_parsing().empty() &&
		    !national_prefix.compile(md.national_prefix_for_parsing(), false))
			return false;
		for (int k = 0; k < K_COUNT; k++)
			if (!kinds[k].compile(*d[k]))
				return false;
		return true;
	}
};

// Match data for one subject at a time, per thread (pcre2_match writes into it).
struct match_data {
	pcre2_match_data *md = pcre2_match_data_create(1, nullptr);
	~match_data() { pcre2_match_data_free(md); }
};

bool matches(const pattern &p, const std::string &text)
{
	static thread_local match_data data;

	if (!p.re || !data.md)
		return false;
	return pcre2_match(p.re, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0,
			   data.md, nullptr) >= 0;
}

bool matches(const kind &k, const std::string &nsn)
{
	int len = static_cast<int>(nsn.size());

	if (!k.lengths.empty() && std::find(k.lengths.begin(), k.lengths.end(), len) == k.lengths.end())
		return false;
	return matches(k.re, nsn);
}

// The library's GetNumberTypeHelper.
PhoneNumberUtil::PhoneNumberType type_in(const region &r, const std::string &nsn)
{
	if (!matches(r.kinds[K_GENERAL], nsn))
		return PhoneNumberUtil::UNKNOWN;
	for (int k = K_PREMIUM; k <= K_VOICEMAIL; k++)
		if (matches(r.kinds[k], nsn))
			return kind_type[k];
	if (matches(r.kinds[K_FIXED], nsn))
		return r.same_mobile_and_fixed || matches(r.kinds[K_MOBILE], nsn)
			       ? PhoneNumberUtil::FIXED_LINE_OR_MOBILE
			       : PhoneNumberUtil::FIXED_LINE;
	if (!r.same_mobile_and_fixed && matches(r.kinds[K_MOBILE], nsn))
		return PhoneNumberUtil::MOBILE;
	return PhoneNumberUtil::UNKNOWN;
}

// Read-only once built: every region, and per calling code its regions in
// the library's order (the main country first).
struct tables {
	std::vector<std::unique_ptr<region>> regions;
	std::map<int, std::vector<const region *>> by_code;
};

tables *built;

} // namespace

bool phone_types_init(const void *metadata, size_t size)
{
	if (built)
		return true;
	PhoneMetadataCollection all;

	if (!all.ParseFromArray(metadata, static_cast<int>(size)))
		return false;
	auto t = std::make_unique<tables>();
	std::map<std::string, const region *> by_id;
	std::map<int, const region *> non_geo;

	for (const PhoneMetadata &md : all.metadata()) {
		auto r = std::make_unique<region>();

		if (!r->compile(md))
			return false;
		if (r->id == "001")
			non_geo[md.country_code()] = r.get();
		else
			by_id[r->id] = r.get();
		t->regions.push_back(std::move(r));
	}
	const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();

	for (int cc = 1; cc <= 999; cc++) {
		std::list<std::string> ids;

		util->GetRegionCodesForCountryCallingCode(cc, &ids);
		for (const std::string &id : ids) {
			const region *r = nullptr;

			if (id == "001") {
				auto it = non_geo.find(cc);
				r = it == non_geo.end() ? nullptr : it->second;
			} else {
				auto it = by_id.find(id);
				r = it == by_id.end() ? nullptr : it->second;
			}
			// The library knows a region its metadata lacks: ours and
			// its tables disagree, so tell nothing rather than differ.
			if (!r)
				return false;
			t->by_code[cc].push_back(r);
		}
	}
	built = t.release();
	return true;
}

bool phone_read_international(const char *text, PhoneNumber *n)
{
	// The library's Parse, step by step, for "+" and digits only: the text
	// is its own possible number, viable, with nothing to normalise and no
	// extension; its calling code is the shortest of its first three digits
	// that names a region (ExtractCountryCode; a leading 0 names none).
	if (!built || text[0] != '+')
		return false;
	const char *d = text + 1;
	size_t len = std::strspn(d, "0123456789");

	// Two digits or fewer after the '+' are TOO_SHORT_AFTER_IDD; more than
	// a calling code and 17 digits are TOO_LONG_NSN.
	if (d[len] != '\0' || len < 3 || len > 20 || d[0] == '0')
		return false;
	int cc = 0;
	const std::vector<const region *> *list = nullptr;
	size_t cc_len = 0;

	while (cc_len < 3 && !list) {
		cc = cc * 10 + (d[cc_len++] - '0');
		auto it = built->by_code.find(cc);

		if (it != built->by_code.end() && !it->second.empty())
			list = &it->second;
	}
	if (!list)
		return false; // INVALID_COUNTRY_CODE_ERROR, told by the library
	std::string nsn(d + cc_len);

	// Too short or too long a national number is the library's to say; a
	// leading zero sets its Italian-zero fields; and a national prefix
	// (its national_prefix_for_parsing, for the code's main region) may be
	// stripped, with or without a transform, when the rest still has a
	// possible length. Only a number none of these touch is read here.
	if (nsn.size() < 2 || nsn.size() > 17 || nsn[0] == '0')
		return false;
	const region &main = *list->front();

	if (main.national_prefix.re && matches(main.national_prefix, nsn))
		return false;
	n->Clear();
	n->set_country_code(cc);
	n->set_national_number(std::strtoull(nsn.c_str(), nullptr, 10));
	return true;
}

PhoneNumberUtil::PhoneNumberType phone_region_and_type(const PhoneNumber &n, std::string *region_id)
{
	if (!built) { // phone_init() not called: the library's own way
		const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();

		util->GetRegionCodeForNumber(n, region_id);
		return util->GetNumberType(n);
	}
	*region_id = "ZZ";
	auto it = built->by_code.find(n.country_code());

	if (it == built->by_code.end() || it->second.empty())
		return PhoneNumberUtil::UNKNOWN;
	std::string nsn;

	PhoneNumberUtil::GetInstance()->GetNationalSignificantNumber(n, &nsn);
	const std::vector<const region *> &list = it->second;

	// One region: it is the number's, valid or not.
	if (list.size() == 1) {
		*region_id = list[0]->id;
		return type_in(*list[0], nsn);
	}
	// Shared: the first region that claims the number by its leading digits,
	// or, lacking those, by being a valid number of it.
	for (const region *r : list) {
		if (r->has_leading) {
			if (matches(r->leading, nsn)) {
				*region_id = r->id;
				return type_in(*r, nsn);
			}
			continue;
		}
		PhoneNumberUtil::PhoneNumberType t = type_in(*r, nsn);

		if (t != PhoneNumberUtil::UNKNOWN) {
			*region_id = r->id;
			return t;
		}
	}
	return PhoneNumberUtil::UNKNOWN;
}
