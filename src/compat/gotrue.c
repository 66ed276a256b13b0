#include "compat/compat.h"
#include "compat/compat_internal.h"

void gotrue_reply_error(struct http_response *res, enum iotp_error e, const char *message)
{
	http_reply_error(res, e, message);
}
void gotrue_otp(struct http_request *req, struct http_response *res) { (void)req; (void)res; }
void gotrue_verify(struct http_request *req, struct http_response *res) { (void)req; (void)res; }
void gotrue_resend(struct http_request *req, struct http_response *res) { (void)req; (void)res; }
void gotrue_token(struct http_request *req, struct http_response *res) { (void)req; (void)res; }
void gotrue_logout(struct http_request *req, struct http_response *res) { (void)req; (void)res; }
void gotrue_user_get(struct http_request *req, struct http_response *res) { (void)req; (void)res; }
void gotrue_user_update(struct http_request *req, struct http_response *res) { (void)req; (void)res; }
void gotrue_settings(struct http_request *req, struct http_response *res) { (void)req; (void)res; }
