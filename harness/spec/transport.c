/* transport.c: the transports, one row each, and everything that depends on one. */
#include "spec/transport.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hcf_proto.h"
#include "spec/spec_parse.h"
#include "util/x86.h"

#define S HCF_YT_SCALAR

static const struct hcf_xport_info xport_table[HCF_XPORT_COUNT] = {
	{ HCF_XPORT_VMCALL, "vmcall", 0, "Intel VMX hypercall instruction" },
	{ HCF_XPORT_VMMCALL, "vmmcall", 0, "AMD SVM hypercall instruction" },
	{ HCF_XPORT_NATIVE, "native", 0, "vmcall on Intel, vmmcall on AMD" },
	{ HCF_XPORT_INT, "int", 0, "software interrupt int N" },
	{ HCF_XPORT_SYSCALL, "syscall", HCF_REGBIT(HCF_RCX) | HCF_REGBIT(HCF_R11),
	  "syscall saves RIP in RCX and RFLAGS in R11" },
	{ HCF_XPORT_HCPAGE, "hypercall_page", 0, "call into a hypervisor-filled hypercall page" },
	{ HCF_XPORT_PIO, "pio", 0, "port I/O to port base + number, data in RAX" },
	{ HCF_XPORT_MMIO, "mmio", 0, "MMIO access to base + number * scale, data in RAX" },
};

const struct hcf_xport_info *hcf_xport_info(enum hcf_xport_kind kind)
{
	return (unsigned)kind < HCF_XPORT_COUNT ? &xport_table[kind] : NULL;
}

const char *hcf_xport_name(enum hcf_xport_kind kind)
{
	const struct hcf_xport_info *xi = hcf_xport_info(kind);
	return xi ? xi->name : "?";
}


/* ---- reading a spec's transport -------------------------------------------- */

enum { XK_KIND, XK_VECTOR, XK_PORT, XK_WIDTH, XK_DIRECTION, XK_BASE, XK_SCALE, XK_ACCESS,
       XK_MSR, XK_STRIDE, XK_FIXED, XK_CLOBBERS, XK_COUNT };
#define XW(k) (1u << (k))
static const struct hcf_spec_key xport_keys[XK_COUNT] = {
	[XK_KIND] = { "kind", S, true, 0 },
	[XK_VECTOR] = { "vector", S, true, XW(HCF_XPORT_INT) },
	[XK_PORT] = { "port", S, true, XW(HCF_XPORT_PIO) },
	[XK_WIDTH] = { "width", S, true, XW(HCF_XPORT_PIO) | XW(HCF_XPORT_MMIO) },
	[XK_DIRECTION] = { "direction", S, false, XW(HCF_XPORT_PIO) },
	[XK_BASE] = { "base", S, true, XW(HCF_XPORT_MMIO) },
	[XK_SCALE] = { "scale", S, false, XW(HCF_XPORT_MMIO) },
	[XK_ACCESS] = { "access", S, false, XW(HCF_XPORT_MMIO) },
	[XK_MSR] = { "msr", S, true, XW(HCF_XPORT_HCPAGE) },
	[XK_STRIDE] = { "stride", S, false, XW(HCF_XPORT_HCPAGE) },
	[XK_FIXED] = { "fixed", S, false, XW(HCF_XPORT_PIO) | XW(HCF_XPORT_MMIO) },
	/* read by the spec loader, which knows register names (spec_ops.c) */
	[XK_CLOBBERS] = { "clobbers", HCF_YT_SEQ, false, 0 },
};

static bool xport_kind(const char *name, enum hcf_xport_kind *out)
{
	for (unsigned k = 0; k < HCF_XPORT_COUNT; k++)
		if (!strcmp(hcf_xport_name((enum hcf_xport_kind)k), name)) {
			*out = (enum hcf_xport_kind)k;
			return true;
		}
	return false;
}

static void unknown_transport(struct hcf_spec_ctx *c, const struct hcf_ynode *n)
{
	hcf_spec_err(c, n, "unknown transport '%.40s' (known: vmcall, vmmcall, native, "
			      "syscall, int N, hypercall_page, pio, mmio)",
		     n->kind == HCF_Y_SCALAR ? n->str : hcf_y_kind_name(n));
}

/* One of two words: e.g. direction out|in. */
static bool parse_choice(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what,
			 const char *no, const char *yes, bool *out)
{
	if (!strcmp(n->str, no) || !strcmp(n->str, yes)) {
		*out = !strcmp(n->str, yes);
		return true;
	}
	hcf_spec_err(c, n, "%s '%.40s': must be %s or %s", what, n->str, no, yes);
	return false;
}

