/* plural: which grammatical form a count takes in a language (the cardinal
 * plural categories of Unicode CLDR, for whole numbers), so a template can say
 * "1 minute" and "10 minutes", or "1 минуту", "2 минуты", "5 минут". */
#ifndef IOTP_MSG_PLURAL_H
#define IOTP_MSG_PLURAL_H

#include <stddef.h>

enum msg_plural {
	MSG_PLURAL_ZERO = 0,
	MSG_PLURAL_ONE,
	MSG_PLURAL_TWO,
	MSG_PLURAL_FEW,
	MSG_PLURAL_MANY,
	MSG_PLURAL_OTHER,
	MSG_PLURAL_COUNT
};

/* The rule families of CLDR's plurals.xml that iotp's languages use. */
enum msg_plural_rule {
	MSG_RULE_NONE = 0, /* one form for every count: zh ja ko th vi id ms */
	MSG_RULE_ONE,      /* one: n = 1 — en de nl it es sv el sw ur hu tr */
	MSG_RULE_ZERO_ONE, /* one: n = 0 or 1 — fr pt hi bn fa */
	MSG_RULE_SLAVIC,   /* one/few/many by the last digits — ru uk */
	MSG_RULE_POLISH,   /* one: 1; few: 2-4, 22-24...; many: the rest — pl */
	MSG_RULE_CZECH,    /* one: 1; few: 2-4; other — cs */
	MSG_RULE_ROMANIAN, /* one: 1; few: 0 and n%100 in 2..19; other — ro */
	MSG_RULE_HEBREW,   /* one: 1; two: 2; other — he */
	MSG_RULE_ARABIC,   /* zero, one, two, few 3-10, many 11-99 (mod 100) — ar */
};

/* The category of the count n under rule. */
enum msg_plural msg_plural_select(enum msg_plural_rule rule, unsigned long n);

/* "zero", "one", "two", "few", "many", "other". */
const char *msg_plural_name(enum msg_plural p);

/* The category named by the len bytes at name, or -1. */
int msg_plural_from_name(const char *name, size_t len);

#endif
