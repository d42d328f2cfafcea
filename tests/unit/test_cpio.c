/* test_cpio.c: the newc writer, read back field by field as the kernel reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "util/cpio.h"

/* One entry of a newc archive at *off: name, mode, data; advances *off. */
static void read_entry(const char *buf, size_t len, size_t *off, char *name, uint32_t *mode,
		       const char **data, uint32_t *size)
{
	assert_true(*off + 110 <= len);
	assert_memory_equal(buf + *off, "070701", 6);
	char field[9] = { 0 };
	uint32_t f[13];
	for (int i = 0; i < 13; i++) {
		memcpy(field, buf + *off + 6 + 8 * i, 8);
		f[i] = (uint32_t)strtoul(field, NULL, 16);
	}
	*mode = f[1];
	*size = f[6];
	uint32_t namesize = f[11];
	assert_int_equal(f[12], 0);  /* no checksum in newc */
	memcpy(name, buf + *off + 110, namesize);
	assert_int_equal(name[namesize - 1], '\0');
	*off += 110 + namesize;
	*off += (4 - *off % 4) % 4;
	*data = buf + *off;
	*off += *size;
	*off += (4 - *off % 4) % 4;
	assert_true(*off <= len);
}

static void test_archive(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct hcf_cpio c;
	hcf_cpio_begin(&c, f);
	hcf_cpio_dir(&c, "dev", 0755);
	hcf_cpio_file(&c, "init", 0755, "\x7f" "ELF", 4);
	hcf_cpio_file(&c, "lib/kvm.ko", 0644, "abcde", 5);  /* 5 bytes: padded to 8 */
	assert_int_equal(hcf_cpio_end(&c), 0);
	fclose(f);
	assert_int_equal(len % 4, 0);

	size_t off = 0;
	char name[64];
	uint32_t mode, size;
	const char *data;
	read_entry(buf, len, &off, name, &mode, &data, &size);
	assert_string_equal(name, "dev");
	assert_true(S_ISDIR(mode));
	assert_int_equal(mode & 07777, 0755);
	read_entry(buf, len, &off, name, &mode, &data, &size);
	assert_string_equal(name, "init");
	assert_true(S_ISREG(mode));
	assert_int_equal(size, 4);
	assert_memory_equal(data, "\x7f" "ELF", 4);
	read_entry(buf, len, &off, name, &mode, &data, &size);
	assert_string_equal(name, "lib/kvm.ko");
	assert_int_equal(mode & 07777, 0644);
	assert_int_equal(size, 5);
	assert_memory_equal(data, "abcde", 5);
	read_entry(buf, len, &off, name, &mode, &data, &size);
	assert_string_equal(name, "TRAILER!!!");
	assert_int_equal(off, len);
	free(buf);
}

/* A write that fails is reported, not lost. */
static void test_write_error(void **state)
{
	(void)state;
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	struct hcf_cpio c;
	hcf_cpio_begin(&c, f);
	hcf_cpio_file(&c, "init", 0755, "x", 1);
	assert_int_equal(hcf_cpio_end(&c), -1);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_archive),
		cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
