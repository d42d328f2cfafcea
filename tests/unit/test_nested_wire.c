/* test_nested_wire.c: the kvm-nested runner's messages: whole, torn, garbled; results that round-trip and results that lie. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "prog/prog.h"
#include "spec/spec.h"
#include "target/nested_wire.h"
#include "util/hash.h"

static struct hcf_abi *abi;
static struct hcf_prog prog;

static int setup(void **state)
{
	(void)state;
	const char *src = getenv("HCF_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/specs/kvm.yaml", src ? src : ".");
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(path, &abi, &d) != 0)
		return -1;
	static const char text[] = "buf clock struct=kvm_clock_pairing\n"
				   "call KVM_HC_CLOCK_PAIRING paddr=&clock clock_type=0\n"
				   "call nr=0x2000 rbx=1\n";
	return hcf_prog_parse(&prog, abi, "t", text, sizeof(text) - 1, &d);
}

static int teardown(void **state)
{
	(void)state;
	hcf_prog_free(&prog);
	hcf_spec_free(abi);
	return 0;
}

/* A result with every kind of field set. */
static void fill(struct hcf_prog_result *r)
{
	hcf_result_init(r, prog.ncalls);
	for (size_t i = 0; i < prog.ncalls; i++) {
		struct hcf_call_result *cr = &r->calls[i];
		hcf_call_result_init(cr, prog.calls[i].gpr);
		cr->outcome = HCF_CO_RETURNED;
		for (unsigned g = 0; g < HCF_NGPR; g++)
			cr->after[g] = 0x1111111111111111ull * (g + 1) + i;
		cr->rflags_after = 0x202;
	}
	r->calls[1].outcome = HCF_CO_EXCEPTION;
	r->calls[1].vector = 6;
	r->calls[1].detail = "a detail from a literal";
	struct hcf_call_vec *v = hcf_result_vec_slot(r, 0);
	memset(v, 0xab, sizeof(*v));
	r->calls[0].vec = v;
	r->calls[0].has_vec = true;
	r->ndone = 2;
	r->liveness = HCF_LIVE_OK;
	snprintf(r->detail, sizeof(r->detail), "program detail");
	r->calls[0].detail = r->detail;
	uint8_t *b = hcf_result_buf_storage(r, 0, prog.bufs[0].size, 0x600040);
	memset(b, 0x5a, prog.bufs[0].size + 2 * HCF_BUF_GUARD);
	r->bufs[0].valid = true;
	r->nbufs = 1;
	struct hcf_page_change *pc = hcf_result_page_slot(r);
	pc->gpa = 0x3000;
	pc->nchanged = 1;
	pc->changed[0] = 1;
	pc->now[0] = 0x42;
	r->pages_checked = true;
	r->seconds = 0.25;
}

static void test_result_round_trip(void **state)
{
	(void)state;
	struct hcf_prog_result a, b;
	fill(&a);
	struct hcf_wbuf w = { 0 };
	hcf_nested_put_result(&w, &a);
	hcf_result_init(&b, 0);
	struct hcf_rbuf r;
	hcf_rbuf_init(&r, w.p, w.len);
	assert_int_equal(hcf_nested_get_result(&r, &prog, &b), 0);
	hcf_rbuf_end(&r);
	assert_false(r.bad);
	assert_int_equal(b.ncalls, 2);
	assert_int_equal(b.ndone, 2);
	assert_int_equal(b.calls[1].outcome, HCF_CO_EXCEPTION);
	assert_int_equal(b.calls[1].vector, 6);
	assert_string_equal(b.calls[1].detail, "a detail from a literal");
	assert_ptr_equal(b.calls[0].detail, b.detail);
	assert_string_equal(b.detail, "program detail");
	assert_memory_equal(b.calls[0].after, a.calls[0].after, sizeof(a.calls[0].after));
	assert_memory_equal(b.calls[1].before, a.calls[1].before, sizeof(a.calls[1].before));
	assert_true(b.calls[0].has_vec);
	assert_memory_equal(b.calls[0].vec, a.calls[0].vec, sizeof(*a.calls[0].vec));
	assert_false(b.calls[1].has_vec);
	assert_true(b.bufs[0].valid);
	assert_memory_equal(b.bufs[0].bytes, a.bufs[0].bytes, prog.bufs[0].size + 2 * HCF_BUF_GUARD);
	assert_int_equal(b.npages, 1);
	assert_int_equal(b.pages[0].gpa, 0x3000);
	assert_true(hcf_page_byte_changed(&b.pages[0], 0));
	assert_true(b.pages_checked);
	assert_true(b.seconds == 0.25);
	hcf_wbuf_free(&w);
	hcf_result_free(&a);
	hcf_result_free(&b);
}

/* Every truncation and every single-byte corruption decodes or is refused:
 * never a crash, never a result shaped unlike the program. */
