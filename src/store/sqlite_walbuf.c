/* A VFS shim that writes each commit to the WAL in one system call.
 *
 * SQLite appends a commit to the WAL as two writes per page (a 24-byte frame
 * header, then the page), so a commit of 12 pages costs 24 pwrite calls; on
 * this project's benchmark those were the largest single cost in the kernel.
 * This shim gathers the writes of a WAL file that follow one another in the
 * file and hands them to the real file in one write when the commit's last
 * frame is complete (a frame header whose "database size after commit" field
 * is not zero marks it), or before anything else touches the file (a read, a
 * sync, a lock, the shared-memory index, its size, a close).
 *
 * What it promises: when SQLite's COMMIT returns, every byte of it has been
 * written to the operating system, exactly as without the shim, so a process
 * killed at any moment after loses nothing (synchronous=NORMAL's promise; a
 * power cut is the fsync's business, and xSync still flushes first). A failed
 * write is returned to SQLite from the write that completes the commit, so a
 * full disk fails the commit as it would have. Database and other files pass
 * through untouched: only files opened with SQLITE_OPEN_WAL are wrapped. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_db.h"

#define WAL_HEADER 32
#define FRAME_HEADER 24
/* Past this much gathered, write it out before gathering more (a large
 * transaction or a cache spill). */
#define GATHER_MAX (4 * 1024 * 1024)
#define WRITE_MAX (64 * 1024)

struct walbuf_file {
	sqlite3_file base;
	sqlite3_file *real;  /* right after this struct, opened by the real VFS */
	unsigned char *buf;  /* bytes not yet written, meant for offset off */
	size_t len, cap;
	sqlite3_int64 off;
	int commit_next;     /* the next write is a commit frame's page */
};

static sqlite3_vfs *real_vfs;

static int flush(struct walbuf_file *f)
{
	if (!f->len)
		return SQLITE_OK;
	/* The unix VFS writes at most 128 KiB - 1 bytes a call (its seekAndWrite
	 * masks the length with 0x1ffff): hand it 64 KiB at a time. */
	int rc = SQLITE_OK;
	for (size_t done = 0; rc == SQLITE_OK && done < f->len; done += WRITE_MAX) {
		size_t n = f->len - done < WRITE_MAX ? f->len - done : WRITE_MAX;
		rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
					       f->off + (sqlite3_int64)done);
	}
	f->len = 0;
	return rc;
}

static int wb_close(sqlite3_file *file)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);
	int crc = f->real->pMethods->xClose(f->real);
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : crc;
}

static int wb_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amt, off);
}

static int wb_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc;
	/* The WAL's own header, or a write that does not extend what is gathered:
	 * out with what came before, then through. */
	if (off < WAL_HEADER || (f->len && off != f->off + (sqlite3_int64)f->len)) {
		if ((rc = flush(f)) != SQLITE_OK)
			return rc;
		if (off < WAL_HEADER)
			return f->real->pMethods->xWrite(f->real, data, amt, off);
	}
	if (f->len + (size_t)amt > f->cap) {
		size_t want = f->cap ? f->cap : 64 * 1024;
		while (want < f->len + (size_t)amt)
			want *= 2;
		unsigned char *grown = want <= GATHER_MAX ? realloc(f->buf, want) : NULL;
		if (!grown) {
			/* Too much (or no memory): what is gathered goes out first. */
			if ((rc = flush(f)) != SQLITE_OK)
				return rc;
			return f->real->pMethods->xWrite(f->real, data, amt, off);
		}
		f->buf = grown;
		f->cap = want;
	}
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, data, (size_t)amt);
	f->len += (size_t)amt;
	if (f->commit_next) {
		f->commit_next = 0;
		return flush(f);
	}
	/* A frame header: bytes 4..7 hold the database size after a commit, and
	 * are zero in every other frame. */
	if (amt == FRAME_HEADER) {
		const unsigned char *h = data;
		f->commit_next = (h[4] | h[5] | h[6] | h[7]) != 0;
	}
	return SQLITE_OK;
}

