/* Configuration: defaults, file, environment, validation messages that name
 * the option, secrets masked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char err[512];

static const char *write_file(const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/test_config_%d.conf", IOTP_TEST_TMP, (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int clear_env(void **state)
{
	(void)state;
	unsetenv("IOTP_CODE_LENGTH");
	unsetenv("IOTP_API_KEY");
	unsetenv("IOTP_SMS_DELAYS");
	unsetenv("IOTP_TEST_NUMBERS");
	return 0;
}

static void dev_defaults(void **state)
{
	(void)state;
	struct config c;
	assert_int_equal(config_load(&c, NULL, 1, err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_string_equal(c.data_dir, "./iotp-data");
	assert_string_equal(c.api_key, "dev");
	assert_int_equal(c.code_length, 6);
	assert_int_equal(c.code_ttl, 600);
	assert_int_equal(c.sms_delays.n, 5);
	assert_int_equal(c.sms_delays.v[1], 60);
	assert_int_equal(c.delivery, 1);
	assert_string_equal(c.smtp_tls, "opportunistic");
	config_deinit(&c);
}

static void production_needs_a_key(void **state)
{
	(void)state;
	struct config c;
	assert_int_equal(config_load(&c, NULL, 0, err, sizeof err), 0);
	/* Outside dev mode a PIN reset e-mail goes over TLS or not at all. */
	assert_string_equal(c.smtp_tls, "require");
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "api_key"));
	assert_non_null(strstr(err, "IOTP_API_KEY"));
	config_deinit(&c);
}

