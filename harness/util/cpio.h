/*
 * cpio.h: an initramfs writer (the "newc" cpio format the Linux kernel
 * unpacks into its root file system at boot).
 *
 * For guests hcfuzz boots with a kernel of its own (the kvm-nested target's
 * Linux, a Xen dom0): directories and files, then the trailer. Every entry
 * is a 110-byte ASCII header, the name with its NUL, padding to 4 bytes, the
 * data, padding to 4 bytes (Linux's Documentation/driver-api/early-userspace
 * /buffer-format.rst).
 */
#ifndef HCF_CPIO_H
#define HCF_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct hcf_cpio {
	FILE *f;
	uint32_t ino;   /* the next inode number */
	int err;        /* the first write error (errno), 0 while none */
};

/* Start an archive on f (the caller opens and closes f). */
void hcf_cpio_begin(struct hcf_cpio *c, FILE *f);
/* A directory, "dev"; a file, "init" with mode 0755, its len bytes. Names
 * are relative, without a leading slash, as the kernel expects. */
void hcf_cpio_dir(struct hcf_cpio *c, const char *name, uint32_t mode);
void hcf_cpio_file(struct hcf_cpio *c, const char *name, uint32_t mode, const void *data, size_t len);
/* The trailer. 0, or -1 with errno when any write failed. */
int hcf_cpio_end(struct hcf_cpio *c);

#endif /* HCF_CPIO_H */