bool hcf_xport_parse(struct hcf_spec_ctx *c, const struct hcf_ynode *n, struct hcf_transport *t)
{
	unsigned before = c->nerr;
	uint64_t v;

	memset(t, 0, sizeof(*t));
	if (n->kind == HCF_Y_SCALAR) {
		/* "int 0x1b" / "int 27": the one scalar form with a parameter. */
		if (!strncmp(n->str, "int ", 4)) {
			const char *num = n->str + 4;
			bool neg;
			while (*num == ' ')
				num++;
			if (!hcf_spec_int_syntax(num, &neg, &v) || neg || v > 255) {
				hcf_spec_err(c, n, "transport '%.40s': the vector must be an integer "
						   "0..255", n->str);
				return false;
			}
			t->kind = HCF_XPORT_INT;
			t->vector = (uint8_t)v;
		} else if (!xport_kind(n->str, &t->kind)) {
			unknown_transport(c, n);
			return false;
		} else if (t->kind == HCF_XPORT_INT || t->kind == HCF_XPORT_PIO ||
			   t->kind == HCF_XPORT_MMIO || t->kind == HCF_XPORT_HCPAGE) {
			hcf_spec_err(c, n, "transport '%s' needs parameters: write it as a mapping "
					   "{kind: %s, ...}", n->str, n->str);
			return false;
		}
	} else {
		const struct hcf_ynode *kind = hcf_y_get(n, "kind"), *x[XK_COUNT];
		if (kind && kind->kind == HCF_Y_SCALAR && !xport_kind(kind->str, &t->kind)) {
			unknown_transport(c, kind);
			return false;
		}
		if (!hcf_spec_map_keys(c, n, "transport", xport_keys, XK_COUNT, XW(t->kind), x))
			return false;
		switch (t->kind) {
		case HCF_XPORT_INT:
			if (hcf_y_uint(c, x[XK_VECTOR], 255, "vector", &v))
				t->vector = (uint8_t)v;
			break;
		case HCF_XPORT_PIO:
			if (hcf_y_uint(c, x[XK_PORT], 0xffff, "port", &v))
				t->port_base = (uint16_t)v;
			if (hcf_y_uint(c, x[XK_WIDTH], 4, "width", &v)) {
				if (v != 1 && v != 2 && v != 4)
					hcf_spec_err(c, x[XK_WIDTH], "pio width %llu: must be 1, 2 "
								     "or 4 bytes", (unsigned long long)v);
				t->width = (uint8_t)v;
			}
			if (x[XK_DIRECTION])
				parse_choice(c, x[XK_DIRECTION], "direction", "out", "in",
					     &t->is_read);
			break;
		case HCF_XPORT_MMIO:
			if (hcf_y_uint(c, x[XK_BASE], UINT64_MAX, "base", &v))
				t->mmio_base = v;
			if (hcf_y_uint(c, x[XK_WIDTH], 8, "width", &v)) {
				if (v != 1 && v != 2 && v != 4 && v != 8)
					hcf_spec_err(c, x[XK_WIDTH], "mmio width %llu: must be 1, 2, "
								     "4 or 8 bytes", (unsigned long long)v);
				t->width = (uint8_t)v;
			}
			t->mmio_scale = 1;
			if (x[XK_SCALE] && hcf_y_uint(c, x[XK_SCALE], UINT32_MAX, "scale", &v)) {
				if (v == 0)
					hcf_spec_err(c, x[XK_SCALE], "scale must not be 0");
				t->mmio_scale = (uint32_t)v;
			}
			if (x[XK_ACCESS])
				parse_choice(c, x[XK_ACCESS], "access", "write", "read", &t->is_read);
			break;
		case HCF_XPORT_HCPAGE:
			if (hcf_y_uint(c, x[XK_MSR], UINT32_MAX, "msr", &v))
				t->hcpage_msr = (uint32_t)v;
			t->hcpage_stride = 32;
			if (x[XK_STRIDE] && hcf_y_uint(c, x[XK_STRIDE], 4096, "stride", &v)) {
				if (v == 0)
					hcf_spec_err(c, x[XK_STRIDE], "stride must not be 0");
				t->hcpage_stride = (uint32_t)v;
			}
			break;
		default:
			break;
		}
		if (x[XK_FIXED])
			parse_choice(c, x[XK_FIXED], "fixed", "false", "true", &t->fixed);
	}
	t->clobbers = hcf_xport_info(t->kind)->clobbers;
	t->outputs = hcf_xport_uses_rdx(t) && t->is_read ? HCF_REGBIT(HCF_RAX) : 0;
	return c->nerr == before;
}


