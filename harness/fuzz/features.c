/* features.c: behaviour features of executed programs, and the kcov reader. */
#include "fuzz/features.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hcf_proto.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

/* The return register's value, bucketed: same bucket, same behaviour. */
static uint64_t ret_bucket(const struct hcf_prog *p, const struct hcf_pcall *c,
			   const struct hcf_call_result *cr)
{
	const struct hcf_abi *abi = p->abi;
	int op = hcf_pcall_op(p, c);
	unsigned reg = op >= 0 && (size_t)op < abi->nops ? abi->ops[op].ret_reg : abi->ret_reg;
	if (reg >= HCF_NGPR)
		return 0;
	int64_t v = (int64_t)cr->after[reg];
	if (v == 0)
		return 1;
	if (v < 0 && v >= -4095)
		return 0x1000 + (uint64_t)-v;          /* the exact errno */
	if (v > 0 && v < 256)
		return 0x2000 + (uint64_t)v;           /* small values exactly */
	if (cr->after[reg] == cr->before[reg])
		return 2;                               /* left alone */
	return 0x3000 + (uint64_t)(64 - __builtin_clzll(cr->after[reg])); /* magnitude */
}

/* Undeclared numbers: the class of the number, not the number itself. */
static uint64_t call_key(const struct hcf_prog *p, const struct hcf_pcall *c)
{
	int op = hcf_pcall_op(p, c);
	if (op >= 0)
		return (uint64_t)op;
	uint64_t nr = hcf_pcall_nr(p, c);
	return 0x10000 + (nr ? (uint64_t)(64 - __builtin_clzll(nr)) : 0);
}

size_t hcf_features_of(const struct hcf_prog *p, const struct hcf_prog_result *r,
		       const struct hcf_call_verdict *cvs, uint32_t *slots, size_t max)
{
	size_t n = 0;
	uint64_t prev = 0;
	for (size_t i = 0; i < p->ncalls && i < r->ncalls && n < max; i++) {
		const struct hcf_call_result *cr = &r->calls[i];
		const struct hcf_pcall *c = &p->calls[i];
		uint64_t h = mix(0x68636678ull, call_key(p, c));
		h = mix(h, cr->outcome);
		if (cr->outcome == HCF_CO_EXCEPTION)
			h = mix(h, 0x100 + cr->vector);
		else if (cr->outcome == HCF_CO_RETURNED)
			h = mix(h, ret_bucket(p, c, cr));
		else
			h = mix(h, cr->lost_why);
		uint32_t changed = 0;
		if (cr->outcome == HCF_CO_RETURNED || cr->outcome == HCF_CO_EXCEPTION)
			for (unsigned g = 0; g < HCF_NGPR; g++)
				changed |= (uint32_t)(cr->before[g] != cr->after[g]) << g;
		h = mix(h, changed);
		slots[n++] = (uint32_t)(h % HCF_FEATURE_SLOTS);
		if (n < max && i > 0)
			slots[n++] = (uint32_t)(mix(prev, h) % HCF_FEATURE_SLOTS);
		prev = h;
		if (cvs && cvs[i].nissues && n < max) {
			const struct hcf_issue *is = &cvs[i].issues[0];
			uint64_t k = mix(h, is->v);
			for (const char *s = is->oracle ? is->oracle : ""; *s; s++)
				k = mix(k, (uint8_t)*s);
			slots[n++] = (uint32_t)(k % HCF_FEATURE_SLOTS);
		}
	}
	/* a program is often run many times over: report each slot once */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = 0; j < m && !dup; j++)
			dup = slots[j] == slots[i];
		if (!dup)
			slots[m++] = slots[i];
	}
	return m;
}

size_t hcf_feature_set_add(struct hcf_feature_set *s, const uint32_t *slots, size_t n)
{
	size_t fresh = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t f = slots[i] % HCF_FEATURE_SLOTS;
		uint64_t bit = 1ull << (f % 64);
		if (!(s->bits[f / 64] & bit)) {
			s->bits[f / 64] |= bit;
			fresh++;
		}
	}
	s->count += fresh;
	return fresh;
}

void hcf_feature_set_or(struct hcf_feature_set *dst, const struct hcf_feature_set *src)
{
	size_t c = 0;
	for (size_t i = 0; i < HCF_FEATURE_SLOTS / 64; i++) {
		dst->bits[i] |= src->bits[i];
		c += (size_t)__builtin_popcountll(dst->bits[i]);
	}
	dst->count = c;
}

/* ---- kcov ----------------------------------------------------------------
 * The interface of Documentation/dev-tools/kcov.rst: KCOV_INIT_TRACE with the
 * buffer size in words, mmap the buffer, KCOV_ENABLE(KCOV_TRACE_PC) for this
 * thread; word 0 counts the PCs that follow. */
#define KCOV_INIT_TRACE _IOR('c', 1, unsigned long)
#define KCOV_ENABLE _IO('c', 100)
#define KCOV_DISABLE _IO('c', 101)
#define KCOV_TRACE_PC 0
#define KCOV_WORDS (64u << 10)

void hcf_kcov_open(struct hcf_kcov *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = -1;
	k->fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	if (k->fd < 0) {
		snprintf(k->why, sizeof(k->why),
			 "kcov off: /sys/kernel/debug/kcov: %s (the host kernel has no KCOV, or "
			 "debugfs is not mounted)", strerror(errno));
		return;
	}
	if (ioctl(k->fd, KCOV_INIT_TRACE, (unsigned long)KCOV_WORDS) != 0) {
		snprintf(k->why, sizeof(k->why), "kcov off: KCOV_INIT_TRACE: %s", strerror(errno));
		goto fail;
	}
	k->area = mmap(NULL, KCOV_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED,
		       k->fd, 0);
	if (k->area == MAP_FAILED) {
		k->area = NULL;
		snprintf(k->why, sizeof(k->why), "kcov off: mmap: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(k->fd, KCOV_ENABLE, KCOV_TRACE_PC) != 0) {
		snprintf(k->why, sizeof(k->why), "kcov off: KCOV_ENABLE: %s", strerror(errno));
		goto fail;
	}
	k->words = KCOV_WORDS;
	k->on = true;
	snprintf(k->why, sizeof(k->why), "kcov on: kernel PCs of each execution are features");
	return;
fail:
	hcf_kcov_close(k);
}

void hcf_kcov_reset(struct hcf_kcov *k)
{
	if (k->on)
		__atomic_store_n(&k->area[0], 0, __ATOMIC_RELAXED);
}

size_t hcf_kcov_collect(struct hcf_kcov *k, uint32_t *slots, size_t max)
{
	if (!k->on)
		return 0;
	uint64_t n = __atomic_load_n(&k->area[0], __ATOMIC_RELAXED);
	if (n > k->words - 1)
		n = k->words - 1;
	size_t m = 0;
	for (uint64_t i = 0; i < n && m < max; i++)
		slots[m++] = (uint32_t)(mix(0x6b636f76ull, k->area[i + 1]) % HCF_FEATURE_SLOTS);
	return m;
}

void hcf_kcov_close(struct hcf_kcov *k)
{
	if (k->on)
		ioctl(k->fd, KCOV_DISABLE, 0);
	if (k->area)
		munmap(k->area, KCOV_WORDS * sizeof(uint64_t));
	if (k->fd >= 0)
		close(k->fd);
	bool keep_why = !k->on;
	char why[sizeof(k->why)];
	memcpy(why, k->why, sizeof(why));
	memset(k, 0, sizeof(*k));
	k->fd = -1;
	if (keep_why)
		memcpy(k->why, why, sizeof(why));
}
