/*
 * model_solo5_hvt.c: the reference model of Solo5's hvt tender ABI 2 (model
 * "solo5-hvt", specs/solo5-hvt.yaml), statefully for its block devices.
 *
 * What it predicts, from the struct each call points to (found where the
 * program laid it out; a struct at a raw address, or a field an earlier
 * call may have written, predicts nothing):
 * - BLOCK_WRITE, BLOCK_READ (tenders/hvt/hvt_module_blk.c): ret
 *   SOLO5_R_EINVAL for a handle that is not a block device of the manifest
 *   (the whole 64-bit handle: solo5_handle_t), an offset at or past the
 *   capacity, offset + len past it, and (include/solo5.h) an offset or a
 *   length that is not a multiple of the block size; else the tender
 *   follows data, and a data + len outside guest memory must end the guest
 *   (refused); else SOLO5_R_OK, BLOCK_READ's len unchanged and, where the
 *   model knows the device's bytes, the bytes it reads;
 * - POLL (hvt_core.c hypercall_poll): without a network device nothing is
 *   in its wait set but its own timer: ready_set 0 and ret 0, after the
 *   timeout;
 * - WALLTIME: the host's clock now, which the spec calls nondeterministic
 *   (the oracle holds a tender to the clock's window, not to this value;
 *   the model target writes it);
 * - NET_WRITE, NET_READ (hvt_module_net.c): with no network device the
 *   tender has no handler and must refuse (its setup registers them only
 *   with one attached; include/solo5.h: calling APIs on devices that are not
 *   present WILL abort); with one, SOLO5_R_EINVAL for a handle that is not
 *   a network device, and nothing more (what arrives is the network's);
 * - PUTS and HALT write nothing; what must end the guest (a struct or a
 *   buffer outside guest memory, HALT itself) the spec says (ends:).
 *
 * The devices are the target's (struct hcf_target_info.devices, by
 * handle, as the tender's manifest described them at boot); a target that
 * reports none (the model target) gets the solo5 target's: handle 1, a
 * block device "storage" of 64 KiB in 512-byte blocks (entry 0 of a
 * manifest is Solo5's reserved one).
 *
 * State: each block device's bytes, zero after boot (the solo5 target
 * gives the tender a zeroed image), learned from every write that came
 * back SOLO5_R_OK (the bytes the program laid out, or unknown where it did
 * not), also one the contract says must fail (what the device holds is
 * what the tender did). A write the model cannot follow (a struct at a raw
 * address) makes the device unknown, and one that came back SOLO5_R_OK on
 * a handle that names no block device makes its range unknown on all. The harness starting over without a rebuild (forget)
 * keeps the bytes only if the target says its reset puts the devices back
 * (the fact "devices=reset"); otherwise they are unknown until written.
 * Structs and fields are found by name in the spec.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "util/x86.h"

/* include/solo5.h: solo5_result_t */
enum { R_OK = 0, R_AGAIN = 1, R_EINVAL = 2 };

/* The device a target without devices stands for: the solo5 target's
 * default "storage" (harness/target/target_solo5.c). */
#define DEFAULT_HANDLE 1u
#define DEFAULT_CAPACITY 65536u
#define DEFAULT_BLOCK 512u
/* The most capacity the model keeps bytes for (the solo5 target allows up
 * to 1 GiB); a bigger device's bytes are not predicted. */
#define MAX_CAPACITY (1ull << 30)

/* Bytes are kept per chunk, allocated when first written; a chunk never
 * written is all zero, or unknown after a forget. */
#define CHUNK 512u
struct chunk {
	uint8_t data[CHUNK];
	uint8_t known[CHUNK / 8];
};

struct blockdev {
	uint64_t capacity;
	uint32_t block_size;
	struct chunk **chunks;    /* capacity / CHUNK of them, NULL: never written */
	size_t nchunks;
};

/* The calls the model knows, by their names in the spec. */
enum scall { S_WALLTIME, S_PUTS, S_POLL, S_BLOCK_WRITE, S_BLOCK_READ, S_NET_WRITE, S_NET_READ,
	     S_HALT, S_COUNT };

/* Fields the model reads or predicts, per call. */
enum sfld { F_HANDLE, F_OFFSET, F_DATA, F_LEN, F_RET, F_NSECS, F_READY, F_COUNT };

