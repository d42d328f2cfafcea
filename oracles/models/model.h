/*
 * model.h: reference models, one per ABI.
 *
 * A model predicts what a correct hypervisor does with a call: the values of
 * the outputs it can know, whether the call returns or raises an exception.
 * It predicts the contract, never a deviation (a spec's known anomalies say
 * those). The model oracle compares a result with the prediction. Models may keep state across the
 * calls of one guest's life (observe), and are reset when the guest is
 * rebuilt. Models are rows of a table (model.c), chosen by a spec's
 * "model:" key.
 */
#ifndef HCF_MODEL_H
#define HCF_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "prog/prog.h"
#include "spec/spec.h"
#include "target/result.h"
#include "target/target.h"

enum hcf_expect_outcome {
	HCF_EXP_RETURN = 0,    /* the call returns */
	HCF_EXP_EXCEPTION,     /* the call raises exception `vector` */
	HCF_EXP_UNKNOWN        /* the model cannot tell */
};

/* One OUT field a model predicts (struct hcf_expect.fields). */
struct hcf_expect_field {
	uint8_t reg;          /* the pointer argument's register: the struct is where it points */
	uint8_t size;         /* bytes: 1, 2, 4 or 8, little-endian */
	uint16_t offset;      /* from the struct's start */
	uint64_t value;
	const char *name;     /* "struct.field" for messages: static, or the spec's */
};
#define HCF_EXPECT_FIELDS 4

struct hcf_expect {
	enum hcf_expect_outcome outcome;
	uint8_t vector;               /* the exception as the guest sees it, after delivery */
	/* Delivery through tables the program loaded turns the exception the
	 * call raises (the one the contract names) into another vector (#GP
	 * into #DF): then translated is set and raised holds the original. */
	bool translated;
	uint8_t raised;
	hcf_regmask_t known;          /* registers whose value after the call is predicted */
	uint64_t gpr[HCF_NGPR];
	uint64_t rflags_mask;         /* RFLAGS bits predicted */
	uint64_t rflags;
	/* Exception vectors (bit per vector) the guest's state makes possible
	 * beyond the spec's list: after a program shortened the IDT, an allowed
	 * #GP whose gate is gone arrives as #DF. Set by stateful models; the
	 * exception and model oracles allow them. */
	uint32_t extra_exceptions;
	/* Why an allowed exception may arrive as any vector (a GDT or IDT the
	 * agent did not build), or NULL. The vector is then not judged, and
	 * the oracles say so; whether a call may raise at all still is. */
	const char *exceptions_unknown;
	/* OUT fields of structs the call's pointer arguments point to, predicted
	 * when the call returns: results a hypervisor writes into guest memory
	 * (the port Xen's EVTCHNOP_alloc_unbound allocated). The model oracle
	 * compares them with the buffer after the program; the model target
	 * writes them. */
	struct hcf_expect_field fields[HCF_EXPECT_FIELDS];
	uint8_t nfields;
	/* Bytes the call writes into guest memory behind a buffer field (a
	 * block read's data), predicted when the call returns: data_len bytes
	 * at data_addr, owned by the model until its next prediction. The
	 * model oracle compares them with the program's buffers after the
	 * program; the model target writes them. */
	uint64_t data_addr;
	uint32_t data_len;
	const uint8_t *data;
	const char *data_name;        /* "struct.field" of the buffer field */
	/* The call must end the guest this way (bits of enum hcf_liveness; 0:
	 * the model does not say): a Solo5 tender refusing a call on a device
	 * the guest was not given. The way must be one the spec declares for
	 * the call (ends:). The liveness oracle holds a call that comes back
	 * to it; the model target ends the guest so. */
	unsigned ends;
	const char *ends_why;         /* static, for the message */
	/* What the prediction rests on, for FAIL messages. Static strings (or
	 * the spec's names), so predicting costs no formatting: the text is
	 * put together only when an issue is reported (hcf_expect_why). */
	const char *why_model;        /* "kvm", "pvm", "spec" */
	const char *why_what;         /* the call it is about, or NULL */
	const char *why;              /* the reason */
};

