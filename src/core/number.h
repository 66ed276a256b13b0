/* number: what iotp makes of a number a person typed. Session creation and
 * lookup share it, so both refuse the same numbers with the same words. */
#ifndef IOTP_NUMBER_H
#define IOTP_NUMBER_H

#include "core/core.h"
#include "base/error.h"
#include "phone/phone.h"
#include "policy/policy.h"

/* Parses typed (region, or the default_region option, reads a number without
 * +). A configured test number is taken as typed, even a fictional one; *test
 * says so. Returns 0, or IOTP_E_INVALID_NUMBER, _MISSING_COUNTRY_CODE,
 * _TOO_SHORT, _TOO_LONG, _INVALID_COUNTRY_CODE or _INVALID_REGION with *out
 * filled as far as known (for the error message). */
enum iotp_error number_read(const struct core *c, const char *typed, const char *region,
			    struct phone_number *out, int *test);

/* IOTP_E_UNSUPPORTED_NUMBER_TYPE when codes may not go to numbers of n's type
 * (option allowed_number_types); test numbers always may. */
enum iotp_error number_allowed(const struct core *c, const struct phone_number *n, int test);

/* A lookup (GET /v1/lookup): reads typed as number_read does, after
 * charging the lookup limits of policy (who; NULL: none), which an invalid
 * number is charged too (so probing bad numbers costs as much). Returns a
 * limit's refusal first (*v says which, and Retry-After), else what
 * number_read returns. */
enum iotp_error number_lookup(struct core *c, const struct policy_client *who, const char *typed,
			      const char *region, int64_t now, struct phone_number *out, int *test,
			      struct policy_verdict *v);

/* The configured test number e164 is, or NULL. */
const struct config_test_number *number_test(const struct core *c, const char *e164);

#endif