/* ---- numbers, addresses, instructions ------------------------------------ */

bool hcf_xport_addressed(const struct hcf_transport *t)
{
	return (t->kind == HCF_XPORT_PIO || t->kind == HCF_XPORT_MMIO) && !t->fixed;
}

uint64_t hcf_xport_reached_nr(const struct hcf_transport *t, uint64_t nr)
{
	if (t->kind != HCF_XPORT_PIO)
		return nr;
	return (uint16_t)((uint16_t)(t->port_base + nr) - t->port_base);
}

bool hcf_xport_uses_rdx(const struct hcf_transport *t)
{
	return t->kind == HCF_XPORT_PIO || t->kind == HCF_XPORT_MMIO;
}

static uint64_t mmio_scale(const struct hcf_transport *t)
{
	return t->mmio_scale ? t->mmio_scale : 1;
}

static uint64_t hcpage_stride(const struct hcf_transport *t)
{
	return t->hcpage_stride ? t->hcpage_stride : 32;
}

static uint64_t number_window(const struct hcf_transport *t);

uint64_t hcf_xport_max_nr(const struct hcf_transport *t, unsigned nr_width)
{
	if (t->fixed)
		return hcf_x86_width_mask(nr_width);
	if (t->kind == HCF_XPORT_PIO)
		return 0xffffu - t->port_base;
	if (t->kind == HCF_XPORT_MMIO)
		return (UINT64_MAX - t->mmio_base) / mmio_scale(t);
	if (t->kind == HCF_XPORT_HCPAGE)
		return number_window(t) - 1; /* an entry of the page */
	return hcf_x86_width_mask(nr_width);
}

void hcf_xport_place(const struct hcf_transport *t, uint64_t nr, bool *rdx_set, uint64_t *rdx,
		     uint64_t *entry)
{
	*rdx_set = false;
	*entry = 0;
	if (t->fixed)
		nr = 0; /* the port or address is the base; the number is in its register */
	switch (t->kind) {
	case HCF_XPORT_PIO:
		*rdx_set = true;
		*rdx = (uint16_t)(t->port_base + nr);
		break;
	case HCF_XPORT_MMIO:
		*rdx_set = true;
		*rdx = t->mmio_base + nr * t->mmio_scale;
		break;
	case HCF_XPORT_HCPAGE:
		*entry = HCF_GPA_HCPAGE + nr * t->hcpage_stride;
		break;
	default:
		break;
	}
}

const char *hcf_xport_refusal(const struct hcf_transport *t, uint64_t nr)
{
	if (t->fixed)
		nr = 0;
	if (t->kind == HCF_XPORT_PIO) {
		uint16_t port = (uint16_t)(t->port_base + nr);
		if (port == HCF_PORT_DOORBELL || port == HCF_PORT_DEBUGCON)
			return "not run: the port is the harness's own (doorbell, debug console)";
	} else if (t->kind == HCF_XPORT_MMIO) {
		uint64_t addr = t->mmio_base + nr * t->mmio_scale;
		if (addr < HCF_GUEST_MEM_SIZE || addr + t->width < addr)
			return "not run: the MMIO address is guest RAM, where the access is no exit";
	}
	return NULL;
}

/* The window generators aim MMIO numbers at: 64 KiB above the base. */
#define MMIO_WINDOW 0xffffu

/* How many numbers from 0 generators aim at (0: every number): the ports
 * above the base, an MMIO window above the base, the hypercall page's
 * entries. */
static uint64_t number_window(const struct hcf_transport *t)
{
	if (t->fixed)
		return 0;
	switch (t->kind) {
	case HCF_XPORT_PIO: return 0x10000u - t->port_base;
	case HCF_XPORT_MMIO: return MMIO_WINDOW / mmio_scale(t) + 1;
	case HCF_XPORT_HCPAGE: return hcpage_stride(t) < 4096 ? 4096 / hcpage_stride(t) : 1;
	default: return 0;
	}
}

