/* Delivery's pure parts: template expansion and escaping, senders per
 * country, what gateways' reports mean, callback tokens and signatures, and
 * routes read from the configuration (the breaker is base/'s: test_breaker.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "delivery/callback.h"
#include "delivery/delivery.h"
#include "delivery/expand.h"
#include "delivery/report.h"
#include "delivery/sender.h"
#include "store/store.h"

static char err[512];

static const char *lookup(void *arg, const char *name)
{
	(void)arg;
	if (!strcmp(name, "to"))
		return "+447400123456";
	if (!strcmp(name, "text"))
		return "Code: \"12 3\"\n& more/é";
	if (!strcmp(name, "empty"))
		return "";
	return NULL;
}

static void expand_escapes_for_each_place(void **state)
{
	(void)state;
	char out[256];
	assert_int_equal(expand_template("to={to}&text={text}", EXPAND_URL, lookup, NULL, out,
	                                 sizeof out, err, sizeof err),
	                 0);
	assert_string_equal(out,
	                    "to=%2B447400123456&text=Code%3A%20%2212%203%22%0A%26%20more%2F%C3%A9");
	assert_int_equal(expand_template("{\"to\": \"{to}\", \"t\": \"{text}\"}", EXPAND_JSON,
	                                 lookup, NULL, out, sizeof out, err, sizeof err),
	                 0);
	assert_string_equal(
	    out, "{\"to\": \"+447400123456\", \"t\": \"Code: \\\"12 3\\\"\\n& more/é\"}");
	/* Braces that are not placeholders stay: {} { x} {UPPER} {a-b}. */
	assert_int_equal(expand_template("{} { x} {UPPER} {a-b} {empty}.", EXPAND_RAW, lookup, NULL,
	                                 out, sizeof out, err, sizeof err),
	                 0);
	assert_string_equal(out, "{} { x} {UPPER} {a-b} .");
}

static void expand_refuses_mistakes(void **state)
{
	(void)state;
	char out[16];
	assert_int_equal(
	    expand_template("{nope}", EXPAND_RAW, lookup, NULL, out, sizeof out, err, sizeof err),
	    -1);
	assert_string_equal(err, "unknown placeholder {nope}");
	assert_int_equal(expand_template("X: {text}", EXPAND_RAW, lookup, NULL, out, sizeof out,
	                                 err, sizeof err),
	                 -1);
	assert_non_null(strstr(err, "line break"));
	assert_int_equal(
	    expand_template("{to}{to}", EXPAND_URL, lookup, NULL, out, sizeof out, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "longer than 15 bytes"));
}

static void form_fields_decode(void **state)
{
	(void)state;
	char v[64];
	assert_int_equal(
	    expand_form_get("a=1&status=delivered&why=absent+sub%21", "why", v, sizeof v), 0);
	assert_string_equal(v, "absent sub!");
	assert_int_equal(expand_form_get("a=1&status=delivered", "status", v, sizeof v), 0);
	assert_string_equal(v, "delivered");
	assert_int_equal(expand_form_get("xstatus=1", "status", v, sizeof v), -1);
	assert_int_equal(expand_form_get("", "a", v, sizeof v), -1);
}

