/* kvm_vcpu_state.c: a vCPU's whole state, saved and put back (kvm_vcpu_state.h). */
#include "vmm/kvm_vcpu_state.h"

#include <errno.h>
#include <stddef.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/xalloc.h"

/* Older kernel headers lack it (Linux 5.17 added XSAVE beyond 4 KiB). */
#ifndef KVM_CAP_XSAVE2
#define KVM_CAP_XSAVE2 208
#endif
#ifndef KVM_GET_XSAVE2
#define KVM_GET_XSAVE2 _IOR(KVMIO, 0xcf, struct kvm_xsave)
#endif

enum part_kind { PART_FIXED, PART_XSAVE, PART_MSRS };

/*
 * The parts in the order they are put back, which is the order QEMU puts a
 * vCPU's state: the general registers, the FPU and the XCRs before the
 * special registers (their CR4 and EFER decide what is valid), the MSRs
 * after them, the pending events and the run state last.
 *
 * A part with a sync bit can ride on the next KVM_RUN instead (kvm_run's
 * synced registers, KVM_CAP_SYNC_REGS): KVM puts registers, special
 * registers and events back, in that order, before it enters the guest,
 * which spares an ioctl each (under PVM every vCPU ioctl loads and puts the
 * vCPU: 2.5 to 4 us). They then follow the parts set by ioctl; none of those
 * (XSAVE, XCRs, MSRs, run state, debug registers) is checked against CR4 or
 * EFER when the host sets it.
 */
static const struct part {
	const char *name;
	enum part_kind kind;
	unsigned long get, set;
	size_t size;      /* PART_FIXED */
	int cap;          /* KVM_CHECK_EXTENSION must say yes; 0: always there */
	bool required;    /* a vCPU without it cannot be restored at all */
	uint32_t sync;    /* its KVM_SYNC_X86_* bit, 0 when it has none */
	size_t sync_off;  /* where it goes in struct kvm_sync_regs */
} parts[] = {
	{ "registers", PART_FIXED, KVM_GET_REGS, KVM_SET_REGS, sizeof(struct kvm_regs), 0, true,
	  KVM_SYNC_X86_REGS, offsetof(struct kvm_sync_regs, regs) },
	{ "XSAVE", PART_XSAVE, KVM_GET_XSAVE, KVM_SET_XSAVE, 0, KVM_CAP_XSAVE, false, 0, 0 },
	{ "XCRs", PART_FIXED, KVM_GET_XCRS, KVM_SET_XCRS, sizeof(struct kvm_xcrs), KVM_CAP_XCRS, false, 0,
	  0 },
	{ "special-registers", PART_FIXED, KVM_GET_SREGS, KVM_SET_SREGS, sizeof(struct kvm_sregs), 0,
	  true, KVM_SYNC_X86_SREGS, offsetof(struct kvm_sync_regs, sregs) },
	{ "MSRs", PART_MSRS, KVM_GET_MSRS, KVM_SET_MSRS, 0, 0, false, 0, 0 },
	{ "run-state", PART_FIXED, KVM_GET_MP_STATE, KVM_SET_MP_STATE, sizeof(struct kvm_mp_state),
	  KVM_CAP_MP_STATE, false, 0, 0 },
	{ "local-APIC", PART_FIXED, KVM_GET_LAPIC, KVM_SET_LAPIC, sizeof(struct kvm_lapic_state),
	  KVM_CAP_IRQCHIP, false, 0, 0 },
	{ "events", PART_FIXED, KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
	  sizeof(struct kvm_vcpu_events), KVM_CAP_VCPU_EVENTS, false, KVM_SYNC_X86_EVENTS,
	  offsetof(struct kvm_sync_regs, events) },
	{ "debug-registers", PART_FIXED, KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS,
	  sizeof(struct kvm_debugregs), KVM_CAP_DEBUGREGS, false, 0, 0 },
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

struct hcf_kvm_vcpu_state {
	void *buf[NPARTS];
	unsigned long get[NPARTS];  /* the part's get ioctl on this host (XSAVE2 or not) */
	bool offered[NPARTS];       /* the host says it has the part */
	bool present[NPARTS];       /* saved: put back on restore */
	bool learned;               /* the first save sorted out what this host takes */
	uint32_t sync_offered;      /* the KVM_SYNC_X86_* parts KVM_RUN can put back */
	struct kvm_msrs *msrs;      /* the MSRs that are read and put back, with their values */
	struct kvm_msrs *kept;      /* read but not taken back: checked, with their saved values */
	struct kvm_msrs *kept_now;  /* the same, as read by the last check */
	uint32_t nlisted;           /* the candidates from KVM's list (the rest are probed) */
	unsigned msrs_unreadable;
};

/*
 * MSRs with guest state that a host may leave out of KVM_GET_MSR_INDEX_LIST
 * (PVM's KVM lists neither): speculation control, the TSC_AUX that rdtscp
 * returns. Probed: kept when the vCPU reads them.
 */
static const uint32_t unlisted_msrs[] = { 0x48, 0xc0000103 };
/* KVM's paravirtual MSRs and, after them, PVM's own (its VIF page
 * registration at 0x4b564d10), which a host may read but not set. */
#define HV_MSRS_FIRST 0x4b564d00u
#define HV_MSRS_COUNT 0x20u

static struct kvm_msrs *msrs_new(uint32_t n)
{
	struct kvm_msrs *m = hcf_xcalloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	m->nmsrs = n;
	return m;
}

/* Add index to m unless it is there (m has the room). */
static void msrs_add(struct kvm_msrs *m, uint32_t index)
{
	for (uint32_t k = 0; k < m->nmsrs; k++)
		if (m->entries[k].index == index)
			return;
	m->entries[m->nmsrs++].index = index;
}

/* The candidates: KVM's MSR index list, then the probed ones; NULL when
 * KVM gives no list. */
static struct kvm_msrs *msr_candidates(int kvm_fd, uint32_t *nlisted)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return NULL;
	struct kvm_msr_list *l = hcf_xcalloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	l->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		free(l);
		return NULL;
	}
	size_t nextra = sizeof(unlisted_msrs) / sizeof(unlisted_msrs[0]);
	struct kvm_msrs *m = msrs_new(l->nmsrs + (uint32_t)nextra + HV_MSRS_COUNT);
	m->nmsrs = 0;
	for (uint32_t k = 0; k < l->nmsrs; k++)
		msrs_add(m, l->indices[k]);
	*nlisted = m->nmsrs;
	for (size_t k = 0; k < nextra; k++)
		msrs_add(m, unlisted_msrs[k]);
	for (uint32_t k = 0; k < HV_MSRS_COUNT; k++)
		msrs_add(m, HV_MSRS_FIRST + k);
	free(l);
	return m;
}

