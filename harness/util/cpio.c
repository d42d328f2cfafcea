/* cpio.c: the newc initramfs writer (cpio.h). */
#include "util/cpio.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static void put(struct hcf_cpio *c, const void *p, size_t n)
{
	if (!c->err && n && fwrite(p, 1, n, c->f) != n)
		c->err = errno ? errno : EIO;
}

static void pad4(struct hcf_cpio *c, size_t written)
{
	static const char zero[4];
	put(c, zero, (4 - written % 4) % 4);
}

static void entry(struct hcf_cpio *c, const char *name, uint32_t mode, const void *data, size_t len)
{
	char hdr[111];
	size_t namesize = strlen(name) + 1;
	/* magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
	 * devminor, rdevmajor, rdevminor, namesize, check */
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->ino++, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, (uint32_t)len, 0u, 0u, 0u, 0u,
		 (uint32_t)namesize, 0u);
	put(c, hdr, 110);
	put(c, name, namesize);
	pad4(c, 110 + namesize);
	put(c, data, len);
	pad4(c, len);
}

void hcf_cpio_begin(struct hcf_cpio *c, FILE *f)
{
	c->f = f;
	c->ino = 1;
	c->err = 0;
}

void hcf_cpio_dir(struct hcf_cpio *c, const char *name, uint32_t mode)
{
	entry(c, name, S_IFDIR | (mode & 07777), NULL, 0);
}

void hcf_cpio_file(struct hcf_cpio *c, const char *name, uint32_t mode, const void *data, size_t len)
{
	entry(c, name, S_IFREG | (mode & 07777), data, len);
}

int hcf_cpio_end(struct hcf_cpio *c)
{
	entry(c, "TRAILER!!!", 0, NULL, 0);
	if (!c->err && fflush(c->f) != 0)
		c->err = errno ? errno : EIO;
	if (c->err) {
		errno = c->err;
		return -1;
	}
	return 0;
}
