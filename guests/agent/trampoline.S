/*
 * trampoline.S: issue one call with every register under control.
 *
 * hcf_tramp loads the whole register image of hcf_cur_call (RSP excepted: the
 * agent keeps a valid stack so an exception can be delivered), jumps to the
 * instruction stub of the call's transport, and stores every register and
 * RFLAGS the moment the stub comes back. An exception raised by the call lands
 * in exc_common, which stores the registers at the fault and the exception
 * frame instead. Nothing between the load and the store touches a register or
 * the flags: only RIP-relative moves, which change neither.
 */
#include "agent.h"

	.section .bss
	.align 16
	.globl hcf_cur_call, hcf_cur_res, hcf_cur_stub, hcf_cur_rflags, hcf_xmm_in, hcf_xmm_out
	.globl hcf_cur_target, hcf_cur_xport, hcf_cur_vector, hcf_cur_flags
hcf_cur_call:	.skip 8   /* struct hcf_wire_call * of the call in flight */
hcf_cur_res:	.skip 8   /* struct hcf_wire_result * it reports into */
hcf_cur_target:	.skip 8   /* hypercall-page entry */
hcf_cur_xport:	.skip 8
hcf_cur_vector:	.skip 8
hcf_cur_flags:	.skip 8
hcf_rax_scratch: .skip 8
hcf_rflags_before: .skip 8
hcf_xmm_in:	.skip 256
hcf_xmm_out:	.skip 256
hcf_cur_stub:	.skip 8
hcf_cur_rflags:	.skip 8
hcf_stub_cont:	.skip 8   /* where every stub goes when its instruction completed */
hcf_saved_rsp:	.skip 8
hcf_in_call:	.skip 8
hcf_tsc0:	.skip 8
hcf_raw_count:	.skip 8

	.text

/*
 * Load every GPR but RSP from the call in flight. RAX holds the pointer to
 * the call and is loaded last, from itself: no copy of the call is needed.
 */
.macro LOAD_GPRS
	mov hcf_cur_call(%rip), %rax
	mov WC_GPR+8*1(%rax), %rcx
	mov WC_GPR+8*2(%rax), %rdx
	mov WC_GPR+8*3(%rax), %rbx
	mov WC_GPR+8*5(%rax), %rbp
	mov WC_GPR+8*6(%rax), %rsi
	mov WC_GPR+8*7(%rax), %rdi
	mov WC_GPR+8*8(%rax), %r8
	mov WC_GPR+8*9(%rax), %r9
	mov WC_GPR+8*10(%rax), %r10
	mov WC_GPR+8*11(%rax), %r11
	mov WC_GPR+8*12(%rax), %r12
	mov WC_GPR+8*13(%rax), %r13
	mov WC_GPR+8*14(%rax), %r14
	mov WC_GPR+8*15(%rax), %r15
	mov WC_GPR+8*0(%rax), %rax
.endm

/*
 * Store every GPR but RSP into the result slot. RAX goes to a scratch word
 * first (RIP-relative, touching no register), then carries the slot pointer.
 * Leaves RAX = slot pointer.
 */
.macro STORE_GPRS_NO_RSP
	mov %rax, hcf_rax_scratch(%rip)
	mov hcf_cur_res(%rip), %rax
	mov %rcx, WR_GPR+8*1(%rax)
	mov %rdx, WR_GPR+8*2(%rax)
	mov %rbx, WR_GPR+8*3(%rax)
	mov %rbp, WR_GPR+8*5(%rax)
	mov %rsi, WR_GPR+8*6(%rax)
	mov %rdi, WR_GPR+8*7(%rax)
	mov %r8, WR_GPR+8*8(%rax)
	mov %r9, WR_GPR+8*9(%rax)
	mov %r10, WR_GPR+8*10(%rax)
	mov %r11, WR_GPR+8*11(%rax)
	mov %r12, WR_GPR+8*12(%rax)
	mov %r13, WR_GPR+8*13(%rax)
	mov %r14, WR_GPR+8*14(%rax)
	mov %r15, WR_GPR+8*15(%rax)
	mov hcf_rax_scratch(%rip), %rcx
	mov %rcx, WR_GPR+8*0(%rax)
.endm

.macro XMM_ALL op, base
	\op \base+16*0(%rip), %xmm0
	\op \base+16*1(%rip), %xmm1
	\op \base+16*2(%rip), %xmm2
	\op \base+16*3(%rip), %xmm3
	\op \base+16*4(%rip), %xmm4
	\op \base+16*5(%rip), %xmm5
	\op \base+16*6(%rip), %xmm6
	\op \base+16*7(%rip), %xmm7
	\op \base+16*8(%rip), %xmm8
	\op \base+16*9(%rip), %xmm9
	\op \base+16*10(%rip), %xmm10
	\op \base+16*11(%rip), %xmm11
	\op \base+16*12(%rip), %xmm12
	\op \base+16*13(%rip), %xmm13
	\op \base+16*14(%rip), %xmm14
	\op \base+16*15(%rip), %xmm15