static const char *write_file(const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/test_delivery_%d.conf", IOTP_TEST_TMP, (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void senders_per_country(void **state)
{
	(void)state;
	struct config c;
	struct sender_table *t;
	assert_int_equal(
	    config_load(&c,
	                write_file("alpha_sender_forbidden = US, CA\n"
	                           "[sender default]\nalpha = iotp\nnumber = +447700900123\n"
	                           "[sender IN]\nalpha = IOTPIN\n"
	                           "[sender CA]\nnumber = +16135550100\n"),
	                1, err, sizeof err),
	    0);
	assert_int_equal(sender_table_new(&c, &t, err, sizeof err), 0);
	assert_string_equal(sender_for(t, "GB", "sms"), "iotp");
	assert_string_equal(sender_for(t, "IN", "sms"), "IOTPIN");
	assert_string_equal(sender_for(t, "US", "sms"),
	                    "+447700900123"); /* forbidden: default number */
	assert_string_equal(sender_for(t, "CA", "sms"), "+16135550100");    /* its own number */
	assert_string_equal(sender_for(t, "GB", "voice"), "+447700900123"); /* calls show numbers */
	assert_true(sender_alpha_forbidden(t, "US"));
	assert_false(sender_alpha_forbidden(t, "GB"));
	sender_table_free(t);
	config_deinit(&c);

	/* An alphanumeric sender alone for a country that forbids them is refused. */
	assert_int_equal(
	    config_load(&c, write_file("[sender US]\nalpha = iotp\n"), 1, err, sizeof err), 0);
	assert_int_equal(sender_table_new(&c, &t, err, sizeof err), -1);
	assert_non_null(strstr(err, ":2: [sender US]: US refuses alphanumeric senders"));
	config_deinit(&c);
	assert_int_equal(config_load(&c, write_file("[sender default]\nalpha = much-too-long-id\n"),
	                             1, err, sizeof err),
	                 0);
	assert_int_equal(sender_table_new(&c, &t, err, sizeof err), -1);
	assert_non_null(strstr(err, "1 to 11 letters"));
	config_deinit(&c);
}

static void kannel_reports(void **state)
{
	(void)state;
	struct provider_report r;
	assert_int_equal(report_from_kannel(1, "", &r, err, sizeof err), 0);
	assert_int_equal(r.state, STORE_MSG_DELIVERED);
	assert_int_equal(report_from_kannel(8, "ACK/", &r, err, sizeof err), 0);
	assert_int_equal(r.state, STORE_MSG_ACCEPTED);
	assert_int_equal(report_from_kannel(4, "", &r, err, sizeof err), PROVIDER_REPORT_IGNORED);
	assert_int_equal(report_from_kannel(16, "NACK/0x0000000b/Invalid Destination Address", &r,
	                                    err, sizeof err),
	                 0);
	assert_int_equal(r.state, STORE_MSG_FAILED);
	assert_non_null(strstr(r.reason, "SMS centre refused the message (NACK/0x0000000b"));
	assert_int_equal(report_from_kannel(2,
	                                    "id:1001 sub:001 dlvrd:000 submit date:2611270400 done "
	                                    "date:2611270400 stat:UNDELIV err:001 text:",
	                                    &r, err, sizeof err),
	                 0);
	assert_int_equal(r.state, STORE_MSG_FAILED);
	assert_non_null(strstr(r.reason, "(UNDELIV, error 001)"));
	assert_int_equal(report_from_kannel(2, "id:1 stat:EXPIRED err:000", &r, err, sizeof err),
	                 0);
	assert_int_equal(r.state, STORE_MSG_EXPIRED);
	assert_non_null(strstr(r.reason, "(EXPIRED)"));
	/* A failure report without a receipt still fails, with Kannel's words. */
	assert_int_equal(report_from_kannel(2, "", &r, err, sizeof err), 0);
	assert_int_equal(r.state, STORE_MSG_FAILED);
	assert_int_equal(report_from_kannel(3, "", &r, err, sizeof err), PROVIDER_REPORT_INVALID);
	char reason[256];
	assert_int_equal(report_smpp_stat("xstat:DELIVRD", reason, sizeof reason), -1);
	assert_int_equal(report_smpp_stat("stat:REJECTD err:0x45", reason, sizeof reason),
	                 STORE_MSG_FAILED);
	assert_non_null(strstr(reason, "rejected"));
	assert_int_equal(report_state_from_name("delivered"), STORE_MSG_DELIVERED);
	assert_int_equal(report_state_from_name("sent"), -1);
	/* Reasons are served as JSON: a gateway's raw bytes, and a character cut by
	 * the 120-byte quote, come out as '?' (found by tests/fuzz/fuzz_dlr). */
	assert_int_equal(report_from_kannel(16, "NACK \xda\x9c bad \xff", &r, err, sizeof err), 0);
	assert_non_null(strstr(r.reason, "(NACK \xda\x9c bad ?)"));
	char cut[200];
	memset(cut, 'a', sizeof cut);
	memcpy(cut + 118, "\xc3\xa9", 2); /* é across the 120-byte cut */
	cut[sizeof cut - 1] = '\0';
	assert_int_equal(report_from_kannel(2, cut, &r, err, sizeof err), 0);
	assert_non_null(strstr(r.reason, "aa\xc3\xa9)."));
	cut[118] = 'a';
	memcpy(cut + 119, "\xc3\xa9", 2);
	assert_int_equal(report_from_kannel(2, cut, &r, err, sizeof err), 0);
	assert_non_null(strstr(r.reason, "aa?)."));
}

static void tokens_and_signatures(void **state)
{
	(void)state;
	char tok[CALLBACK_TOKEN_LEN + 1], again[CALLBACK_TOKEN_LEN + 1], url[256];
	struct callback_key k, other, jefe;
	callback_key_init(&k, "s3cret-s3cret-s3cret");
	callback_key_init(&other, "other-secret-other");
	callback_key_init(&jefe, "Jefe");
	callback_token(&k, "msg-1", tok);
	assert_int_equal(strlen(tok), 32);
	/* The key is copied, not used up: the same token every time. */
	callback_token(&k, "msg-1", again);
	assert_string_equal(tok, again);
	/* HMAC-SHA256(secret, "msg-1") cut to 128 bits: what iotpd wrote in the
	 * report URLs before keys were made ready once, so URLs handed out by an
	 * older iotpd still hold. */
	assert_string_equal(tok, "f96c982aa6fd7c53f2c21c2a6c4a9d73");
	assert_true(callback_token_ok(&k, "msg-1", tok));
	assert_false(callback_token_ok(&k, "msg-2", tok));
	assert_false(callback_token_ok(&other, "msg-1", tok));
	assert_false(callback_token_ok(&k, "msg-1", NULL));
	tok[31] = tok[31] == '0' ? '1' : '0';
	assert_false(callback_token_ok(&k, "msg-1", tok));
	assert_int_equal(callback_url("http://h:1", "k", "msg-1", &k, url, sizeof url), 0);
	assert_non_null(strstr(url, "http://h:1/v1/dlr/k?m=msg-1&t="));
	/* RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?"). */
	const char *body = "what do ya want for nothing?";
	const char *mac = "sha256=5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843";
	assert_true(callback_signature_ok(&jefe, body, strlen(body), mac, "sha256="));
	assert_true(callback_signature_ok(&jefe, body, strlen(body), mac, "sha256="));
	assert_false(callback_signature_ok(&jefe, body, strlen(body) - 1, mac, "sha256="));
	assert_false(callback_signature_ok(&jefe, body, strlen(body), mac + 7, "sha256="));
	assert_false(callback_signature_ok(&jefe, body, strlen(body), NULL, "sha256="));
	callback_key_wipe(&k);
	callback_key_wipe(&other);
	callback_key_wipe(&jefe);
}

/* Vectors computed with Twilio's own SDK (twilio npm package 5.13.1,
 * twilio.getExpectedTwilioSignature and getExpectedBodyHash), so iotp agrees
 * with what Twilio sends rather than with itself. The first is also the
 * example in Twilio's webhook security documentation. */
static void twilio_signatures(void **state)
{
	(void)state;
	char sig[CALLBACK_TWILIO_SIG_LEN + 1];
	const char *doc = "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&"
	                  "From=%2B12349013030&To=%2B18005551212";
	assert_int_equal(callback_twilio_signature("12345",
	                                           "https://mycompany.com/myapp.php?foo=1&bar=2",
	                                           doc, strlen(doc), sig),
	                 0);
	assert_string_equal(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");

	/* Encoded values, an empty one, a name sent three times (two distinct
	 * values), in no particular order. */
	const char *url = "http://127.0.0.1:8081/v1/dlr/twilio-sms";
	const char *form = "MessageSid=SM0123456789abcdef0123456789abcdef&MessageStatus=delivered&"
	                   "ErrorCode=&To=%2B447400123456&Body=a+b%26c%3Dd+%C3%A9&Tag=z&Tag=a&Tag=z";
	const char *want = "wnfDC/5Zi+M6DxzQhNN6r9eIkqw=";
	const char *ct = "application/x-www-form-urlencoded";
	const char *tok = "auth-token-0123456789abcdef";
	assert_int_equal(callback_twilio_signature(tok, url, form, strlen(form), sig), 0);
	assert_string_equal(sig, want);
	assert_true(callback_twilio_ok(tok, url, ct, form, strlen(form), want));
	assert_false(callback_twilio_ok("another-token", url, ct, form, strlen(form), want));
	assert_false(callback_twilio_ok(tok, url, ct, form, strlen(form), NULL));
	assert_false(callback_twilio_ok(tok, url, ct, form, strlen(form), "wnfDC/5Zi+M6DxzQhNN6r9eIkqW="));
	assert_false(callback_twilio_ok(tok, "http://127.0.0.1:8081/v1/dlr/other", ct, form,
	                                strlen(form), want));
	/* A parameter changed after signing. */
	char tampered[512];
	snprintf(tampered, sizeof tampered, "%s", form);
	memcpy(strstr(tampered, "delivered"), "failed&x=", 9);
	assert_false(callback_twilio_ok(tok, url, ct, tampered, strlen(tampered), want));
	/* The same parameters not sent as a form are not covered: refused. */
	assert_false(callback_twilio_ok(tok, url, "application/json", form, strlen(form), want));
	/* Ports: the standard one added, or any removed, as the SDK tries. */
	assert_int_equal(callback_twilio_signature("12345", "https://otp.example.com:443/x?a=1", "", 0,
	                                           sig),
	                 0);
	assert_true(callback_twilio_ok("12345", "https://otp.example.com/x?a=1", NULL, "", 0, sig));
	assert_int_equal(callback_twilio_signature("12345", "https://otp.example.com/x?a=1", "", 0,
	                                           sig),
	                 0);
	assert_true(callback_twilio_ok("12345", "https://otp.example.com:8443/x?a=1", NULL, "", 0, sig));
	assert_false(callback_twilio_ok("12345", "https://otp.example.com/x?a=2", NULL, "", 0, sig));

	/* JSON: the body's SHA-256 rides in the signed URL as bodySHA256. */
	const char *json = "{\"status\":\"delivered\"}";
	const char *jurl = "https://otp.example.com/v1/dlr/tw?bodySHA256="
	                   "2499358d3b73660dd38ee30338a37045ae22062c41f1be9df142285a615a6ae9";
	const char *jsig = "O+cJfCVuaxKlx0sK+uTPYdGYPog=";
	assert_true(callback_twilio_ok("12345", jurl, "application/json", json, strlen(json), jsig));
	const char *jother = "{\"status\":\"failed\"}";
	assert_false(
	    callback_twilio_ok("12345", jurl, "application/json", jother, strlen(jother), jsig));
	/* A malformed form is refused, never half-read. */
	assert_int_equal(callback_twilio_signature("12345", url, "a=%zz", 5, sig), -1);
	assert_false(callback_twilio_ok("12345", url, ct, "a=%00", 5, sig));
}

static void routes_from_sections(void **state)
{
	(void)state;
	struct config c;
	struct delivery *d;
	struct delivery_provider *plan[DELIVERY_ROUTE_MAX];
	const char *conf = "[provider a]\ntype = log\n"
	                   "[provider b]\ntype = log\nchannels = sms\n"
	                   "[route default]\nsms = a, b\nvoice = a\n"
	                   "[route FR]\nsms = b\n";
	assert_int_equal(config_load(&c, write_file(conf), 1, err, sizeof err), 0);
	free(c.data_dir);
	c.data_dir = strdup(IOTP_TEST_TMP);
	assert_int_equal(delivery_new(&c, NULL, &d, err, sizeof err), 0);
	assert_int_equal(delivery_channels(d), PROVIDER_CHANNEL_SMS | PROVIDER_CHANNEL_VOICE);
	assert_int_equal(delivery_plan(d, "GB", "sms", plan, DELIVERY_ROUTE_MAX), 2);
	assert_string_equal(plan[0]->name, "a");
	assert_string_equal(plan[1]->name, "b");
	assert_int_equal(delivery_plan(d, "FR", "sms", plan, DELIVERY_ROUTE_MAX), 1);
	assert_string_equal(plan[0]->name, "b");
	/* FR has no voice route: the default's. */
	assert_int_equal(delivery_plan(d, "FR", "voice", plan, DELIVERY_ROUTE_MAX), 1);
	assert_string_equal(plan[0]->name, "a");
	assert_int_equal(delivery_plan(d, "GB", "whatsapp", plan, DELIVERY_ROUTE_MAX), 0);
	delivery_free(d);
	config_deinit(&c);

	const char *bad[][2] = {
	    {"[provider a]\ntype = log\n[route default]\nsms = zz\n",
	     ":4: [route default]: no [provider zz] section"},
	    {"[provider a]\ntype = log\nchannels = sms\n[route default]\nvoice = a\n",
	     ":5: [route default]: provider a does not serve voice"},
	    {"[provider a]\ntype = smpp\n",
	     ":2: [provider a]: unknown provider type smpp (known: log, kannel, http)"},
	    {"[provider a]\ntype = kannel\nurl = http://x/\nusername = u\npassword = p\n",
	     "[provider a]: set callback_secret"},
	    {"[provider a]\ntype = log\n", "need a [route default]"},
	    {"[provider a]\ntype = log\n[route Gb]\nsms = a\n",
	     "[route Gb]: name a region in capitals"},
	    {"[provider a]\ntype = http\nurl = http://x/\nbody_format = json\nbody = {\"t\": "
	     "{text}}\n[route default]\nsms = a\n",
	     "body is not JSON once filled in"},
	    {"[provider a]\ntype = http\nurl = http://x/\nbody = t={text}\nfoo = 1\n",
	     ":5: [provider a]: unknown setting 'foo'"},
	    {"[provider a]\ntype = log\nbreaker_failures = 0\n",
	     ":3: [provider a]: breaker_failures '0' is not a whole number in 1..1000"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(config_load(&c, write_file(bad[i][0]), 1, err, sizeof err), 0);
		free(c.data_dir);
		c.data_dir = strdup(IOTP_TEST_TMP);
		if (delivery_new(&c, NULL, &d, err, sizeof err) == 0) {
			delivery_free(d);
			fail_msg("accepted: %s", bad[i][0]);
		}
		if (!strstr(err, bad[i][1]))
			fail_msg("for %s: got '%s', want '%s'", bad[i][0], err, bad[i][1]);
		config_deinit(&c);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(expand_escapes_for_each_place),
	    cmocka_unit_test(expand_refuses_mistakes),
	    cmocka_unit_test(form_fields_decode),
	    cmocka_unit_test(senders_per_country),
	    cmocka_unit_test(kannel_reports),
	    cmocka_unit_test(tokens_and_signatures),
	    cmocka_unit_test(twilio_signatures),
	    cmocka_unit_test(routes_from_sections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
