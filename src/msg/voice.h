/* voice: how a call's words travel through the outbox. A voice message's one
 * sealed text carries the spoken script and its SSML as "script\x1eSSML":
 * core/ packs what msg_render_voice wrote, delivery/ unpacks it for the
 * provider (those that speak SSML get its pauses and regional voice; the
 * others read the script). The format lives here so neither side has to know
 * the other's code. */
#ifndef IOTP_MSG_VOICE_H
#define IOTP_MSG_VOICE_H

#include <stddef.h>

/* Separates the script from the SSML: ASCII's record separator, which neither
 * a script nor an SSML document holds. */
#define MSG_VOICE_SEPARATOR '\x1e'

/* Appends the separator and ssml to the script in text (NUL-terminated, size
 * bytes in all). Returns 0, or 1 when they do not fit: text then holds the
 * script alone, which every provider can still read. */
int msg_voice_pack(char *text, size_t size, const char *ssml);

/* Splits a packed text in place: text keeps the script, and the SSML is
 * returned (pointing into text), or NULL when there is none or it is empty. */
const char *msg_voice_unpack(char *text);

#endif
