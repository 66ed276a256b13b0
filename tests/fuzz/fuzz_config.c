/* config_load and config_validate (src/config.c) on a configuration file's
 * text: options, "[kind name]" sections, quoting. Input: a selector byte (dev
 * mode), then the file. Contract: 0, or -1 with a sentence that starts with
 * the file's name (it names FILE:LINE); after a load, every section has a
 * lower-case kind, a name of letters, digits, '-', '_' and '.' (or none), is
 * the only one of its kind and name, holds each key once, and its entries
 * carry line numbers that exist in the file, in order. Each [provider NAME]
 * section of type http or kannel is then opened as iotpd does at start-up (an
 * http provider's templates, status_map and callback settings): 0, or
 * -1 with a sentence that names the file. */
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "delivery/provider.h"
#include "fuzz.h"

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int fd = memfd_create("iotp.conf", 0);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(write(fd, data + 1, size - 1) == (ssize_t)(size - 1));
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int lines = 1;
	for (size_t i = 1; i < size; i++)
		lines += data[i] == '\n';

	struct config cfg;
	char err[1024] = "";
	int rc = config_load(&cfg, path, data[0] & 1, err, sizeof err);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc < 0) {
		FUZZ_ASSERT(strncmp(err, path, strlen(path)) == 0 || strncmp(err, "cannot", 6) == 0);
	} else {
		int last = 0;
		for (int i = 0; i < cfg.n_sections; i++) {
			const struct config_section *s = &cfg.sections[i];
			FUZZ_ASSERT(s->kind[0] && strspn(s->kind, "abcdefghijklmnopqrstuvwxyz") ==
							strlen(s->kind));
			for (const char *c = s->name; *c; c++)
				FUZZ_ASSERT(word_char(*c));
			FUZZ_ASSERT(config_section_find(&cfg, s->kind, s->name) == s);
			FUZZ_ASSERT(s->line > last && s->line <= lines);
			last = s->line;
			for (int j = 0; j < s->n; j++) {
				FUZZ_ASSERT(s->entries[j].line > last && s->entries[j].line <= lines);
				last = s->entries[j].line;
				FUZZ_ASSERT(config_section_get(s, s->entries[j].key) == s->entries[j].value);
			}
			static const char *const none[] = {NULL};
			char where[1024];
			if (config_section_check_keys(&cfg, s, none, where, sizeof where) < 0)
				FUZZ_ASSERT(strncmp(where, path, strlen(path)) == 0);
			else
				FUZZ_ASSERT(s->n == 0);
		}
		for (const struct config_section *s = NULL;
		     (s = config_section_next(&cfg, "provider", s));) {
			const char *known;
			const struct provider_ops *ops = provider_find(config_section_get(s, "type") ?
									       config_section_get(s, "type") :
									       "",
								       &known);
			/* The log provider opens a file under data_dir: not here. */
			if (!ops || !strcmp(ops->type, "log"))
				continue;
			struct provider_env env = {.cfg = &cfg, .section = s, .name = s->name,
						   .public_url = "https://otp.example.com"};
			void *state = NULL;
			err[0] = '\0';
			if (ops->open(&env, &state, err, sizeof err) == 0) {
				FUZZ_ASSERT(state != NULL);
				ops->close(state);
			} else {
				FUZZ_ASSERT(strncmp(err, path, strlen(path)) == 0);
			}
		}
		err[0] = '\0';
		rc = config_validate(&cfg, err, sizeof err);
		FUZZ_ASSERT(rc == 0 || (rc == -1 && err[0]));
		char *dump = NULL;
		size_t dl = 0;
		FILE *f = open_memstream(&dump, &dl);
		config_dump(&cfg, f);
		fclose(f);
		free(dump);
	}
	config_deinit(&cfg);
	close(fd);
	return 0;
}