bool hcf_xport_usable(const struct hcf_transport *t, uint64_t nr)
{
	uint64_t n = number_window(t);
	if (!n)
		return true;
	if (nr >= n)
		return false;
	/* an MMIO address that wraps around is not above the base */
	if (t->kind == HCF_XPORT_MMIO && t->mmio_base + nr * mmio_scale(t) < t->mmio_base)
		return false;
	return !hcf_xport_refusal(t, nr);
}

bool hcf_xport_fold(const struct hcf_transport *t, uint64_t *nr)
{
	uint64_t n = number_window(t);
	if (!n)
		return true;
	*nr %= n;
	return hcf_xport_usable(t, *nr);
}

uint8_t hcf_xport_wire(const struct hcf_transport *t, const char *cpu_vendor)
{
	switch (t->kind) {
	case HCF_XPORT_VMCALL: return HCF_WX_VMCALL;
	case HCF_XPORT_VMMCALL: return HCF_WX_VMMCALL;
	case HCF_XPORT_NATIVE:
		return cpu_vendor && !strcmp(cpu_vendor, "GenuineIntel") ? HCF_WX_VMCALL : HCF_WX_VMMCALL;
	case HCF_XPORT_INT: return HCF_WX_INT;
	case HCF_XPORT_SYSCALL: return HCF_WX_SYSCALL;
	case HCF_XPORT_HCPAGE: return HCF_WX_HCPAGE;
	case HCF_XPORT_PIO: return t->is_read ? HCF_WX_PIO_IN : HCF_WX_PIO_OUT;
	case HCF_XPORT_MMIO: return t->is_read ? HCF_WX_MMIO_READ : HCF_WX_MMIO_WRITE;
	default: return HCF_WX_NONE;
	}
}

/* The fixed instructions: kind, direction and width (0: any), bytes. Port
 * I/O goes through dx, MMIO through [rdx], data in al/ax/eax/rax. */
static const struct {
	enum hcf_xport_kind kind;
	bool is_read;
	uint8_t width;
	uint8_t len;
	uint8_t bytes[4];
	const char *mnemonic;
} insns[] = {
	{ HCF_XPORT_VMCALL, false, 0, 3, { 0x0f, 0x01, 0xc1 }, "vmcall" },
	{ HCF_XPORT_VMMCALL, false, 0, 3, { 0x0f, 0x01, 0xd9 }, "vmmcall" },
	{ HCF_XPORT_NATIVE, false, 0, 3, { 0x0f, 0x01, 0xc1 }, "vmcall" },
	{ HCF_XPORT_SYSCALL, false, 0, 2, { 0x0f, 0x05 }, "syscall" },
	{ HCF_XPORT_PIO, false, 1, 1, { 0xee }, "out dx, al" },
	{ HCF_XPORT_PIO, false, 2, 2, { 0x66, 0xef }, "out dx, ax" },
	{ HCF_XPORT_PIO, false, 4, 1, { 0xef }, "out dx, eax" },
	{ HCF_XPORT_PIO, true, 1, 1, { 0xec }, "in al, dx" },
	{ HCF_XPORT_PIO, true, 2, 2, { 0x66, 0xed }, "in ax, dx" },
	{ HCF_XPORT_PIO, true, 4, 1, { 0xed }, "in eax, dx" },
	{ HCF_XPORT_MMIO, false, 1, 2, { 0x88, 0x02 }, "mov byte [rdx], al" },
	{ HCF_XPORT_MMIO, false, 2, 3, { 0x66, 0x89, 0x02 }, "mov word [rdx], ax" },
	{ HCF_XPORT_MMIO, false, 4, 2, { 0x89, 0x02 }, "mov dword [rdx], eax" },
	{ HCF_XPORT_MMIO, false, 8, 3, { 0x48, 0x89, 0x02 }, "mov qword [rdx], rax" },
	{ HCF_XPORT_MMIO, true, 1, 2, { 0x8a, 0x02 }, "mov al, byte [rdx]" },
	{ HCF_XPORT_MMIO, true, 2, 3, { 0x66, 0x8b, 0x02 }, "mov ax, word [rdx]" },
	{ HCF_XPORT_MMIO, true, 4, 2, { 0x8b, 0x02 }, "mov eax, dword [rdx]" },
	{ HCF_XPORT_MMIO, true, 8, 3, { 0x48, 0x8b, 0x02 }, "mov rax, qword [rdx]" },
};