.endm

.macro XMM_STORE_ALL base
	movdqu %xmm0, \base+16*0(%rip)
	movdqu %xmm1, \base+16*1(%rip)
	movdqu %xmm2, \base+16*2(%rip)
	movdqu %xmm3, \base+16*3(%rip)
	movdqu %xmm4, \base+16*4(%rip)
	movdqu %xmm5, \base+16*5(%rip)
	movdqu %xmm6, \base+16*6(%rip)
	movdqu %xmm7, \base+16*7(%rip)
	movdqu %xmm8, \base+16*8(%rip)
	movdqu %xmm9, \base+16*9(%rip)
	movdqu %xmm10, \base+16*10(%rip)
	movdqu %xmm11, \base+16*11(%rip)
	movdqu %xmm12, \base+16*12(%rip)
	movdqu %xmm13, \base+16*13(%rip)
	movdqu %xmm14, \base+16*14(%rip)
	movdqu %xmm15, \base+16*15(%rip)
.endm

/* void hcf_tramp(void) */
	.globl hcf_tramp
hcf_tramp:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, hcf_saved_rsp(%rip)
	lea tramp_after(%rip), %rax
	mov %rax, hcf_stub_cont(%rip)
	/* The vector path is taken only for calls that ask for it: the
	 * agent is otherwise free of SSE (PVM's emulator kills on it). */
	testb $AS_CALL_VEC, hcf_cur_flags(%rip)
	jz 1f
	XMM_ALL movdqu, hcf_xmm_in
1:	testb $AS_CALL_TSC, hcf_cur_flags(%rip)
	jz 2f
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, hcf_tsc0(%rip)
2:	movq $1, hcf_in_call(%rip)
	pushq hcf_cur_rflags(%rip)
	popfq
	pushfq
	popq hcf_rflags_before(%rip)
	LOAD_GPRS
	jmp *hcf_cur_stub(%rip)

tramp_after:
	STORE_GPRS_NO_RSP
	mov %rsp, WR_GPR+8*4(%rax)
	mov hcf_saved_rsp(%rip), %rsp
	pushfq
	popq WR_RFL_AFTER(%rax)
	cld
	movq $0, hcf_in_call(%rip)
	movl $AS_WO_RETURNED, WR_OUTCOME(%rax)
	movl $0, WR_VECTOR(%rax)
	movq $0, WR_ERROR_CODE(%rax)
	movq $0, WR_FAULT_RIP(%rax)
	movq $0, WR_CR2(%rax)

tramp_finish:
	/* RAX: the result slot. Everything is written after the call, so a
	 * slot the hypervisor scribbled on during the call is either wholly
	 * rewritten here or left stale, never half fresh. RSP at the call was
	 * hcf_saved_rsp: nothing between saving it and the stub moves RSP. */
	mov hcf_saved_rsp(%rip), %rcx
	mov %rcx, WR_RSP_BEFORE(%rax)
	mov hcf_rflags_before(%rip), %rcx
	mov %rcx, WR_RFL_BEFORE(%rax)
	movq $0, WR_TSC_DELTA(%rax)
	testb $AS_CALL_TSC, hcf_cur_flags(%rip)
	jz 3f
	mov %rax, %rcx
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	sub hcf_tsc0(%rip), %rax
	mov %rax, WR_TSC_DELTA(%rcx)
3:	testb $AS_CALL_VEC, hcf_cur_flags(%rip)
	jz 4f
	XMM_STORE_ALL hcf_xmm_out
4:	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* void hcf_raw_loop(uint64_t count): the benchmark baseline, no capture. */
	.globl hcf_raw_loop
hcf_raw_loop:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, hcf_saved_rsp(%rip)
	mov %rdi, hcf_raw_count(%rip)
	lea raw_cont(%rip), %rax
	mov %rax, hcf_stub_cont(%rip)
	test %rdi, %rdi
	jz raw_done
raw_next:
	LOAD_GPRS
	jmp *hcf_cur_stub(%rip)
raw_cont:
	decq hcf_raw_count(%rip)
	jnz raw_next
raw_done:
	mov hcf_saved_rsp(%rip), %rsp
	cld
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/*
 * Instruction stubs: the call's instruction, then back through hcf_stub_cont.
 * PIO and MMIO take the port or address from RDX and the data from RAX.
 */
