/* The log provider, for development: each message becomes a JSON line in
 * <data_dir>/messages.jsonl and an entry of the dev inbox. Nothing leaves the
 * machine. The file holds message texts, codes included: it is the developer's
 * stand-in for a phone, so it is created readable by its owner only. */
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/json_write.h"
#include "delivery/provider.h"

struct log_state {
	pthread_mutex_t lock; /* one line at a time from the delivery threads */
	FILE *file;
	struct inbox *inbox;
};

static int log_open(const struct provider_env *env, void **state, char *err, size_t errlen)
{
	static const char *const keys[] = {PROVIDER_COMMON_KEYS, NULL};
	char path[4096];
	if (env->section &&
	    config_section_check_keys(env->cfg, env->section, keys, err, errlen) < 0)
		return -1;
	if (strfmt(path, sizeof path, "%s/messages.jsonl", env->cfg->data_dir) < 0) {
		strfmt(err, errlen, "provider log: data_dir path too long");
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		strfmt(err, errlen, "provider log: cannot open %s for writing", path);
		return -1;
	}
	if (env->inbox)
		inbox_load(env->inbox, path);
	struct log_state *s = xcalloc(1, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	s->file = f;
	s->inbox = env->inbox;
	*state = s;
	return 0;
}

static void log_close(void *state)
{
	struct log_state *s = state;
	if (!s)
		return;
	fclose(s->file);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int log_send(void *state, const struct provider_message *m, char *ref, size_t reflen,
                    char *error, size_t errlen)
{
	struct log_state *s = state;
	ref[0] = '\0';
	(void)reflen;
	struct inbox_entry e;
	if (strlen(m->text) >= sizeof e.text) {
		strfmt(error, errlen, "message too long for the dev inbox (%zu bytes)",
		       strlen(m->text));
		return PROVIDER_REFUSED;
	}
	memset(&e, 0, sizeof e);
	strfmt(e.id, sizeof e.id, "%s", m->id);
	strfmt(e.to, sizeof e.to, "%s", m->to);
	strfmt(e.channel, sizeof e.channel, "%s", m->channel);
	strfmt(e.text, sizeof e.text, "%s", m->text);
	e.sent_at = m->now;
	if (s->inbox && inbox_add(s->inbox, &e) == 1)
		return PROVIDER_SENT; /* already delivered before a crash: at most once */

	char when[32];
	clock_format_ms(m->now, when, sizeof when);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", m->id, "to", m->to,
	                      "channel", m->channel, "from", m->from, "text", m->text, "sent_at",
	                      when, "sent_at_ms", (json_int_t)m->now);
	if (j && m->ssml)
		json_object_set_new(j, "ssml", json_string(m->ssml));
	char small[2048];
	size_t n;
	char *line = j ? json_write_text(j, small, sizeof small, &n) : NULL;
	json_decref(j);
	if (!line) {
		strfmt(error, errlen, "could not encode the message");
		return PROVIDER_RETRY;
	}
	line[n] = '\n'; /* in place of the NUL that both ways leave */
	pthread_mutex_lock(&s->lock);
	int ok = fwrite(line, 1, n + 1, s->file) == n + 1 && fflush(s->file) == 0;
	pthread_mutex_unlock(&s->lock);
	if (line != small)
		free(line);
	if (!ok) {
		strfmt(error, errlen, "could not write to messages.jsonl (disk full?)");
		return PROVIDER_RETRY;
	}
	return PROVIDER_SENT;
}

const struct provider_ops provider_log_ops = {
    .version = PROVIDER_OPS_VERSION,
    .type = "log",
    .channels = PROVIDER_CHANNEL_SMS | PROVIDER_CHANNEL_VOICE | PROVIDER_CHANNEL_WHATSAPP,
    .open = log_open,
    .close = log_close,
    .send = log_send,
    .report = NULL,
};
