/*
 * fileio.h: whole-file reads with a size cap, and atomic writes.
 *
 * Atomic write: the data goes to a temporary name in the same directory, is
 * fsync'ed and renamed over the final name, so a reader (or a resumed
 * campaign after kill -9) sees either the old file or the complete new one.
 */
#ifndef HCF_FILEIO_H
#define HCF_FILEIO_H

#include <stddef.h>
#include <stdio.h>

/* Read a whole file (at most max bytes). Returns a NUL-terminated buffer the
 * caller frees, with its length in *len, or NULL with errno set (EFBIG when
 * larger than max). */
char *hcf_read_file(const char *path, size_t max, size_t *len);

/* Write len bytes to path atomically. Returns 0 or -1 with errno set. */
int hcf_write_file_atomic(const char *path, const void *data, size_t len);

/* An open temporary file that becomes path on commit. */
struct hcf_atomic_file {
	FILE *f;
	char *path;
	char *tmp;
};

int hcf_atomic_open(struct hcf_atomic_file *af, const char *path);
/* Flush, fsync, close and rename into place. Returns 0 or -1 (errno); the
 * temporary file is removed on failure. */
int hcf_atomic_commit(struct hcf_atomic_file *af);
/* Close and remove the temporary file. */
void hcf_atomic_abort(struct hcf_atomic_file *af);

/* mkdir -p. Returns 0 or -1 with errno set. */
int hcf_mkdir_p(const char *path, unsigned mode);

/* The last component of path, trailing slashes ignored: where it starts,
 * and its length in *len ("specs/xen/" -> "xen"). */
size_t hcf_path_base(const char *path, size_t *len);

#endif /* HCF_FILEIO_H */
