/* iotpctl phone: what iotp makes of a number, and which numbering plans it
 * reads numbers with. An operator answers "the app says my number does not
 * exist" with `iotpctl phone check`; tests/e2e/phone-reference.test.mjs feeds
 * it a corpus through standard input and compares every line with the
 * reference library at the same metadata version. */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

#include "phone/phone.h"

static const char usage_text[] =
	"usage: iotpctl phone version\n"
	"       iotpctl phone check NUMBER [REGION]   (exits 1 when it is not a valid number)\n"
	"       iotpctl phone check -      (lines of NUMBER, or NUMBER<TAB>REGION, on standard input)\n"
	"       iotpctl phone regions\n";

/* The names of enum phone_status, in its order. */
static const char *const status_names[] = {
	"ok", "invalid_number", "missing_country_code", "too_short", "too_long",
	"invalid_country_code",
};

/* One line: status, E.164, region, calling code, type, national and
 * international forms, tab-separated; "-" for what is not known. */
static enum phone_status check_one(const char *input, const char *region)
{
	struct phone_number n;
	enum phone_status st = phone_parse(input, region, &n);
	char national[64] = "-", intl[64] = "-";
	if (st == PHONE_OK) {
		phone_format(n.e164, 0, national, sizeof national);
		phone_format(n.e164, 1, intl, sizeof intl);
	}
	printf("%s\t%s\t%s\t%d\t%s\t%s\t%s\n",
	       (unsigned)st < sizeof status_names / sizeof *status_names ? status_names[st] : "?",
	       n.e164[0] ? n.e164 : "-", n.region[0] ? n.region : "-", n.calling_code,
	       phone_type_name(n.type), national, intl);
	return st;
}

static int check_stdin(void)
{
	char line[1024];
	while (fgets(line, sizeof line, stdin)) {
		size_t len = strcspn(line, "\r\n");
		if (line[len] == '\0' && !feof(stdin)) {
			fprintf(stderr, "iotpctl: a line of more than %zu bytes\n", sizeof line - 2);
			return 2;
		}
		line[len] = '\0';
		char *tab = strchr(line, '\t');
		const char *region = NULL;
		if (tab) {
			*tab = '\0';
			region = tab + 1;
		}
		check_one(line, region);
	}
	return ferror(stdin) ? 1 : 0;
}

/* Every region iotp knows, with its calling code and example number. */
static void regions(void)
{
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			char r[3] = {a, b, '\0'}, example[64];
			if (!phone_region_known(r))
				continue;
			if (phone_example(r, example, sizeof example) < 0)
				memcpy(example, "-", 2);
			printf("%s\t%d\t%s\n", r, phone_calling_code(r), example);
		}
	}
}

int ctl_phone(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (phone_init() < 0) {
		fprintf(stderr, "iotpctl: the phone number library failed to start (did it read "
				"iotp's metadata? see docs/phone.md)\n");
		return 1;
	}
	if (!strcmp(sub, "version") && argc == 1) {
		printf("%s\n", phone_metadata_version());
		return 0;
	}
	if (!strcmp(sub, "check") && argc == 2 && !strcmp(argv[1], "-"))
		return check_stdin();
	if (!strcmp(sub, "check") && (argc == 2 || argc == 3))
		return check_one(argv[1], argc == 3 ? argv[2] : NULL) == PHONE_OK ? 0 : 1;
	if (!strcmp(sub, "regions") && argc == 1) {
		regions();
		return 0;
	}
	fputs(usage_text, stderr);
	return 2;
}
