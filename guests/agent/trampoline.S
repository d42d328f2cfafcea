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
hcf_cur_call:	.skip 152
hcf_cur_res:	.skip 200
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

/* Load every GPR but RSP from hcf_cur_call, RAX last. */
.macro LOAD_GPRS
	mov hcf_cur_call+WC_GPR+8*1(%rip), %rcx
	mov hcf_cur_call+WC_GPR+8*2(%rip), %rdx
	mov hcf_cur_call+WC_GPR+8*3(%rip), %rbx
	mov hcf_cur_call+WC_GPR+8*5(%rip), %rbp
	mov hcf_cur_call+WC_GPR+8*6(%rip), %rsi
	mov hcf_cur_call+WC_GPR+8*7(%rip), %rdi
	mov hcf_cur_call+WC_GPR+8*8(%rip), %r8
	mov hcf_cur_call+WC_GPR+8*9(%rip), %r9
	mov hcf_cur_call+WC_GPR+8*10(%rip), %r10
	mov hcf_cur_call+WC_GPR+8*11(%rip), %r11
	mov hcf_cur_call+WC_GPR+8*12(%rip), %r12
	mov hcf_cur_call+WC_GPR+8*13(%rip), %r13
	mov hcf_cur_call+WC_GPR+8*14(%rip), %r14
	mov hcf_cur_call+WC_GPR+8*15(%rip), %r15
	mov hcf_cur_call+WC_GPR+8*0(%rip), %rax
.endm

/* Store every GPR but RSP into hcf_cur_res. */
.macro STORE_GPRS_NO_RSP
	mov %rax, hcf_cur_res+WR_GPR+8*0(%rip)
	mov %rcx, hcf_cur_res+WR_GPR+8*1(%rip)
	mov %rdx, hcf_cur_res+WR_GPR+8*2(%rip)
	mov %rbx, hcf_cur_res+WR_GPR+8*3(%rip)
	mov %rbp, hcf_cur_res+WR_GPR+8*5(%rip)
	mov %rsi, hcf_cur_res+WR_GPR+8*6(%rip)
	mov %rdi, hcf_cur_res+WR_GPR+8*7(%rip)
	mov %r8, hcf_cur_res+WR_GPR+8*8(%rip)
	mov %r9, hcf_cur_res+WR_GPR+8*9(%rip)
	mov %r10, hcf_cur_res+WR_GPR+8*10(%rip)
	mov %r11, hcf_cur_res+WR_GPR+8*11(%rip)
	mov %r12, hcf_cur_res+WR_GPR+8*12(%rip)
	mov %r13, hcf_cur_res+WR_GPR+8*13(%rip)
	mov %r14, hcf_cur_res+WR_GPR+8*14(%rip)
	mov %r15, hcf_cur_res+WR_GPR+8*15(%rip)
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
	testb $AS_CALL_VEC, hcf_cur_call+WC_FLAGS(%rip)
	jz 1f
	XMM_ALL movdqu, hcf_xmm_in
1:	testb $AS_CALL_TSC, hcf_cur_call+WC_FLAGS(%rip)
	jz 2f
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, hcf_tsc0(%rip)
2:	movq $1, hcf_in_call(%rip)
	pushq hcf_cur_rflags(%rip)
	popfq
	pushfq
	popq hcf_cur_res+WR_RFL_BEFORE(%rip)
	mov %rsp, hcf_cur_res+WR_RSP_BEFORE(%rip)
	LOAD_GPRS
	jmp *hcf_cur_stub(%rip)

tramp_after:
	STORE_GPRS_NO_RSP
	mov %rsp, hcf_cur_res+WR_GPR+8*4(%rip)
	mov hcf_saved_rsp(%rip), %rsp
	pushfq
	popq hcf_cur_res+WR_RFL_AFTER(%rip)
	cld
	movq $0, hcf_in_call(%rip)
	movl $AS_WO_RETURNED, hcf_cur_res+WR_OUTCOME(%rip)
	movl $0, hcf_cur_res+WR_VECTOR(%rip)
	movq $0, hcf_cur_res+WR_ERROR_CODE(%rip)
	movq $0, hcf_cur_res+WR_FAULT_RIP(%rip)
	movq $0, hcf_cur_res+WR_CR2(%rip)

tramp_finish:
	testb $AS_CALL_TSC, hcf_cur_call+WC_FLAGS(%rip)
	jz 3f
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	sub hcf_tsc0(%rip), %rax
	mov %rax, hcf_cur_res+WR_TSC_DELTA(%rip)
3:	testb $AS_CALL_VEC, hcf_cur_call+WC_FLAGS(%rip)
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
	STUB hcpage, call *hcf_cur_call+WC_TARGET(%rip)
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
	STORE_GPRS_NO_RSP
	mov (%rsp), %rax
	mov %eax, hcf_cur_res+WR_VECTOR(%rip)
	lea 16(%rsp), %rbx              /* frame: RIP onwards */
	mov 8(%rsp), %rcx               /* error code (or the pushed zero) */
	cmpq $0, hcf_in_call(%rip)
	je 5f
	cmpb $AS_WX_INT, hcf_cur_call+WC_XPORT(%rip)
	jne 5f
	movzbl hcf_cur_call+WC_VECTOR(%rip), %edx
	cmp %edx, %eax
	jne 5f
	cmp $32, %eax
	jae 5f
	mov $AS_ERRCODE_VECTORS, %edx
	bt %eax, %edx
	jnc 5f
	lea 8(%rsp), %rbx               /* no error code was pushed */
	xor %ecx, %ecx
5:	mov %rcx, hcf_cur_res+WR_ERROR_CODE(%rip)
	mov 0(%rbx), %rdx
	mov %rdx, hcf_cur_res+WR_FAULT_RIP(%rip)
	mov 16(%rbx), %rdx
	mov %rdx, hcf_cur_res+WR_RFL_AFTER(%rip)
	mov 24(%rbx), %rdx
	mov %rdx, hcf_cur_res+WR_GPR+8*4(%rip)
	xor %edx, %edx
	cmp $14, %eax
	jne 6f
	mov %cr2, %rdx
6:	mov %rdx, hcf_cur_res+WR_CR2(%rip)
	cmpq $0, hcf_in_call(%rip)
	je exc_panic
	movq $0, hcf_in_call(%rip)
	mov hcf_saved_rsp(%rip), %rsp
	cld
	movl $AS_WO_EXCEPTION, hcf_cur_res+WR_OUTCOME(%rip)
	jmp tramp_finish

exc_panic:
	mov $AS_XSTACK_HI, %rsp
	cld
	mov %rax, %rdi                  /* vector */
	mov hcf_cur_res+WR_ERROR_CODE(%rip), %rsi
	mov hcf_cur_res+WR_FAULT_RIP(%rip), %rdx
	mov hcf_cur_res+WR_CR2(%rip), %rcx
	call agent_panic
7:	hlt
	jmp 7b