struct hcf_model_ops {
	const char *name;
	const char *summary;
	void *(*create)(const struct hcf_abi *abi, const struct hcf_target_info *ti);
	void (*destroy)(void *st);
	void (*reset)(void *st);   /* the guest was rebuilt: its state is as after boot */
	/* The harness started over without rebuilding the guest (a target
	 * that went back to its snapshot need not have put the hypervisor's
	 * state back): keep only what holds whatever state the guest is in.
	 * NULL: reset does (a model whose state only a rebuild changes). */
	void (*forget)(void *st);
	/* Predict call idx of p; before[] is what the agent loaded. */
	void (*predict)(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const uint64_t before[HCF_NGPR], struct hcf_expect *e);
	/* Update state with what call idx did (stateful ABIs); may be NULL.
	 * res->calls[idx] is its result; res->bufs hold the program's buffers
	 * after the run (on the model target: as far as it has run), where a
	 * call's OUT fields are (hcf_model_out_field). */
	void (*observe)(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			const struct hcf_prog_result *res);
};

extern const struct hcf_model_ops *const hcf_models[]; /* NULL-terminated */
const struct hcf_model_ops *hcf_model_find(const char *name);

/* The models in the table (model.c, model_kvm.c, model_pvm.c, model_vmport.c,
 * model_xen.c, model_xen_fastabi.c, model_apple_hvg.c, model_solo5_hvt.c). */
extern const struct hcf_model_ops hcf_model_spec; /* "spec": the spec-only prediction */
extern const struct hcf_model_ops hcf_model_kvm;  /* "kvm": Linux KVM's x86 hypercalls */
extern const struct hcf_model_ops hcf_model_pvm;  /* "pvm": the PVM build on these machines */
extern const struct hcf_model_ops hcf_model_vmport; /* "vmport": QEMU's VMware backdoor */
extern const struct hcf_model_ops hcf_model_xen;    /* "xen": Xen's classic hypercall ABI */
extern const struct hcf_model_ops hcf_model_xen_fastabi; /* "xen-fastabi": the FastABI RFC */
extern const struct hcf_model_ops hcf_model_apple_hvg; /* "apple-hvg": Apple's x86 hypercalls */
extern const struct hcf_model_ops hcf_model_solo5_hvt; /* "solo5-hvt": Solo5's hvt tender */

/*
 * The spec-only prediction every model starts from: for an undeclared number
 * the ABI's undeclared return (when it is a single value); for a declared op
 * nothing beyond the spec. Models call this, then refine.
 */
void hcf_model_predict_from_spec(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
				 const uint64_t before[HCF_NGPR], struct hcf_expect *e);

/* "model kvm: KVM_HC_KICK_CPU: succeeds at CPL0" */
const char *hcf_expect_why(const struct hcf_expect *e, char *buf, size_t len);

/*
 * Structs in guest memory, for models of ABIs that pass them (model_struct.c).
 * Where register reg of call idx points: a program buffer holding all size
 * bytes from there (false for a raw address, or a struct cut short).
 */
bool hcf_model_struct_at(const struct hcf_prog *p, size_t idx, unsigned reg, uint32_t size,
			 int *buf, uint32_t *off);
/* The size bytes at offset off of the struct call idx points reg at, as the
 * call found them: the program's initial bytes, unless an earlier call of the
 * program may have had the hypervisor write them (then false). */
bool hcf_model_in_field(const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
			unsigned reg, uint32_t off, unsigned size, uint64_t *v);
/* The same bytes as call idx left them, from res's buffers: false when they
 * cannot be read or a later call of the program may have written them. */
bool hcf_model_out_field(const struct hcf_abi *abi, const struct hcf_prog *p,
			 const struct hcf_prog_result *res, size_t idx, unsigned reg, uint32_t off,
			 unsigned size, uint64_t *v);
/* Add a predicted OUT field (ignored past HCF_EXPECT_FIELDS). */
void hcf_expect_field(struct hcf_expect *e, unsigned reg, uint32_t off, unsigned size,
		      uint64_t value, const char *name);

/* An instance: ops plus state. */
struct hcf_model {
	const struct hcf_model_ops *ops;
	void *st;
	bool fell_back;  /* abi->model named no known model: "spec" stands in (say so) */
};
/* Open abi->model, or the "spec" model when the ABI names none or an unknown
 * one (then m->fell_back is set). Returns 0, or -1 if the model's state could
 * not be created. */
int hcf_model_open(struct hcf_model *m, const struct hcf_abi *abi, const struct hcf_target_info *ti);
void hcf_model_close(struct hcf_model *m);
/* The guest was rebuilt (ops->reset), or the harness started over without a
 * rebuild (ops->forget, else reset). Both do nothing without a model. */
void hcf_model_reset(struct hcf_model *m);
void hcf_model_forget(struct hcf_model *m);

#endif /* HCF_MODEL_H */