static void file_then_environment(void **state)
{
	(void)state;
	struct config c;
	const char *path = write_file("# comment\n\napi_key = 0123456789abcdef\ncode_length = 8\n"
				      "app_name = \"Acme Chat\"\nsms_delays = 0, 30,90\n");
	setenv("IOTP_CODE_LENGTH", "7", 1);
	assert_int_equal(config_load(&c, path, 0, err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	assert_int_equal(c.code_length, 7); /* the environment wins */
	assert_string_equal(c.app_name, "Acme Chat");
	assert_int_equal(c.sms_delays.n, 3);
	assert_int_equal(c.sms_delays.v[2], 90);
	config_deinit(&c);
	unlink(path);
}

static void bad_values_name_the_option(void **state)
{
	(void)state;
	struct config c;
	setenv("IOTP_CODE_LENGTH", "12", 1);
	assert_int_equal(config_load(&c, NULL, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "code_length"));
	assert_non_null(strstr(err, "4..10"));
	config_deinit(&c);
	unsetenv("IOTP_CODE_LENGTH");

	const char *path = write_file("code_ttl = soon\n");
	assert_int_equal(config_load(&c, path, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "code_ttl"));
	assert_non_null(strstr(err, ":1:"));
	config_deinit(&c);

	path = write_file("codelength = 6\n");
	assert_int_equal(config_load(&c, path, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown option 'codelength'"));
	config_deinit(&c);

	path = write_file("listen\n");
	assert_int_equal(config_load(&c, path, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "name = value"));
	config_deinit(&c);
	unlink(path);

	assert_int_equal(config_load(&c, "/nonexistent/iotp.conf", 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/iotp.conf"));
	config_deinit(&c);

	assert_int_equal(config_load(&c, NULL, 1, err, sizeof err), 0);
	assert_int_equal(config_set(&c, "listen", "nowhere", err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "listen"));
	config_deinit(&c);
}

static void callback_listener_rules(void **state)
{
	(void)state;
	struct config c;
	assert_int_equal(config_load(&c, NULL, 1, err, sizeof err), 0);
	assert_string_equal(c.callback_listen, ""); /* off: reports on listen, as before */
	assert_int_equal(c.callback_max_connections_per_ip, 0);
	assert_int_equal(config_set(&c, "callback_listen", "10.0.0.5", err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "option callback_listen (IOTP_CALLBACK_LISTEN)"));
	assert_int_equal(config_set(&c, "callback_listen", "127.0.0.1:8080", err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "is also listen"));
	assert_int_equal(config_set(&c, "callback_listen", "127.0.0.1:8081", err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	/* Port 0 picks a free port for each listener: the same text is fine. */
	assert_int_equal(config_set(&c, "listen", "127.0.0.1:0", err, sizeof err), 0);
	assert_int_equal(config_set(&c, "callback_listen", "127.0.0.1:0", err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	config_deinit(&c);
}

static void test_numbers_rules(void **state)
{
	(void)state;
	struct config c;
	setenv("IOTP_TEST_NUMBERS", "+15005550006:123456,+447700900001:000000", 1);
	assert_int_equal(config_load(&c, NULL, 1, err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	assert_int_equal(c.n_test_numbers, 2);
	assert_string_equal(c.test[1].phone, "+447700900001");
	assert_string_equal(c.test[1].code, "000000");
	config_deinit(&c);

	/* Outside dev mode only with allow_test_numbers. */
	setenv("IOTP_API_KEY", "0123456789abcdef", 1);
	assert_int_equal(config_load(&c, NULL, 0, err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "test_numbers"));
	assert_int_equal(config_set(&c, "allow_test_numbers", "true", err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	config_deinit(&c);

	setenv("IOTP_TEST_NUMBERS", "+15005550006:12345", 1); /* wrong length */
	assert_int_equal(config_load(&c, NULL, 1, err, sizeof err), 0);
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "code_length"));
	config_deinit(&c);
}

static void dump_masks_secrets(void **state)
{
	(void)state;
	struct config c;
	char *buf = NULL;
	size_t len = 0;
	setenv("IOTP_API_KEY", "super-secret-key-123", 1);
	assert_int_equal(config_load(&c, NULL, 1, err, sizeof err), 0);
	FILE *f = open_memstream(&buf, &len);
	config_dump(&c, f);
	fclose(f);
	assert_null(strstr(buf, "super-secret-key-123"));
	assert_non_null(strstr(buf, "api_key = ********"));
	assert_non_null(strstr(buf, "code_length = 6"));
	free(buf);
	config_deinit(&c);
}

static void example_lists_every_option(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	config_write_example(f);
	fclose(f);
	const char *names[] = {"listen", "data_dir", "api_key", "code_length", "code_ttl",
			       "sms_delays", "voice_delays", "test_numbers", "http_timeout"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		assert_non_null(strstr(buf, names[i]));
	assert_non_null(strstr(buf, "IOTP_CODE_TTL"));
	free(buf);
}

static void sections_are_read_in_order(void **state)
{
	(void)state;
	struct config c;
	const char *path = write_file("code_length = 8\n"
				      "[provider kannel-eu]\n"
				      "type = kannel\n"
				      "password = \"hunter2\"\n"
				      "\n[route]\nsms = kannel-eu\n"
				      "[provider backup]\ntype = http\n");
	assert_int_equal(config_load(&c, path, 1, err, sizeof err), 0);
	assert_int_equal(c.code_length, 8);
	assert_int_equal(c.n_sections, 3);
	const struct config_section *p = config_section_next(&c, "provider", NULL);
	assert_non_null(p);
	assert_string_equal(p->name, "kannel-eu");
	assert_string_equal(config_section_get(p, "password"), "hunter2");
	assert_null(config_section_get(p, "url"));
	p = config_section_next(&c, "provider", p);
	assert_string_equal(p->name, "backup");
	assert_null(config_section_next(&c, "provider", p));
	const struct config_section *r = config_section_find(&c, "route", "");
	assert_non_null(r);
	assert_string_equal(config_section_get(r, "sms"), "kannel-eu");

	static const char *const known[] = {"type", "url", NULL};
	assert_int_equal(config_section_check_keys(&c, config_section_find(&c, "provider", "kannel-eu"), known,
						   err, sizeof err),
			 -1);
	assert_non_null(strstr(err, ":4: [provider kannel-eu]: unknown setting 'password' (known: type, url)"));

	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	config_dump(&c, out);
	fclose(out);
	assert_non_null(strstr(buf, "[provider kannel-eu]\ntype = kannel\npassword = ********\n"));
	assert_null(strstr(buf, "hunter2"));
	free(buf);
	config_deinit(&c);
}

static void bad_sections_name_the_line(void **state)
{
	(void)state;
	struct config c;
	assert_int_equal(config_load(&c, write_file("[provider a]\nx = 1\nx = 2\n"), 1, err, sizeof err), -1);
	assert_non_null(strstr(err, ":3: [provider a]: 'x' is set twice"));
	config_deinit(&c);
	assert_int_equal(config_load(&c, write_file("[provider a]\n[provider a]\n"), 1, err, sizeof err), -1);
	assert_non_null(strstr(err, ":2: section [provider a] appears twice"));
	config_deinit(&c);
	assert_int_equal(config_load(&c, write_file("[Provider a b]\n"), 1, err, sizeof err), -1);
	assert_non_null(strstr(err, ":1: section header"));
	config_deinit(&c);
	assert_int_equal(config_load(&c, write_file("[provider\n"), 1, err, sizeof err), -1);
	assert_non_null(strstr(err, ":1: expected a section header"));
	config_deinit(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(dev_defaults, clear_env),
		cmocka_unit_test_setup(production_needs_a_key, clear_env),
		cmocka_unit_test_setup(file_then_environment, clear_env),
		cmocka_unit_test_setup(bad_values_name_the_option, clear_env),
		cmocka_unit_test_setup(callback_listener_rules, clear_env),
		cmocka_unit_test_setup(test_numbers_rules, clear_env),
		cmocka_unit_test_setup(dump_masks_secrets, clear_env),
		cmocka_unit_test_setup(example_lists_every_option, clear_env),
		cmocka_unit_test_setup(sections_are_read_in_order, clear_env),
		cmocka_unit_test_setup(bad_sections_name_the_line, clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
