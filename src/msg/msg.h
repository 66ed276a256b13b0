/* msg: the words a person receives — templates per language, the SMS encoding
 * and length rules, the auto-fill suffixes, the voice script.
 *
 * This header holds what every file of the module shares: the result codes.
 * Like the rest of iotp, functions return 0 on success, a negative code for a
 * failure the caller passes on, and a positive code for an expected outcome the
 * caller must handle. */
#ifndef IOTP_MSG_H
#define IOTP_MSG_H

enum msg_result {
	MSG_OK = 0,
	/* The text was written in full, but it needs more than one SMS segment: the
	 * caller decides whether to send it anyway (it costs more, and Android's
	 * SMS Retriever ignores messages longer than 140 bytes, one segment). */
	MSG_MULTIPART = 1,
	/* A template or setting is refused; the err buffer holds a sentence that
	 * names it and says what to change. */
	MSG_REFUSED = 2,
	/* A lookup found nothing (a region the table does not list). */
	MSG_UNKNOWN = 3,

	/* The text is not valid UTF-8. */
	MSG_EUTF8 = -1,
	/* The output buffer is too small; nothing useful was written. */
	MSG_ESPACE = -2,
	/* An argument breaks the function's contract (a code that is not 4 to 10
	 * ASCII digits, a language iotp does not have, a negative lifetime). */
	MSG_EINVAL = -3,
};

/* The two ways a code reaches a person. */
enum msg_channel {
	MSG_SMS = 0,
	MSG_VOICE = 1,
};

/* "sms" or "voice": the names configuration and template names use. */
const char *msg_channel_name(enum msg_channel ch);

#endif
