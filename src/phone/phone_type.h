// phone_type: a parsed number's region and type (phone_type.cc). C++ only:
// phone.cc's view of it, taking and giving the library's own types.
#ifndef IOTP_PHONE_TYPE_H
#define IOTP_PHONE_TYPE_H

#include <cstddef>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

// Builds the tables from the serialised metadata the library was given
// (phone_metadata_bytes), once the library has started. false when they
// cannot be built (a pattern PCRE2 cannot compile, a region the library knows
// and the metadata lacks).
bool phone_types_init(const void *metadata, size_t size);

// Reads text as the library's Parse would, when text is "+" and digits only
// and the library would neither fail nor change the digits (no national
// prefix to strip, no leading zero): true with *n set; false when the
// library must read it. Only after phone_types_init succeeded.
bool phone_read_international(const char *text, i18n::phonenumbers::PhoneNumber *n);

// What the library's GetNumberType(n) says, and into *region_id what its
// GetRegionCodeForNumber(n) says ("GB", "001" for a non-geographic code,
// "ZZ" for none), in one pass. Only after phone_types_init succeeded.
i18n::phonenumbers::PhoneNumberUtil::PhoneNumberType
phone_region_and_type(const i18n::phonenumbers::PhoneNumber &n, std::string *region_id);

#endif