/* Everything else flushes, then does what the real file does. */
#define REAL(f) ((struct walbuf_file *)(f))->real
#define FLUSHED(call)                                                                   \
	do {                                                                            \
		int rc_ = flush((struct walbuf_file *)file);                            \
		if (rc_ != SQLITE_OK)                                                   \
			return rc_;                                                     \
		return call;                                                            \
	} while (0)

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	FLUSHED(REAL(file)->pMethods->xTruncate(REAL(file), size));
}

static int wb_sync(sqlite3_file *file, int flags)
{
	FLUSHED(REAL(file)->pMethods->xSync(REAL(file), flags));
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	FLUSHED(REAL(file)->pMethods->xFileSize(REAL(file), size));
}

static int wb_lock(sqlite3_file *file, int level)
{
	FLUSHED(REAL(file)->pMethods->xLock(REAL(file), level));
}

static int wb_unlock(sqlite3_file *file, int level)
{
	FLUSHED(REAL(file)->pMethods->xUnlock(REAL(file), level));
}

static int wb_check_reserved(sqlite3_file *file, int *out)
{
	FLUSHED(REAL(file)->pMethods->xCheckReservedLock(REAL(file), out));
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
	FLUSHED(REAL(file)->pMethods->xFileControl(REAL(file), op, arg));
}

static int wb_sector_size(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int wb_device(sqlite3_file *file)
{
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static int wb_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
	FLUSHED(REAL(file)->pMethods->xShmMap(REAL(file), page, size, extend, out));
}

static int wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	FLUSHED(REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags));
}

static void wb_shm_barrier(sqlite3_file *file)
{
	/* Before the index publishes frames, they are written (a failure here
	 * cannot be returned, but the commit's own write already flushed). */
	flush((struct walbuf_file *)file);
	REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int wb_shm_unmap(sqlite3_file *file, int delete_flag)
{
	FLUSHED(REAL(file)->pMethods->xShmUnmap(REAL(file), delete_flag));
}

static int wb_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
	FLUSHED(REAL(file)->pMethods->xFetch(REAL(file), off, amt, out));
}

static int wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	FLUSHED(REAL(file)->pMethods->xUnfetch(REAL(file), off, p));
}

static const sqlite3_io_methods wb_methods = {
	.iVersion = 3,
	.xClose = wb_close,
	.xRead = wb_read,
	.xWrite = wb_write,
	.xTruncate = wb_truncate,
	.xSync = wb_sync,
	.xFileSize = wb_file_size,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_check_reserved,
	.xFileControl = wb_file_control,
	.xSectorSize = wb_sector_size,
	.xDeviceCharacteristics = wb_device,
	.xShmMap = wb_shm_map,
	.xShmLock = wb_shm_lock,
	.xShmBarrier = wb_shm_barrier,
	.xShmUnmap = wb_shm_unmap,
	.xFetch = wb_fetch,
	.xUnfetch = wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		/* Not a WAL: the real VFS's own file, in place (we asked for room). */
		return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
	struct walbuf_file *f = (struct walbuf_file *)file;
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)(f + 1);
	int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	if (rc == SQLITE_OK && f->real->pMethods && f->real->pMethods->iVersion >= 3) {
		f->base.pMethods = &wb_methods;
		return SQLITE_OK;
	}
	if (f->real->pMethods)
		f->real->pMethods->xClose(f->real);
	f->base.pMethods = NULL; /* SQLite closes nothing that has no methods */
	if (rc != SQLITE_OK)
		return rc;
	/* A real file without the shared-memory and fetch methods: used as it is. */
	return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
}

/* Everything but xOpen is the real VFS's; filled in at registration. */
static sqlite3_vfs walbuf_vfs;

const char *sqlite_walbuf_vfs(void)
{
	static int done;
	if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		return walbuf_vfs.zName;
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&once);
	if (!done) {
		real_vfs = sqlite3_vfs_find(NULL);
		if (real_vfs) {
			walbuf_vfs = *real_vfs;
			walbuf_vfs.zName = "iotp-walbuf";
			walbuf_vfs.pNext = NULL;
			walbuf_vfs.szOsFile =
			    (int)sizeof(struct walbuf_file) + real_vfs->szOsFile;
			walbuf_vfs.xOpen = wb_open;
			if (sqlite3_vfs_register(&walbuf_vfs, 0) != SQLITE_OK)
				walbuf_vfs.zName = NULL;
		}
		__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&once);
	return walbuf_vfs.zName;
}