struct hcf_kvm_vcpu_state *hcf_kvm_vcpu_state_new(int kvm_fd)
{
	struct hcf_kvm_vcpu_state *s = hcf_xcalloc(1, sizeof(*s));
	int sync = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	s->sync_offered = sync > 0 ? (uint32_t)sync : 0;
	for (size_t i = 0; i < NPARTS; i++) {
		const struct part *p = &parts[i];
		s->get[i] = p->get;
		s->offered[i] = !p->cap || ioctl(kvm_fd, KVM_CHECK_EXTENSION, p->cap) > 0;
		if (!s->offered[i])
			continue;
		size_t size = p->size;
		if (p->kind == PART_XSAVE) {
			/* a host whose XSAVE area outgrew struct kvm_xsave hands it
			 * out through KVM_GET_XSAVE2 only */
			int big = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
			size = sizeof(struct kvm_xsave);
			if (big > 0) {
				s->get[i] = KVM_GET_XSAVE2;
				if ((size_t)big > size)
					size = (size_t)big;
			}
		} else if (p->kind == PART_MSRS) {
			s->msrs = msr_candidates(kvm_fd, &s->nlisted);
			s->offered[i] = s->msrs != NULL;
			s->buf[i] = s->msrs;
			continue;
		}
		s->buf[i] = hcf_xcalloc(1, size);
	}
	return s;
}

void hcf_kvm_vcpu_state_free(struct hcf_kvm_vcpu_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < NPARTS; i++)
		free(s->buf[i]);
	free(s->kept);
	free(s->kept_now);
	free(s);
}

/* Take MSR k out of the list (into *to, when given). */
static void drop_msr(struct kvm_msrs *m, uint32_t k, struct kvm_msrs *to)
{
	if (to)
		to->entries[to->nmsrs++] = m->entries[k];
	memmove(&m->entries[k], &m->entries[k + 1], (m->nmsrs - k - 1) * sizeof(m->entries[0]));
	m->nmsrs--;
}

/*
 * KVM_GET_MSRS and KVM_SET_MSRS stop at the first MSR they refuse and
 * return how many they did. The first save drops what the vCPU does not
 * read, then keeps apart what it does not take back (setting the values
 * just read changes nothing for the MSRs that take them): those are
 * checked after a restore instead.
 */
static int learn_msrs(struct hcf_kvm_vcpu_state *s, int vcpu_fd)
{
	struct kvm_msrs *m = s->msrs;
	for (;;) {
		int n = ioctl(vcpu_fd, KVM_GET_MSRS, m);
		if (n < 0)
			return -1;
		if ((uint32_t)n >= m->nmsrs)
			break;
		/* a probed MSR the vCPU lacks is no news */
		if ((uint32_t)n < s->nlisted) {
			s->nlisted--;
			s->msrs_unreadable++;
		}
		drop_msr(m, (uint32_t)n, NULL);
	}
	s->kept = msrs_new(m->nmsrs);
	s->kept->nmsrs = 0;
	for (;;) {
		int n = ioctl(vcpu_fd, KVM_SET_MSRS, m);
		if (n < 0)
			return -1;
		if ((uint32_t)n >= m->nmsrs)
			break;
		drop_msr(m, (uint32_t)n, s->kept);
	}
	s->kept_now = msrs_new(s->kept->nmsrs);
	return 0;
}