static void test_result_hostile(void **state)
{
	(void)state;
	struct hcf_prog_result a, b;
	fill(&a);
	struct hcf_wbuf w = { 0 };
	hcf_nested_put_result(&w, &a);
	hcf_result_init(&b, 0);
	for (size_t n = 0; n < w.len; n++) {
		struct hcf_rbuf r;
		hcf_rbuf_init(&r, w.p, n);
		assert_int_equal(hcf_nested_get_result(&r, &prog, &b), -1);
		assert_non_null(strstr(r.why, "ends early"));
	}
	uint8_t *copy = malloc(w.len);
	uint64_t seed = 1;
	for (size_t k = 0; k < 20000; k++) {
		memcpy(copy, w.p, w.len);
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t at = (size_t)(seed >> 33) % w.len;
		copy[at] = (uint8_t)(seed >> 8);
		struct hcf_rbuf r;
		hcf_rbuf_init(&r, copy, w.len);
		if (hcf_nested_get_result(&r, &prog, &b) == 0) {
			assert_int_equal(b.ncalls, prog.ncalls);
			assert_true(b.ndone <= b.ncalls);
			assert_true(b.npages <= HCF_MAX_PAGE_CHANGES);
			for (size_t i = 0; i < b.ncalls; i++)
				assert_true(b.calls[i].outcome < HCF_CO_COUNT);
		}
	}
	/* the count of calls is the program's, or nothing */
	memcpy(copy, w.p, w.len);
	copy[0] = 3;
	struct hcf_rbuf r;
	hcf_rbuf_init(&r, copy, w.len);
	assert_int_equal(hcf_nested_get_result(&r, &prog, &b), -1);
	assert_non_null(strstr(r.why, "do not fit the program"));
	free(copy);
	hcf_wbuf_free(&w);
	hcf_result_free(&a);
	hcf_result_free(&b);
}

/* Messages through a pipe: whole, byte by byte, garbled, foreign. */
static void test_messages(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(hcf_nmsg_send(p[1], HCF_NM_RUN, 7, "abc", 3), 0);
	assert_int_equal(hcf_nmsg_send(p[1], HCF_NM_DONE, 8, NULL, 0), 0);
	uint8_t raw[256];
	ssize_t n = read(p[0], raw, sizeof(raw));
	assert_true(n == (ssize_t)(2 * sizeof(struct hcf_nmsg_head) + 3));
	close(p[0]);
	close(p[1]);

	struct hcf_nmsg_reader rd = { 0 };
	struct hcf_nmsg_head h;
	const uint8_t *payload;
	char why[200];
	/* byte by byte: not yet, until the first is whole; the second after it */
	size_t whole = 0;
	for (ssize_t i = 0; i < n; i++) {
		*hcf_nmsg_room(&rd, 1) = raw[i];
		rd.len++;
		enum hcf_nmsg_status st = hcf_nmsg_take(&rd, &h, &payload, why, sizeof(why));
		if (st == HCF_NMSG_OK && whole++ == 0) {
			assert_int_equal(i + 1, sizeof(struct hcf_nmsg_head) + 3);
			assert_int_equal(h.type, HCF_NM_RUN);
			assert_int_equal(h.seq, 7);
			assert_memory_equal(payload, "abc", 3);
			hcf_nmsg_drop(&rd, &h);
		} else if (st == HCF_NMSG_OK) {
			assert_int_equal(i + 1, n);
			assert_int_equal(h.type, HCF_NM_DONE);
			assert_int_equal(h.seq, 8);
			hcf_nmsg_drop(&rd, &h);
		} else {
			assert_int_equal(st, HCF_NMSG_NEED);
		}
	}
	assert_int_equal(whole, 2);
	assert_int_equal(rd.len, 0);

	/* any flipped byte of the first message is garbage */
	size_t first = sizeof(struct hcf_nmsg_head) + 3;
	for (size_t i = 0; i < first; i++) {
		rd.len = 0;
		memcpy(hcf_nmsg_room(&rd, first), raw, first);
		rd.buf[i] ^= 0x10;
		rd.len = first;
		assert_int_equal(hcf_nmsg_take(&rd, &h, &payload, why, sizeof(why)), HCF_NMSG_GARBAGE);
	}
	/* a length past the limit is refused before anything waits for it */
	struct hcf_nmsg_head big = { .magic = HCF_NMSG_MAGIC, .version = HCF_NMSG_VERSION,
				     .type = HCF_NM_RESULT, .len = HCF_NMSG_MAX + 1 };
	big.head_check = (uint32_t)hcf_fnv64(HCF_FNV64_SEED, &big, 16);
	rd.len = 0;
	memcpy(hcf_nmsg_room(&rd, sizeof(big)), &big, sizeof(big));
	rd.len = sizeof(big);
	assert_int_equal(hcf_nmsg_take(&rd, &h, &payload, why, sizeof(why)), HCF_NMSG_GARBAGE);
	assert_non_null(strstr(why, "garbage on the channel"));
	hcf_nmsg_reader_free(&rd);
}

static void test_strings_and_info(void **state)
{
	(void)state;
	struct hcf_target_info a = { .vec_ok = true, .rflags_captured = 0x8d5, .rebuilds = 3 };
	snprintf(a.target, sizeof(a.target), "kvm");
	snprintf(a.notes, sizeof(a.notes), "notes\x01with a control byte");
	struct hcf_wbuf w = { 0 };
	hcf_nested_put_info(&w, &a);
	struct hcf_target_info b;
	struct hcf_rbuf r;
	hcf_rbuf_init(&r, w.p, w.len);
	hcf_nested_get_info(&r, &b);
	hcf_rbuf_end(&r);
	assert_false(r.bad);
	assert_string_equal(b.target, "kvm");
	assert_string_equal(b.notes, "notes?with a control byte");
	assert_true(b.vec_ok);
	assert_int_equal(b.rebuilds, 3);
	/* a string longer than its field is cut, not overrun */
	hcf_wbuf_free(&w);
	hcf_wbuf_str(&w, "a-target-name-far-longer-than-sixteen");
	hcf_rbuf_init(&r, w.p, w.len);
	char small[16];
	hcf_rbuf_str(&r, small, sizeof(small));
	assert_int_equal(strlen(small), 15);
	/* trailing bytes are an error */
	hcf_wbuf_u8(&w, 0);
	hcf_rbuf_init(&r, w.p, w.len);
	hcf_rbuf_str(&r, small, sizeof(small));
	hcf_rbuf_end(&r);
	assert_true(r.bad);
	hcf_wbuf_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_round_trip),
		cmocka_unit_test(test_result_hostile),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_strings_and_info),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
