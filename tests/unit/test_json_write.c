/* base/json_write.c: byte for byte what jansson's json_dumps writes with
 * JSON_COMPACT | JSON_ENCODE_ANY, for chosen values and for random trees of
 * every kind of value, and truncated as snprintf truncates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/json_write.h"

/* json_write_compact(j) == json_dumps(j) for a value jansson can write. */
static void same_as_jansson(const json_t *j)
{
	char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_non_null(want);
	size_t n = strlen(want);
	char *got = malloc(n + 1);
	assert_int_equal(json_write_compact(j, got, n + 1), n);
	assert_string_equal(got, want);
	/* Too small a buffer: the start of the text, and its whole length. */
	for (size_t size = 0; size <= n; size += 1 + n / 7) {
		char cut[n + 2];
		memset(cut, 'X', sizeof cut);
		assert_int_equal(json_write_compact(j, cut, size), n);
		if (size > 0) {
			assert_memory_equal(cut, want, size - 1);
			assert_int_equal(cut[size - 1], '\0');
		}
		assert_int_equal(cut[size], 'X');
	}
	free(got);
	free(want);
}

static void test_chosen_values(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", "rate_limited_number",
			      "message", "Too many requests for this number.", "limit",
			      "create.number");
	same_as_jansson(v);
	json_decref(v);
	v = json_pack("[s,s,s,s,s]", "quote \" backslash \\ slash /", "\b\f\n\r\t",
		      "\x01\x1f\x7f", "é € 𝄞 \xe2\x80\xa8", "");
	same_as_jansson(v);
	json_decref(v);
	v = json_pack("[I,I,I,I,i,b,b,n,f,f,f,f,f,{},[]]", (json_int_t)INT64_MIN,
		      (json_int_t)INT64_MAX, (json_int_t)0, (json_int_t)-1, 42, 1, 0, 0.1, 3.0,
		      -0.0, 1e300, 1.5e-7);
	same_as_jansson(v);
	json_decref(v);
	/* NUL inside a string and a key, as json_stringn and json_object_setn
	 * allow. */
	v = json_object();
	json_object_setn_new(v, "a\0b", 3, json_stringn("x\0y", 3));
	same_as_jansson(v);
	json_decref(v);
	same_as_jansson(json_true());
	same_as_jansson(json_null());
}

/* What json_dumps refuses, this refuses too; and it gives up past its
 * depth, for json_dumps to write. */
static void test_refusals(void **state)
{
	(void)state;
	char buf[64];
	json_t *bad = json_string_nocheck("\xff\xfe");
	assert_null(json_dumps(bad, JSON_ENCODE_ANY));
	assert_int_equal(json_write_compact(bad, buf, sizeof buf), 0);
	json_decref(bad);
	assert_int_equal(json_write_compact(NULL, buf, sizeof buf), 0);
	json_t *deep = json_array();
	for (int i = 0; i < JSON_WRITE_DEPTH + 1; i++) {
		json_t *outer = json_array();
		json_array_append_new(outer, deep);
		deep = outer;
	}
	assert_int_equal(json_write_compact(deep, buf, sizeof buf), 0);
	json_decref(deep);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Text from pieces that each take another way through the writer. */
static size_t random_text(char *s, size_t max)
{
	static const char *const piece[] = {
	    "a", "Z", " ", "0", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f", "é", "€",
	    "𝄞", "\xe2\x80\xa8", "{}", "[,]", ":", "\0",
	};
	size_t n = 0, parts = next() % 12;
	for (size_t i = 0; i < parts; i++) {
		const char *p = piece[next() % (sizeof piece / sizeof piece[0])];
		size_t len = *p ? strlen(p) : 1;
		if (n + len > max)
			break;
		memcpy(s + n, p, len);
		n += len;
	}
	return n;
}

static json_t *random_value(int depth)
{
	char s[64];
	switch (next() % (depth > 4 ? 6 : 8)) {
	case 0: return json_stringn(s, random_text(s, sizeof s));
	case 1: return json_integer((json_int_t)(((uint64_t)next() << 32) | next()) >> (next() % 64));
	case 2: return json_real((double)(int32_t)next() / (1 + next() % 1000));
	case 3: return json_boolean(next() & 1);
	case 4: return json_null();
	case 5: return json_integer(-(json_int_t)(next() % 1000));
	case 6: {
		json_t *a = json_array();
		for (uint32_t n = next() % 5; n > 0; n--)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (uint32_t n = next() % 5; n > 0; n--) {
			size_t len = random_text(s, sizeof s);
			json_object_setn_new(o, s, len, random_value(depth + 1));
		}
		return o;
	}
	}
}

static void test_random_trees(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_t *v = random_value(0);
		same_as_jansson(v);
		json_decref(v);
	}
}