.macro STUB name, insn:vararg
	.globl hcf_stub_\name
hcf_stub_\name:
	\insn
	jmp *hcf_stub_cont(%rip)
.endm

	.align 16
	STUB none, nop
	STUB vmcall, vmcall
	STUB vmmcall, vmmcall
	STUB syscall, syscall
	STUB hcpage, call *hcf_cur_target(%rip)
	STUB rdmsr, rdmsr
	STUB wrmsr, wrmsr
	STUB pio_out1, outb %al, %dx
	STUB pio_out2, outw %ax, %dx
	STUB pio_out4, outl %eax, %dx
	STUB pio_in1, inb %dx, %al
	STUB pio_in2, inw %dx, %ax
	STUB pio_in4, inl %dx, %eax
	STUB mmio_w1, movb %al, (%rdx)
	STUB mmio_w2, movw %ax, (%rdx)
	STUB mmio_w4, movl %eax, (%rdx)
	STUB mmio_w8, movq %rax, (%rdx)
	STUB mmio_r1, movb (%rdx), %al
	STUB mmio_r2, movw (%rdx), %ax
	STUB mmio_r4, movl (%rdx), %eax
	STUB mmio_r8, movq (%rdx), %rax

/* int $n for every n: 8 bytes each (cd nn, then a 6-byte indirect jmp). */
	.align 8
	.globl hcf_stub_int_table
hcf_stub_int_table:
	.set vec, 0
	.rept 256
	.byte 0xcd, vec
	jmp *hcf_stub_cont(%rip)
	.set vec, vec + 1
	.endr

/*
 * Exception entries: push a zero error code where the CPU pushes none, then
 * the vector, then exc_common. 16 bytes each.
 */
	.align 16
exc_entries:
	.set vec, 0
	.rept 256
	.align 16
	.if ((vec < 32) && ((AS_ERRCODE_VECTORS >> vec) & 1))
	.else
	pushq $0
	.endif
	pushq $vec
	jmp exc_common
	.set vec, vec + 1
	.endr

	.section .rodata
	.align 8
	.globl hcf_exc_entry
hcf_exc_entry:
	.set vec, 0
	.rept 256
	.quad exc_entries + 16 * vec
	.set vec, vec + 1
	.endr

	.text
/*
 * Stack on entry: vector, error code, RIP, CS, RFLAGS, RSP, SS. Exception:
 * a software "int $n" to a vector that normally carries an error code pushes
 * none; exc_common recognises it from the call in flight.
 */
exc_common:
	cmpq $0, hcf_in_call(%rip)
	je exc_panic
	STORE_GPRS_NO_RSP               /* RAX: the result slot */
	mov (%rsp), %rsi                /* vector */
	mov %esi, WR_VECTOR(%rax)
	lea 16(%rsp), %rbx              /* frame: RIP onwards */
	mov 8(%rsp), %rcx               /* error code (or the pushed zero) */
	cmpq $AS_WX_INT, hcf_cur_xport(%rip)
	jne 5f
	cmp hcf_cur_vector(%rip), %rsi
	jne 5f
	cmp $32, %esi
	jae 5f
	mov $AS_ERRCODE_VECTORS, %edx
	bt %esi, %edx
	jnc 5f
	lea 8(%rsp), %rbx               /* no error code was pushed */
	xor %ecx, %ecx
5:	mov %rcx, WR_ERROR_CODE(%rax)
	mov 0(%rbx), %rdx
	mov %rdx, WR_FAULT_RIP(%rax)
	mov 16(%rbx), %rdx
	mov %rdx, WR_RFL_AFTER(%rax)
	mov 24(%rbx), %rdx
	mov %rdx, WR_GPR+8*4(%rax)
	xor %edx, %edx
	cmp $14, %esi
	jne 6f
	mov %cr2, %rdx
6:	mov %rdx, WR_CR2(%rax)
	movq $0, hcf_in_call(%rip)
	mov hcf_saved_rsp(%rip), %rsp
	cld
	movl $AS_WO_EXCEPTION, WR_OUTCOME(%rax)
	jmp tramp_finish

/* An exception outside a call: the agent itself broke. */
exc_panic:
	mov (%rsp), %rdi                /* vector */
	mov 8(%rsp), %rsi               /* error code */
	mov 16(%rsp), %rdx              /* RIP */
	xor %ecx, %ecx
	cmp $14, %edi
	jne 8f
	mov %cr2, %rcx
8:	mov $AS_XSTACK_HI, %rsp
	cld
	call agent_panic
7:	hlt
	jmp 7b