int hcf_kvm_vcpu_state_save(struct hcf_kvm_vcpu_state *s, int vcpu_fd, char *err, size_t errlen)
{
	for (size_t i = 0; i < NPARTS; i++) {
		const struct part *p = &parts[i];
		if (!s->offered[i] || (s->learned && !s->present[i]))
			continue;
		int rc;
		if (p->kind == PART_MSRS && !s->learned)
			rc = learn_msrs(s, vcpu_fd);
		else if (p->kind == PART_MSRS)
			rc = ioctl(vcpu_fd, KVM_GET_MSRS, s->msrs) == (int)s->msrs->nmsrs &&
					     ioctl(vcpu_fd, KVM_GET_MSRS, s->kept) == (int)s->kept->nmsrs ?
				     0 :
				     -1;
		else
			rc = ioctl(vcpu_fd, s->get[i], s->buf[i]) < 0 ? -1 : 0;
		if (rc != 0 && (p->required || s->learned)) {
			snprintf(err, errlen, "saving the vCPU's %s: %s", p->name,
				 errno ? strerror(errno) : "fewer MSRs than before");
			return -1;
		}
		/* an optional part the host lists but does not hand out (the
		 * local APIC of a VM without an in-kernel irqchip) is absent */
		s->present[i] = rc == 0;
	}
	s->learned = true;
	return 0;
}

int hcf_kvm_vcpu_state_restore(const struct hcf_kvm_vcpu_state *s, int vcpu_fd, struct kvm_run *run,
				const char **failed)
{
	for (size_t i = 0; i < NPARTS; i++) {
		if (!s->present[i])
			continue;
		if (run && parts[i].sync && (s->sync_offered & parts[i].sync)) {
			memcpy((uint8_t *)&run->s.regs + parts[i].sync_off, s->buf[i], parts[i].size);
			run->kvm_dirty_regs |= parts[i].sync;
			continue;
		}
		int rc = ioctl(vcpu_fd, parts[i].set, s->buf[i]);
		if (rc < 0 || (parts[i].kind == PART_MSRS && (uint32_t)rc != s->msrs->nmsrs)) {
			if (rc >= 0)
				errno = EINVAL;
			*failed = parts[i].name;
			return -1;
		}
	}
	return 0;
}

int hcf_kvm_vcpu_state_spoil(struct hcf_kvm_vcpu_state *s)
{
	for (size_t i = 0; i < NPARTS; i++)
		if (parts[i].set == KVM_SET_SREGS && s->present[i]) {
			((struct kvm_sregs *)s->buf[i])->cr4 |= 1ull << 63;
			return 0;
		}
	return -1;
}

void hcf_kvm_vcpu_state_summary(const struct hcf_kvm_vcpu_state *s, struct hcf_vmm_cpu_saved *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < NPARTS; i++) {
		if (s->present[i]) {
			out->parts++;
			if (parts[i].kind == PART_MSRS)
				out->msrs = s->msrs->nmsrs;
			continue;
		}
		size_t used = strlen(out->absent);
		snprintf(out->absent + used, sizeof(out->absent) - used, "%s%s", used ? " " : "",
			 parts[i].name);
	}
	out->msrs_unreadable = s->msrs_unreadable;
	out->msrs_kept = s->kept ? s->kept->nmsrs : 0;
	for (uint32_t k = 0; k < out->msrs_kept && k < sizeof(out->kept) / sizeof(out->kept[0]); k++)
		out->kept[k] = s->kept->entries[k].index;
}

int hcf_kvm_vcpu_state_kept_changed(struct hcf_kvm_vcpu_state *s, int vcpu_fd, uint32_t *idx,
				    size_t max)
{
	if (!s->kept || !s->kept->nmsrs)
		return 0;
	struct kvm_msrs *now = s->kept_now;
	now->nmsrs = s->kept->nmsrs;
	for (uint32_t k = 0; k < now->nmsrs; k++)
		now->entries[k].index = s->kept->entries[k].index;
	if (ioctl(vcpu_fd, KVM_GET_MSRS, now) != (int)now->nmsrs)
		return -1;
	size_t changed = 0;
	for (uint32_t k = 0; k < now->nmsrs; k++)
		if (now->entries[k].data != s->kept->entries[k].data && changed++ < max)
			idx[changed - 1] = now->entries[k].index;
	return (int)changed;
}