/* Objects written field by field: the same text as the tree with the same
 * fields written by json_dumps, for random keys (C strings: no NUL) and
 * values, nested ones given as raw text. */
static void test_objects_field_by_field(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_t *tree = json_object();
		struct json_obj w;
		json_obj_begin(&w);
		for (uint32_t n = next() % 30; n > 0; n--) {
			char key[64], s[64];
			size_t klen = random_text(key, sizeof key - 1);
			key[klen] = '\0';
			if (strlen(key) != klen)
				continue; /* a key with a NUL: not a C string */
			json_t *v = NULL;
			switch (next() % 6) {
			case 0: {
				size_t len = random_text(s, sizeof s - 1);
				s[len] = '\0';
				if (strlen(s) != len)
					continue;
				json_obj_string(&w, key, s);
				v = json_string(s);
				break;
			}
			case 1: {
				long long x = (long long)(((uint64_t)next() << 32) | next()) >> (next() % 64);
				json_obj_int(&w, key, x);
				v = json_integer(x);
				break;
			}
			case 2: {
				int b = (int)(next() & 1);
				json_obj_bool(&w, key, b);
				v = json_boolean(b);
				break;
			}
			case 3:
				json_obj_null(&w, key);
				v = json_null();
				break;
			case 4:
				json_obj_string(&w, key, NULL);
				v = json_null();
				break;
			default: {
				json_t *sub = random_value(1);
				char *raw = json_dumps(sub, JSON_COMPACT | JSON_ENCODE_ANY);
				if (!raw) {
					json_decref(sub);
					continue;
				}
				json_obj_raw(&w, key, raw);
				free(raw);
				v = sub;
				break;
			}
			}
			json_object_del(tree, key); /* a key set twice moves to the end */
			json_object_set_new(tree, key, v);
		}
		size_t len;
		char *got = json_obj_end(&w, &len);
		assert_non_null(got);
		assert_int_equal(len, strlen(got));
		/* A key set twice is written twice; jansson keeps it once: compare
		 * only objects whose keys are all different. */
		if (json_object_size(tree) == w.fields) {
			char *want = json_dumps(tree, JSON_COMPACT);
			assert_non_null(want);
			assert_string_equal(got, want);
			free(want);
		}
		free(got);
		json_decref(tree);
	}
}

static void test_object_not_utf8(void **state)
{
	(void)state;
	struct json_obj w;
	json_obj_begin(&w);
	json_obj_string(&w, "ok", "caf\xc3\xa9");
	json_obj_string(&w, "bad", "caf\xe9");
	size_t len = 1;
	assert_null(json_obj_end(&w, &len));
	assert_int_equal(len, 0);
	json_obj_begin(&w);
	json_obj_string(&w, "ok", "caf\xc3\xa9 \"quoted\"\n");
	json_obj_int(&w, "min", INT64_MIN);
	json_obj_raw(&w, "list", "[1,2]");
	char *text = json_obj_end(&w, &len);
	assert_string_equal(text, "{\"ok\":\"caf\xc3\xa9 \\\"quoted\\\"\\n\",\"min\":-9223372036854775808,"
				  "\"list\":[1,2]}");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chosen_values),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_random_trees),
	    cmocka_unit_test(test_objects_field_by_field),
	    cmocka_unit_test(test_object_not_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
