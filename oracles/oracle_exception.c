/*
 * oracle_exception.c: the exception oracle: a call may raise only the
 * exceptions its spec lists (an undeclared number: the ABI's list for those),
 * and those the model says the guest's state adds (a shortened IDT).
 *
 * Also hcf_exc_format, how every report spells an exception.
 */
#include <stdio.h>

#include "oracles/oracle.h"
#include "util/x86.h"

const char *hcf_exc_format(char *buf, size_t len, unsigned vector, uint64_t error_code)
{
	const char *m = hcf_x86_exc_mnemonic(vector);
	if (!m)
		snprintf(buf, len, "vector 0x%x", vector);
	else if (hcf_x86_exc_has_error_code(vector))
		snprintf(buf, len, "%s(0x%llx)", m, (unsigned long long)error_code);
	else
		snprintf(buf, len, "%s", m);
	return buf;
}

/* "#UD #GP" for a mask of allowed vectors, "none" for an empty one. */
static void format_allowed(char *buf, size_t len, uint32_t mask)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned v = 0; v < 32 && used < len; v++) {
		if (!(mask & (1u << v)))
			continue;
		const char *m = hcf_x86_exc_mnemonic(v);
		int k = m ? snprintf(buf + used, len - used, "%s%s", used ? ", " : "", m)
			  : snprintf(buf + used, len - used, "%svector %u", used ? ", " : "", v);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	if (!mask)
		snprintf(buf, len, "none");
}

void hcf_oracle_exception(const struct hcf_oracle_ctx *ctx, struct hcf_call_verdict *cv)
{
	const struct hcf_call_result *cr = &ctx->res->calls[ctx->idx];
	if (cr->outcome != HCF_CO_EXCEPTION)
		return;
	uint32_t allowed = hcf_oracle_allowed_exceptions(ctx);
	/* Vectors above 31 are interrupts, never an allowed outcome of a call;
	 * the guard also keeps the shift defined. */
	if (cr->vector < 32 && (allowed & (1u << cr->vector)))
		return;
	struct hcf_loc loc = hcf_loc_of(HCF_LOC_EXCEPTION);
	char got[40];
	hcf_exc_format(got, sizeof(got), cr->vector, cr->error_code);
	/* A call that may raise an exception, in a guest whose descriptor
	 * tables the program replaced: which vector arrives is the tables'
	 * doing. Said, not judged. */
	if (allowed && ctx->expect && ctx->expect->exceptions_unknown) {
		hcf_call_verdict_add(cv, HCF_V_SKIP, "exception", &loc,
				     "vector not judged: got %s, and %s", got,
				     ctx->expect->exceptions_unknown);
		return;
	}

	char exc[40], num[16] = "", allowed_s[96], extra[40] = "";
	hcf_exc_format(exc, sizeof(exc), cr->vector, cr->error_code);
	if (hcf_x86_exc_mnemonic(cr->vector))
		snprintf(num, sizeof(num), " (vector %u)", (unsigned)cr->vector);
	format_allowed(allowed_s, sizeof(allowed_s), allowed);
	if (cr->vector == HCF_X86_PF)
		snprintf(extra, sizeof(extra), ", cr2 0x%llx", (unsigned long long)cr->cr2);
	hcf_call_verdict_add(cv, HCF_V_FAIL, "exception", &loc,
			     "expected none%s%s, got %s%s at rip 0x%llx%s (%s)", allowed ? " or " : "",
			     allowed ? allowed_s : "", exc, num, (unsigned long long)cr->fault_rip,
			     extra, ctx->op ? ctx->op->name : "undeclared call number");
}
