/* x86.c: the x86-64 name tables (registers, exceptions, RFLAGS bits). */
#include "util/x86.h"

#include <stddef.h>
#include <string.h>

static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

const char *hcf_x86_gpr_name(unsigned reg)
{
	return reg < 16 ? gpr_names[reg] : "?";
}

/* Architectural exceptions: mnemonic and whether the CPU pushes an error code. */
/* Architectural exceptions: mnemonic, whether the CPU pushes an error code,
 * and whether the saved RFLAGS may carry RF = 1: set for faults, so that the
 * faulting instruction can be restarted (SDM vol. 3, 18.3.1.1), and part of
 * the undefined state an abort (#DF, #MC) leaves; not for traps. */
static const struct {
	const char *mnemonic;
	bool error_code, rf;
} exc_table[32] = {
	[0] = { "#DE", false, true },  [1] = { "#DB", false, false }, [2] = { "NMI", false, false },
	[3] = { "#BP", false, false }, [4] = { "#OF", false, false }, [5] = { "#BR", false, true },
	[6] = { "#UD", false, true },  [7] = { "#NM", false, true },  [8] = { "#DF", true, true },
	[9] = { "#CSO", false, false }, [10] = { "#TS", true, true }, [11] = { "#NP", true, true },
	[12] = { "#SS", true, true },  [13] = { "#GP", true, true },  [14] = { "#PF", true, true },
	[16] = { "#MF", false, true }, [17] = { "#AC", true, true },  [18] = { "#MC", false, true },
	[19] = { "#XM", false, true }, [20] = { "#VE", false, true }, [21] = { "#CP", true, true },
	[28] = { "#HV", false, false }, [29] = { "#VC", true, true }, [30] = { "#SX", true, true },
};

const char *hcf_x86_exc_mnemonic(unsigned vector)
{
	return vector < 32 ? exc_table[vector].mnemonic : NULL;
}

bool hcf_x86_exc_has_error_code(unsigned vector)
{
	return vector < 32 && exc_table[vector].error_code;
}

bool hcf_x86_exc_sets_rf(unsigned vector)
{
	return vector < 32 && exc_table[vector].rf;
}

int hcf_x86_exc_parse(const char *name)
{
	if (!name)
		return -1;
	if (name[0] == '#')
		name++;
	for (unsigned v = 0; v < 32; v++) {
		const char *m = exc_table[v].mnemonic;
		if (m && !strcmp(m + (m[0] == '#'), name))
			return (int)v;
	}
	return -1;
}

static const char *const rflags_names[32] = {
	[0] = "CF",   [2] = "PF",   [4] = "AF",   [6] = "ZF",  [7] = "SF",
	[8] = "TF",   [9] = "IF",   [10] = "DF",  [11] = "OF", [12] = "IOPL0",
	[13] = "IOPL1", [14] = "NT", [16] = "RF",  [17] = "VM", [18] = "AC",
	[19] = "VIF", [20] = "VIP", [21] = "ID",
};

const char *hcf_x86_rflags_name(unsigned bit)
{
	return bit < 32 ? rflags_names[bit] : NULL;
}

int hcf_x86_rflags_parse(const char *name)
{
	for (unsigned b = 0; name && b < 32; b++)
		if (rflags_names[b] && !strcmp(rflags_names[b], name))
			return (int)b;
	return -1;
}