static const char *const field_names[F_COUNT] = {
	[F_HANDLE] = "handle", [F_OFFSET] = "offset", [F_DATA] = "data", [F_LEN] = "len",
	[F_RET] = "ret", [F_NSECS] = "nsecs", [F_READY] = "ready_set",
};

struct callinfo {
	const struct hcf_op *op;
	const struct hcf_struct *st;
	uint8_t reg, width;            /* the pointer input */
	const struct hcf_field *f[F_COUNT];
	char name[F_COUNT][48];        /* "struct.field" for messages */
};

struct solo5_model {
	const struct hcf_abi *abi;
	struct callinfo calls[S_COUNT];
	struct hcf_boot_device devs[HCF_MAX_DEVICES];
	size_t ndevs;
	bool net;                      /* a network device among them */
	bool devices_reset;            /* the target's reset puts the devices back */
	bool base_known;               /* chunks never written are zeros (else unknown) */
	struct blockdev blk[HCF_MAX_DEVICES];
	uint8_t scratch[HCF_BUF_MAX + 2 * HCF_BUF_GUARD]; /* predicted read bytes */
};

static const char *const call_names[S_COUNT] = {
	[S_WALLTIME] = "WALLTIME", [S_PUTS] = "PUTS", [S_POLL] = "POLL",
	[S_BLOCK_WRITE] = "BLOCK_WRITE", [S_BLOCK_READ] = "BLOCK_READ",
	[S_NET_WRITE] = "NET_WRITE", [S_NET_READ] = "NET_READ", [S_HALT] = "HALT",
};

/* ---- the devices' bytes ------------------------------------------------- */

static void blk_clear(struct solo5_model *m)
{
	for (size_t d = 0; d < HCF_MAX_DEVICES; d++)
		for (size_t c = 0; c < m->blk[d].nchunks; c++) {
			free(m->blk[d].chunks[c]);
			m->blk[d].chunks[c] = NULL;
		}
}

/* Byte off of device d: true with its value when known. */
static bool blk_get(const struct solo5_model *m, const struct blockdev *d, uint64_t off,
		    uint8_t *v)
{
	const struct chunk *c = off / CHUNK < d->nchunks ? d->chunks[off / CHUNK] : NULL;
	if (!c) {
		*v = 0;
		return m->base_known && off < d->capacity && d->chunks;
	}
	unsigned k = (unsigned)(off % CHUNK);
	*v = c->data[k];
	return c->known[k / 8] >> (k % 8) & 1;
}

/* Byte off of device d becomes v (known) or unknown. */
static void blk_put(const struct solo5_model *m, struct blockdev *d, uint64_t off, bool known,
		    uint8_t v)
{
	if (off / CHUNK >= d->nchunks)
		return;
	struct chunk **slot = &d->chunks[off / CHUNK];
	if (!*slot) {
		*slot = calloc(1, sizeof(**slot));
		if (!*slot) {
			d->nchunks = 0; /* out of memory: nothing predicted from here on */
			return;
		}
		memset((*slot)->known, m->base_known ? 0xff : 0, sizeof((*slot)->known));
	}
	unsigned k = (unsigned)(off % CHUNK);
	(*slot)->data[k] = v;
	if (known)
		(*slot)->known[k / 8] |= (uint8_t)(1u << (k % 8));
	else
		(*slot)->known[k / 8] &= (uint8_t)~(1u << (k % 8));
}

/* ---- set-up ------------------------------------------------------------- */

static void resolve(struct solo5_model *m, const struct hcf_abi *abi)
{
	for (size_t i = 0; i < S_COUNT; i++) {
		struct callinfo *ci = &m->calls[i];
		ci->op = abi ? hcf_spec_op_by_name(abi, call_names[i]) : NULL;
		for (size_t a = 0; ci->op && a < ci->op->nargs && !ci->st; a++) {
			const struct hcf_arg *arg = &ci->op->args[a];
			if (arg->struct_idx < 0 || (size_t)arg->struct_idx >= abi->nstructs ||
			    !(arg->dir & HCF_DIR_IN) || arg->reg >= HCF_NGPR)
				continue;
			ci->st = &abi->structs[arg->struct_idx];
			ci->reg = arg->reg;
			ci->width = arg->width;
		}
		for (size_t f = 0; ci->st && f < F_COUNT; f++)
			for (size_t k = 0; k < ci->st->nfields; k++)
				if (!strcmp(ci->st->fields[k].name, field_names[f]) &&
				    ci->st->fields[k].size <= 8) {
					ci->f[f] = &ci->st->fields[k];
					snprintf(ci->name[f], sizeof(ci->name[f]), "%s.%s", ci->st->name,
						 field_names[f]);
				}
	}
}

