#include "base/error.h"

struct row {
	int status;
	const char *code;
	const char *message;
};

static const struct row rows[IOTP_E_COUNT] = {
#define IOTP_ERROR_ROW(name, status, code, message) [IOTP_E_##name] = {status, code, message},
	IOTP_ERROR_MAP(IOTP_ERROR_ROW)
#undef IOTP_ERROR_ROW
};

static const struct row *row_of(enum iotp_error e)
{
	if ((unsigned)e >= IOTP_E_COUNT)
		return &rows[IOTP_E_INTERNAL];
	return &rows[e];
}

int iotp_error_status(enum iotp_error e)
{
	return row_of(e)->status;
}

const char *iotp_error_code(enum iotp_error e)
{
	return row_of(e)->code;
}

const char *iotp_error_message(enum iotp_error e)
{
	return row_of(e)->message;
}
