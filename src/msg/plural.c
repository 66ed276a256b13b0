#include "msg/plural.h"

#include <string.h>

static const char *const names[MSG_PLURAL_COUNT] = {
    "zero", "one", "two", "few", "many", "other",
};

enum msg_plural msg_plural_select(enum msg_plural_rule rule, unsigned long n)
{
	unsigned long n10 = n % 10, n100 = n % 100;

	switch (rule) {
	case MSG_RULE_NONE:
		return MSG_PLURAL_OTHER;
	case MSG_RULE_ONE:
		return n == 1 ? MSG_PLURAL_ONE : MSG_PLURAL_OTHER;
	case MSG_RULE_ZERO_ONE:
		return n <= 1 ? MSG_PLURAL_ONE : MSG_PLURAL_OTHER;
	case MSG_RULE_SLAVIC:
		if (n10 == 1 && n100 != 11)
			return MSG_PLURAL_ONE;
		if (n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14))
			return MSG_PLURAL_FEW;
		return MSG_PLURAL_MANY;
	case MSG_RULE_POLISH:
		if (n == 1)
			return MSG_PLURAL_ONE;
		if (n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14))
			return MSG_PLURAL_FEW;
		return MSG_PLURAL_MANY;
	case MSG_RULE_CZECH:
		if (n == 1)
			return MSG_PLURAL_ONE;
		if (n >= 2 && n <= 4)
			return MSG_PLURAL_FEW;
		return MSG_PLURAL_OTHER;
	case MSG_RULE_ROMANIAN:
		if (n == 1)
			return MSG_PLURAL_ONE;
		if (n == 0 || (n100 >= 2 && n100 <= 19))
			return MSG_PLURAL_FEW;
		return MSG_PLURAL_OTHER;
	case MSG_RULE_HEBREW:
		if (n == 1)
			return MSG_PLURAL_ONE;
		if (n == 2)
			return MSG_PLURAL_TWO;
		return MSG_PLURAL_OTHER;
	case MSG_RULE_ARABIC:
		if (n == 0)
			return MSG_PLURAL_ZERO;
		if (n == 1)
			return MSG_PLURAL_ONE;
		if (n == 2)
			return MSG_PLURAL_TWO;
		if (n100 >= 3 && n100 <= 10)
			return MSG_PLURAL_FEW;
		if (n100 >= 11)
			return MSG_PLURAL_MANY;
		return MSG_PLURAL_OTHER;
	}
	return MSG_PLURAL_OTHER;
}

const char *msg_plural_name(enum msg_plural p)
{
	return p < MSG_PLURAL_COUNT ? names[p] : "other";
}

int msg_plural_from_name(const char *name, size_t len)
{
	for (int p = 0; p < MSG_PLURAL_COUNT; p++)
		if (strlen(names[p]) == len && memcmp(names[p], name, len) == 0)
			return p;
	return -1;
}