static void devices_from(struct solo5_model *m, const struct hcf_target_info *ti)
{
	if (ti && ti->ndevices) {
		m->ndevs = ti->ndevices < HCF_MAX_DEVICES ? ti->ndevices : HCF_MAX_DEVICES;
		memcpy(m->devs, ti->devices, m->ndevs * sizeof(m->devs[0]));
		m->devices_reset = strstr(ti->facts, "devices=reset") != NULL;
	} else {
		m->ndevs = DEFAULT_HANDLE + 1;
		m->devs[DEFAULT_HANDLE] = (struct hcf_boot_device){ .type = HCF_DEV_BLOCK,
			.block_size = DEFAULT_BLOCK, .capacity = DEFAULT_CAPACITY, .name = "storage" };
	}
	for (size_t d = 0; d < m->ndevs; d++) {
		const struct hcf_boot_device *bd = &m->devs[d];
		m->net |= bd->type == HCF_DEV_NET;
		if (bd->type != HCF_DEV_BLOCK || !bd->capacity || bd->capacity > MAX_CAPACITY)
			continue;
		m->blk[d].capacity = bd->capacity;
		m->blk[d].block_size = bd->block_size ? bd->block_size : DEFAULT_BLOCK;
		m->blk[d].nchunks = (size_t)((bd->capacity + CHUNK - 1) / CHUNK);
		m->blk[d].chunks = calloc(m->blk[d].nchunks, sizeof(*m->blk[d].chunks));
		if (!m->blk[d].chunks)
			m->blk[d].nchunks = 0;
	}
}

static void *solo5_create(const struct hcf_abi *abi, const struct hcf_target_info *ti)
{
	struct solo5_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->abi = abi;
	resolve(m, abi);
	devices_from(m, ti);
	m->base_known = true; /* a target opens on a guest it has just booted */
	return m;
}

static void solo5_destroy(void *st)
{
	struct solo5_model *m = st;
	if (!m)
		return;
	blk_clear(m);
	for (size_t d = 0; d < HCF_MAX_DEVICES; d++)
		free(m->blk[d].chunks);
	free(m);
}

static void solo5_reset(void *st)
{
	struct solo5_model *m = st;
	blk_clear(m);
	m->base_known = true;
}

static void solo5_forget(void *st)
{
	struct solo5_model *m = st;
	blk_clear(m);
	m->base_known = m->devices_reset;
}

/* ---- predictions -------------------------------------------------------- */

/* What a prediction needs: the call, its struct's address, the program. */
struct pctx {
	struct solo5_model *m;
	const struct callinfo *ci;
	const struct hcf_prog *p;
	size_t idx;
	uint64_t base;
	struct hcf_expect *e;
};

/* Field f of the struct as the call found it. */
static bool in(const struct pctx *x, enum sfld f, uint64_t *v)
{
	const struct hcf_field *fl = x->ci->f[f];
	return fl && hcf_oracle_found_field(x->m->abi, x->p, x->idx, x->base + fl->offset, fl->size, v);
}

/* Predict OUT field f (when the spec has it and declares it out). */
static void out(const struct pctx *x, enum sfld f, uint64_t v)
{
	const struct hcf_field *fl = x->ci->f[f];
	if (fl && (fl->dir & HCF_DIR_OUT))
		hcf_expect_field(x->e, x->ci->reg, fl->offset, fl->size, v, x->ci->name[f]);
}

static void because(const struct pctx *x, const char *why)
{
	x->e->why_model = "solo5-hvt";
	x->e->why_what = x->ci->op->name;
	x->e->why = why;
}

/* The device at handle h, when it is of type t (the manifest entry at that
 * index: _mft_get_by_index, the whole 64-bit handle). */
static const struct hcf_boot_device *device(const struct solo5_model *m, uint64_t h, uint32_t t)
{
	return h < m->ndevs && m->devs[h].type == t ? &m->devs[h] : NULL;
}