size_t hcf_xport_insn(const struct hcf_transport *t, uint8_t out[8], const char **mnemonic)
{
	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++)
		if (insns[i].kind == t->kind &&
		    (insns[i].width == 0 || (insns[i].width == t->width && insns[i].is_read == t->is_read))) {
			memcpy(out, insns[i].bytes, insns[i].len);
			if (mnemonic)
				*mnemonic = insns[i].mnemonic;
			return insns[i].len;
		}
	return 0;
}

void hcf_xport_describe(const struct hcf_transport *t, char *buf, size_t len)
{
	switch (t->kind) {
	case HCF_XPORT_INT:
		snprintf(buf, len, "int 0x%x", t->vector);
		break;
	case HCF_XPORT_PIO:
		snprintf(buf, len, "port I/O (%s, %u bytes) to port 0x%x%s", t->is_read ? "in" : "out",
			 t->width, t->port_base, t->fixed ? ", number in a register" : " + number");
		break;
	case HCF_XPORT_MMIO:
		if (t->fixed)
			snprintf(buf, len, "MMIO (%s, %u bytes) at 0x%" PRIx64 ", number in a register",
				 t->is_read ? "read" : "write", t->width, t->mmio_base);
		else
			snprintf(buf, len, "MMIO (%s, %u bytes) at 0x%" PRIx64 " + number * %u",
				 t->is_read ? "read" : "write", t->width, t->mmio_base, t->mmio_scale);
		break;
	case HCF_XPORT_HCPAGE:
		snprintf(buf, len, "call into the hypercall page (MSR 0x%x, %u bytes per entry)",
			 t->hcpage_msr, t->hcpage_stride);
		break;
	case HCF_XPORT_NATIVE:
		snprintf(buf, len, "native (vmcall on Intel, vmmcall otherwise)");
		break;
	default:
		snprintf(buf, len, "%s", hcf_xport_name(t->kind));
		break;
	}
}

void hcf_xport_spec_text(const struct hcf_transport *t, char *buf, size_t len)
{
	switch (t->kind) {
	case HCF_XPORT_INT:
		snprintf(buf, len, "\"int 0x%x\"", t->vector);
		break;
	case HCF_XPORT_PIO:
		snprintf(buf, len, "{kind: pio, port: 0x%x, width: %u, direction: %s%s}", t->port_base,
			 t->width, t->is_read ? "in" : "out", t->fixed ? ", fixed: true" : "");
		break;
	case HCF_XPORT_MMIO:
		snprintf(buf, len, "{kind: mmio, base: 0x%" PRIx64 ", width: %u, scale: %u, access: %s%s}",
			 t->mmio_base, t->width, t->mmio_scale ? t->mmio_scale : 1,
			 t->is_read ? "read" : "write", t->fixed ? ", fixed: true" : "");
		break;
	case HCF_XPORT_HCPAGE:
		snprintf(buf, len, "{kind: hypercall_page, msr: 0x%x, stride: %u}", t->hcpage_msr,
			 t->hcpage_stride);
		break;
	default:
		snprintf(buf, len, "%s", hcf_xport_name(t->kind));
		break;
	}
}

hcf_regmask_t hcf_xport_inflight_regs(const struct hcf_transport *t, uint64_t fault_rip)
{
	if (t->kind != HCF_XPORT_HCPAGE || fault_rip < HCF_GPA_HCPAGE ||
	    fault_rip >= HCF_GPA_HCPAGE + 0x1000)
		return 0;
	return HCF_REGBIT(HCF_RSP) | HCF_REGBIT(HCF_RCX) | HCF_REGBIT(HCF_R11);
}

/* ---- the spec's transport list ------------------------------------------- */

int hcf_spec_use_transport(struct hcf_abi *abi, const char *name, char *err, size_t errlen)
{
	/* a dialect that sets abi->transport alone lists exactly that one */
	size_t n = abi->ntransports ? abi->ntransports : 1;
	const struct hcf_transport *list = abi->ntransports ? abi->transports : &abi->transport;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(hcf_xport_name(list[i].kind), name)) {
			abi->transport = list[i];
			return 0;
		}
	size_t used = (size_t)snprintf(err, errlen, "spec %s lists no transport '%s' (it lists:",
				       abi->name ? abi->name : "?", name);
	for (size_t i = 0; i < n && used < errlen; i++)
		used += (size_t)snprintf(err + used, errlen - used, " %s", hcf_xport_name(list[i].kind));
	if (used < errlen)
		snprintf(err + used, errlen - used, ")");
	return -1;
}
