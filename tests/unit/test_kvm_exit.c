/* test_kvm_exit.c: the exit classifier and the guest-memory accessor, with fabricated state (no /dev/kvm). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hcf_proto.h"
#include "vmm/gmem.h"
#include "vmm/kvm_exit.h"

/* A kvm_run with room for I/O data after it, as the kernel maps it. */
#define RUN_SIZE 4096
static union {
	struct kvm_run run;
	uint8_t bytes[RUN_SIZE];
} page;

static struct hcf_vx_input input(int rc, int err)
{
	struct hcf_vx_input in = {
		.run = &page.run,
		.run_size = RUN_SIZE,
		.rc = rc,
		.err = err,
		.doorbell_port = HCF_PORT_DOORBELL,
		.debugcon_port = HCF_PORT_DEBUGCON,
	};
	return in;
}

static void io_exit(uint16_t port, uint8_t size, bool in, uint32_t count, uint64_t off, uint32_t v)
{
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_IO;
	page.run.io.port = port;
	page.run.io.size = size;
	page.run.io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	page.run.io.count = count;
	page.run.io.data_offset = off;
	if (off + size <= RUN_SIZE)
		memcpy(page.bytes + off, &v, size);
}

static void test_doorbell(void **state)
{
	(void)state;
	io_exit(HCF_PORT_DOORBELL, 4, false, 1, 1024, HCF_EV_DONE);
	struct hcf_vx_input in = input(0, 0);
	struct hcf_vx vx;
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_DOORBELL);
	assert_int_equal(vx.u.io.value, HCF_EV_DONE);
}

static void test_doorbell_wrong_width_is_device_io(void **state)
{
	(void)state;
	/* a 1-byte write to the doorbell port is not the agent's doorbell */
	io_exit(HCF_PORT_DOORBELL, 1, false, 1, 1024, 0x44);
	struct hcf_vx_input in = input(0, 0);
	struct hcf_vx vx;
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_PIO);
}

static void test_debugcon_and_pio(void **state)
{
	(void)state;
	struct hcf_vx vx;
	io_exit(HCF_PORT_DEBUGCON, 1, false, 1, 1024, 'A');
	struct hcf_vx_input in = input(0, 0);
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_DEBUGCON);
	assert_int_equal(vx.u.io.value, 'A');

	io_exit(0x500, 4, true, 1, 2048, 0);
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_PIO);
	assert_true(vx.u.io.in);
	assert_int_equal(vx.u.io.port, 0x500);
	assert_int_equal(vx.u.io.data_offset, 2048);
}

static void test_io_data_out_of_mapping(void **state)
{
	(void)state;
	struct hcf_vx vx;
	struct hcf_vx_input in = input(0, 0);
	/* data beyond the kvm_run mapping: never read, classified unexpected */
	io_exit(0x500, 4, false, 1, RUN_SIZE - 2, 0);
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_UNEXPECTED);
	io_exit(0x500, 4, false, 0xffffffffu, 64, 0);
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_UNEXPECTED);
	io_exit(0x500, 3, false, 1, 64, 0);
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_UNEXPECTED);
}

static void test_fatal_exits(void **state)
{
	(void)state;
	struct hcf_vx vx;
	struct hcf_vx_input in = input(0, 0);
	static const struct {
		uint32_t reason;
		enum hcf_vx_kind kind;
	} table[] = {
		{ KVM_EXIT_SHUTDOWN, HCF_VX_SHUTDOWN },
		{ KVM_EXIT_INTERNAL_ERROR, HCF_VX_INTERNAL_ERROR },
		{ KVM_EXIT_FAIL_ENTRY, HCF_VX_ENTRY_FAILED },
		{ KVM_EXIT_HLT, HCF_VX_HLT },
		{ KVM_EXIT_SYSTEM_EVENT, HCF_VX_SYSTEM_EVENT },
		{ KVM_EXIT_HYPERCALL, HCF_VX_HYPERCALL },
		{ KVM_EXIT_DEBUG, HCF_VX_UNEXPECTED },
		{ 9999, HCF_VX_UNEXPECTED },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		memset(&page, 0, sizeof(page));
		page.run.exit_reason = table[i].reason;
		hcf_kvm_classify(&in, &vx);
		assert_int_equal(vx.kind, table[i].kind);
		assert_true(vx.detail[0] != '\0');
	}
}