/* [lo, lo + len) past guest memory, as the tender's checked accessor
 * sees a range it follows (the contract: every byte inside is served). */
static bool past_memory(uint64_t lo, uint64_t len)
{
	return lo >= HCF_GUEST_MEM_SIZE || len > HCF_GUEST_MEM_SIZE - lo;
}

static void predict_block(const struct pctx *x, bool write)
{
	uint64_t handle, offset, data, len;
	if (!in(x, F_HANDLE, &handle) || !in(x, F_OFFSET, &offset) || !in(x, F_LEN, &len))
		return;
	const struct hcf_boot_device *dev = device(x->m, handle, HCF_DEV_BLOCK);
	const struct blockdev *bd = dev ? &x->m->blk[handle] : NULL;
	uint64_t cap = dev ? dev->capacity : 0, bs = dev && dev->block_size ? dev->block_size : 1;
	const char *why;
	unsigned ret = R_EINVAL;
	if (!dev)
		why = "the handle is not a block device of the manifest";
	else if (len > INT64_MAX)
		why = "len is past SSIZE_MAX";
	else if (offset >= cap)
		why = "the offset is at or past the capacity";
	else if (offset + len < offset || offset + len > cap)
		why = "offset + len is past the capacity";
	else if (offset % bs || len % bs)
		why = "solo5.h: offset and len must be multiples of the block size";
	else if (!in(x, F_DATA, &data))
		return; /* where it reads or writes is not known */
	else if (past_memory(data, len)) {
		/* the tender follows data only now, and must not serve it */
		x->e->ends = 1u << HCF_LIVE_REFUSED;
		x->e->ends_why = "data + len outside guest memory, after the handle and range checks";
		x->e->outcome = HCF_EXP_UNKNOWN;
		because(x, x->e->ends_why);
		return;
	} else {
		ret = R_OK;
		why = write ? "a valid write" : "a valid read";
	}
	out(x, F_RET, ret);
	because(x, why);
	if (write || ret != R_OK)
		return;
	out(x, F_LEN, len); /* in and out, but the tender leaves it */
	bool known = bd && bd->chunks && len <= sizeof(x->m->scratch);
	for (uint64_t k = 0; known && k < len; k++)
		known = blk_get(x->m, bd, offset + k, &x->m->scratch[k]);
	if (!known || !len)
		return;
	x->e->data_addr = data;
	x->e->data_len = (uint32_t)len;
	x->e->data = x->m->scratch;
	x->e->data_name = x->ci->name[F_DATA];
}

static void predict_net(const struct pctx *x)
{
	uint64_t handle;
	if (!x->m->net) {
		x->e->ends = 1u << HCF_LIVE_REFUSED;
		x->e->ends_why = "no network device: the tender has no handler for the call";
		x->e->outcome = HCF_EXP_UNKNOWN;
		because(x, x->e->ends_why);
		return;
	}
	if (in(x, F_HANDLE, &handle) && !device(x->m, handle, HCF_DEV_NET)) {
		out(x, F_RET, R_EINVAL);
		because(x, "the handle is not a network device of the manifest");
	}
}

static void predict_poll(const struct pctx *x)
{
	/* with a network device something may arrive: not predicted */
	if (x->m->net || !hcf_model_struct_at(x->p, x->idx, x->ci->reg, x->ci->st->size,
					      &(int){ 0 }, &(uint32_t){ 0 }))
		return;
	out(x, F_READY, 0);
	out(x, F_RET, 0);
	because(x, "no device can become ready: only the timeout ends the wait");
}

static void predict_walltime(const struct pctx *x)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	out(x, F_NSECS, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
	because(x, "the host's clock (nondeterministic: held to the run's window)");
}

static enum scall which(const struct solo5_model *m, const struct hcf_op *op)
{
	for (size_t i = 0; op && i < S_COUNT; i++)
		if (m->calls[i].op == op)
			return (enum scall)i;
	return S_COUNT;
}

