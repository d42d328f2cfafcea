/* fileio.c: capped whole-file reads, atomic writes, mkdir -p. */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"

char *hcf_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = hcf_xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			cap = cap * 2 > max ? max : cap * 2;
			buf = hcf_xrealloc(buf, cap + 1);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				int e = errno ? errno : EIO;
				free(buf);
				fclose(f);
				errno = e;
				return NULL;
			}
			break;
		}
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int hcf_atomic_open(struct hcf_atomic_file *af, const char *path)
{
	memset(af, 0, sizeof(*af));
	af->path = hcf_xstrdup(path);
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
	af->tmp = hcf_xasprintf("%.*s.%s.tmp.%ld", (int)dirlen, path, slash ? slash + 1 : path,
				(long)getpid());
	int fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	af->f = fdopen(fd, "wb");
	if (!af->f) {
		int e = errno;
		close(fd);
		unlink(af->tmp);
		errno = e;
		goto fail;
	}
	return 0;
fail:
	free(af->path);
	free(af->tmp);
	af->path = af->tmp = NULL;
	return -1;
}

int hcf_atomic_commit(struct hcf_atomic_file *af)
{
	int err = 0;
	if (fflush(af->f) != 0 || ferror(af->f))
		err = errno ? errno : EIO;
	if (!err && fsync(fileno(af->f)) != 0)
		err = errno;
	if (fclose(af->f) != 0 && !err)
		err = errno;
	af->f = NULL;
	if (!err && rename(af->tmp, af->path) != 0)
		err = errno;
	if (err)
		unlink(af->tmp);
	free(af->path);
	free(af->tmp);
	af->path = af->tmp = NULL;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

void hcf_atomic_abort(struct hcf_atomic_file *af)
{
	if (af->f)
		fclose(af->f);
	if (af->tmp)
		unlink(af->tmp);
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof(*af));
}

int hcf_write_file_atomic(const char *path, const void *data, size_t len)
{
	struct hcf_atomic_file af;
	if (hcf_atomic_open(&af, path) != 0)
		return -1;
	if (len && fwrite(data, 1, len, af.f) != len) {
		int e = errno ? errno : EIO;
		hcf_atomic_abort(&af);
		errno = e;
		return -1;
	}
	return hcf_atomic_commit(&af);
}

int hcf_mkdir_p(const char *path, unsigned mode)
{
	char *p = hcf_xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	if (rc == 0) {
		struct stat st;
		if (stat(p, &st) != 0)
			rc = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			rc = -1;
		}
	}
	int e = errno;
	free(p);
	errno = e;
	return rc;
}

size_t hcf_path_base(const char *path, size_t *len)
{
	size_t end = strlen(path);
	while (end > 1 && path[end - 1] == '/')
		end--;
	size_t start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	*len = end - start;
	return start;
}