static void test_internal_error_detail(void **state)
{
	(void)state;
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
	page.run.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	page.run.internal.ndata = 200; /* more than the array holds: clamped */
	struct hcf_vx_input in = input(0, 0);
	struct hcf_vx vx;
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_INTERNAL_ERROR);
	assert_int_equal(vx.u.internal.ndata, 4);
	assert_non_null(strstr(vx.detail, "emulation failure"));
}

static void test_eintr_decided_by_deadline(void **state)
{
	(void)state;
	struct hcf_vx vx;
	struct hcf_vx_input in = input(-1, EINTR);
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_RESUME); /* a late watchdog signal */
	in.watchdog_expired = true;
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_HANG);
	in.user_interrupt = true;
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_INTERRUPTED);
	in = input(-1, EFAULT);
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_HOST_ERROR);
	assert_int_equal(vx.host_errno, EFAULT);
}

static void test_kvm_exit_intr(void **state)
{
	(void)state;
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_INTR;
	struct hcf_vx_input in = input(0, 0);
	struct hcf_vx vx;
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_RESUME);
	in.watchdog_expired = true;
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_HANG);
}

static void test_mmio(void **state)
{
	(void)state;
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_MMIO;
	page.run.mmio.phys_addr = 0xfe000008;
	page.run.mmio.len = 4;
	page.run.mmio.is_write = 1;
	uint32_t v = 0xdeadbeef;
	memcpy(page.run.mmio.data, &v, 4);
	struct hcf_vx_input in = input(0, 0);
	struct hcf_vx vx;
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.kind, HCF_VX_MMIO);
	assert_int_equal(vx.u.mmio.gpa, 0xfe000008);
	assert_int_equal(vx.u.mmio.value, 0xdeadbeef);
	page.run.mmio.len = 200; /* clamped to the data array */
	hcf_kvm_classify(&in, &vx);
	assert_int_equal(vx.u.mmio.len, 8);
}

static void test_gmem_accessor(void **state)
{
	(void)state;
	uint8_t ram[8192];
	struct hcf_gmem m = { ram, sizeof(ram) };
	assert_ptr_equal(hcf_gmem_at(&m, hcf_gpa(0), 8192), ram);
	assert_ptr_equal(hcf_gmem_at(&m, hcf_gpa(8191), 1), ram + 8191);
	assert_null(hcf_gmem_at(&m, hcf_gpa(8191), 2));
	assert_null(hcf_gmem_at(&m, hcf_gpa(8192), 0));
	assert_null(hcf_gmem_at(&m, hcf_gpa(1), UINT64_MAX));        /* overflow */
	assert_null(hcf_gmem_at(&m, hcf_gpa(UINT64_MAX), 2));        /* overflow */
	assert_null(hcf_gmem_at(&m, hcf_gpa(UINT64_MAX - 10), 100)); /* wraps */
	uint64_t x = 0x1122334455667788ull, y = 0;
	assert_int_equal(hcf_gmem_write(&m, hcf_gpa(100), &x, 8), 0);
	assert_int_equal(hcf_gmem_read(&m, hcf_gpa(100), &y, 8), 0);
	assert_int_equal(x, y);
	assert_int_equal(hcf_gmem_read(&m, hcf_gpa(8190), &y, 8), -1);
	hcf_gpa_t g;
	assert_int_equal(hcf_gva_to_gpa(&m, hcf_gva(4096), &g), 0);
	assert_int_equal(g.v, 4096);
	assert_int_equal(hcf_gva_to_gpa(&m, hcf_gva(0xffff800000000000ull), &g), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doorbell),
		cmocka_unit_test(test_doorbell_wrong_width_is_device_io),
		cmocka_unit_test(test_debugcon_and_pio),
		cmocka_unit_test(test_io_data_out_of_mapping),
		cmocka_unit_test(test_fatal_exits),
		cmocka_unit_test(test_internal_error_detail),
		cmocka_unit_test(test_eintr_decided_by_deadline),
		cmocka_unit_test(test_kvm_exit_intr),
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_gmem_accessor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