static void solo5_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p,
			  size_t idx, const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	struct solo5_model *m = st;
	hcf_model_predict_from_spec(abi, p, idx, before, e);
	int opi = idx < p->ncalls ? hcf_pcall_op_loaded(p, &p->calls[idx], before) : -1;
	enum scall sc = which(m, opi >= 0 ? &abi->ops[opi] : NULL);
	if (sc == S_COUNT || !m->calls[sc].st)
		return;
	struct pctx x = { .m = m, .ci = &m->calls[sc], .p = p, .idx = idx, .e = e };
	x.base = before[x.ci->reg] & hcf_x86_width_mask(x.ci->width);
	switch (sc) {
	case S_BLOCK_WRITE:
	case S_BLOCK_READ:
		predict_block(&x, sc == S_BLOCK_WRITE);
		break;
	case S_NET_WRITE:
	case S_NET_READ:
		predict_net(&x);
		break;
	case S_POLL:
		predict_poll(&x);
		break;
	case S_WALLTIME:
		predict_walltime(&x);
		break;
	default:
		break;
	}
}

/* ---- what a write did ---------------------------------------------------- */

/* A block write that came back: what the device holds now. */
static void observe_write(struct solo5_model *m, const struct pctx *x,
			  const struct hcf_prog_result *res)
{
	uint64_t handle, offset, data, len, ret;
	const struct hcf_field *rf = x->ci->f[F_RET];
	bool fields = in(x, F_HANDLE, &handle) && in(x, F_OFFSET, &offset) && in(x, F_LEN, &len);
	const struct hcf_boot_device *dev = fields ? device(m, handle, HCF_DEV_BLOCK) : NULL;
	if (!fields) {
		/* it may have written anywhere on any device */
		blk_clear(m);
		m->base_known = false;
		return;
	}
	bool said = rf && hcf_model_out_field(m->abi, x->p, res, x->idx, x->ci->reg, rf->offset,
					      rf->size, &ret);
	if (said && (uint32_t)ret != R_OK)
		return; /* refused with an error: nothing written */
	if (!dev) {
		/* it wrote although its handle names no block device (a
		 * deviation the spec may list): on which, the model cannot say */
		for (size_t d = 0; d < HCF_MAX_DEVICES; d++)
			for (uint64_t k = 0; offset < m->blk[d].capacity && k < len &&
					     offset + k < m->blk[d].capacity; k++)
				blk_put(m, &m->blk[d], offset + k, false, 0);
		return;
	}
	if (!m->blk[handle].chunks)
		return;
	struct blockdev *bd = &m->blk[handle];
	if (offset >= bd->capacity)
		return;
	if (len > bd->capacity - offset)
		len = bd->capacity - offset;
	bool have_data = said && in(x, F_DATA, &data);
	for (uint64_t k = 0; k < len; k += 8) {
		unsigned n = len - k < 8 ? (unsigned)(len - k) : 8;
		uint64_t v = 0;
		bool known = have_data && data + k >= data &&
			     hcf_oracle_found_field(m->abi, x->p, x->idx, data + k, n, &v);
		for (unsigned b = 0; b < n; b++)
			blk_put(m, bd, offset + k + b, known, (uint8_t)(v >> (8 * b)));
	}
}

static void solo5_observe(void *st, const struct hcf_abi *abi, const struct hcf_prog *p,
			  size_t idx, const struct hcf_prog_result *res)
{
	struct solo5_model *m = st;
	if (idx >= res->ncalls || res->calls[idx].outcome != HCF_CO_RETURNED)
		return;
	const uint64_t *before = res->calls[idx].before;
	int opi = hcf_pcall_op_loaded(p, &p->calls[idx], before);
	if (which(m, opi >= 0 ? &abi->ops[opi] : NULL) != S_BLOCK_WRITE ||
	    !m->calls[S_BLOCK_WRITE].st)
		return;
	struct hcf_expect unused;
	struct pctx x = { .m = m, .ci = &m->calls[S_BLOCK_WRITE], .p = p, .idx = idx,
			  .e = &unused };
	x.base = before[x.ci->reg] & hcf_x86_width_mask(x.ci->width);
	observe_write(m, &x, res);
}

const struct hcf_model_ops hcf_model_solo5_hvt = {
	.name = "solo5-hvt",
	.summary = "Solo5's hvt tender ABI 2: block devices statefully, POLL, WALLTIME, no network",
	.create = solo5_create,
	.destroy = solo5_destroy,
	.reset = solo5_reset,
	.forget = solo5_forget,
	.predict = solo5_predict,
	.observe = solo5_observe,
};
