/* The PostgreSQL store's passkeys (store_passkey_*): one row per WebAuthn
 * credential. The per-account limit holds across nodes: the insert counts
 * under a row lock on the account, so parallel inserts for one account take
 * turns. */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "store/postgres_db.h"

#define COLS                                                                                  \
	"id, account_id, app, cred_id, public_key, alg, aaguid, attestation, name, sign_count," \
	" backup_eligible, backup_state, created_at, last_used_at, version"

const char *const pg_passkey_sql[P_COUNT] = {
	[P_PASSKEY_LOCK] = "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE",
	[P_PASSKEY_COUNT] = "SELECT count(*) FROM passkeys WHERE account_id = $1",
	/* A credential id the app has already: no row, no error logged. */
	[P_PASSKEY_INSERT] = "INSERT INTO passkeys (" COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7,"
			     " $8, $9, $10, $11, $12, $13, $14, 1) ON CONFLICT DO NOTHING",
	[P_PASSKEY_GET] = "SELECT " COLS " FROM passkeys WHERE app = $1 AND cred_id = $2",
	[P_PASSKEY_LIST] = "SELECT " COLS " FROM passkeys WHERE account_id = $1"
			   " ORDER BY created_at, id",
	[P_PASSKEY_UPDATE] = "UPDATE passkeys SET sign_count = $2, backup_state = $3,"
			     " last_used_at = $4, name = $5, version = $6"
			     " WHERE id = $1 AND version = $6::bigint - 1",
	[P_PASSKEY_DELETE] = "DELETE FROM passkeys WHERE account_id = $1 AND id = $2",
	[P_PASSKEY_DELETE_ALL] = "DELETE FROM passkeys WHERE account_id = $1",
};

static void read_row(PGresult *r, int row, struct store_passkey *p)
{
	memset(p, 0, sizeof *p);
	pg_text(p->id, sizeof p->id, r, row, 0);
	pg_text(p->account_id, sizeof p->account_id, r, row, 1);
	pg_text(p->app, sizeof p->app, r, row, 2);
	p->cred_id_len = pg_blob(p->cred_id, sizeof p->cred_id, r, row, 3);
	p->public_key_len = pg_blob(p->public_key, sizeof p->public_key, r, row, 4);
	p->alg = (int)pg_int(r, row, 5);
	pg_blob(p->aaguid, sizeof p->aaguid, r, row, 6);
	pg_text(p->attestation, sizeof p->attestation, r, row, 7);
	pg_text(p->name, sizeof p->name, r, row, 8);
	p->sign_count = pg_int(r, row, 9);
	p->backup_eligible = (int)pg_int(r, row, 10);
	p->backup_state = (int)pg_int(r, row, 11);
	p->created_at = pg_int(r, row, 12);
	p->last_used_at = pg_int(r, row, 13);
	p->version = pg_int(r, row, 14);
}

struct insert_args {
	const struct store_passkey *p;
	int max;
};

/* The insert, in a transaction: the account's passkeys locked and counted
 * first, so parallel inserts never pass max. */
static int insert_locked(struct pg_db *db, struct pg_conn *c, void *arg)
{
	const struct store_passkey *p = ((const struct insert_args *)arg)->p;
	int max = ((const struct insert_args *)arg)->max;
	struct pg_params q = {0};
	pg_p_text(&q, p->account_id);
	PGresult *r = pg_run(db, c, P_PASSKEY_LOCK, &q, NULL);
	if (!r)
		return -1;
	PQclear(r);
	if (!(r = pg_run(db, c, P_PASSKEY_COUNT, &q, NULL)))
		return -1;
	int64_t n = pg_int(r, 0, 0);
	PQclear(r);
	if (n >= max)
		return STORE_LIMITED;
	q.n = 0;
	pg_p_text(&q, p->id);
	pg_p_text(&q, p->account_id);
	pg_p_text(&q, p->app);
	pg_p_blob(&q, p->cred_id, p->cred_id_len);
	pg_p_blob(&q, p->public_key, p->public_key_len);
	pg_p_int(&q, p->alg);
	pg_p_blob(&q, p->aaguid, sizeof p->aaguid);
	pg_p_text(&q, p->attestation);
	pg_p_text(&q, p->name);
	pg_p_int(&q, p->sign_count);
	pg_p_int(&q, p->backup_eligible);
	pg_p_int(&q, p->backup_state);
	pg_p_int(&q, p->created_at);
	pg_p_int(&q, p->last_used_at);
	if (!(r = pg_run(db, c, P_PASSKEY_INSERT, &q, NULL)))
		return -1;
	int rc = pg_changed(r) == 1 ? 0 : STORE_CONFLICT;
	PQclear(r);
	return rc;
}

int pg_passkey_insert(void *state, const struct store_passkey *p, int max)
{
	struct insert_args a = {p, max};
	return pg_in_txn(state, insert_locked, &a);
}

int pg_passkey_get(void *state, const char *app, const unsigned char *cred_id,
		   size_t cred_id_len, struct store_passkey *out)
{
	struct pg_params p = {0};
	pg_p_text(&p, app);
	pg_p_blob(&p, cred_id, cred_id_len);
	PGresult *r = pg_run_alone(state, P_PASSKEY_GET, &p);
	if (!r)
		return -1;
	int rc = PQntuples(r) ? 0 : STORE_NOT_FOUND;
	if (rc == 0)
		read_row(r, 0, out);
	PQclear(r);
	return rc;
}

int pg_passkey_list(void *state, const char *account_id,
		    void (*fn)(const struct store_passkey *p, void *arg), void *arg)
{
	struct pg_params p = {0};
	pg_p_text(&p, account_id);
	PGresult *r = pg_run_alone(state, P_PASSKEY_LIST, &p);
	if (!r)
		return -1;
	struct store_passkey *k = xmalloc(sizeof *k);
	for (int i = 0; i < PQntuples(r); i++) {
		read_row(r, i, k);
		fn(k, arg);
	}
	free(k);
	PQclear(r);
	return 0;
}

int pg_passkey_update(void *state, const struct store_passkey *k)
{
	struct pg_params p = {0};
	pg_p_text(&p, k->id);
	pg_p_int(&p, k->sign_count);
	pg_p_int(&p, k->backup_state);
	pg_p_int(&p, k->last_used_at);
	pg_p_text(&p, k->name);
	pg_p_int(&p, k->version);
	PGresult *r = pg_run_alone(state, P_PASSKEY_UPDATE, &p);
	if (!r)
		return -1;
	int rc = pg_changed(r) == 1 ? 0 : STORE_CONFLICT;
	PQclear(r);
	return rc;
}

int pg_passkey_delete(void *state, const char *account_id, const char *id)
{
	struct pg_params p = {0};
	pg_p_text(&p, account_id);
	if (id)
		pg_p_text(&p, id);
	PGresult *r = pg_run_alone(state, id ? P_PASSKEY_DELETE : P_PASSKEY_DELETE_ALL, &p);
	if (!r)
		return -1;
	int rc = (id && pg_changed(r) == 0) ? STORE_NOT_FOUND : 0;
	PQclear(r);
	return rc;
}
