/*
 * interrupt.h: a process-wide "the user asked us to stop" flag.
 *
 * Set from a SIGINT/SIGTERM handler (async-signal-safe), polled by long loops
 * (executor, campaigns) so they stop at a clean point and keep what they found.
 * The VMM additionally breaks a running KVM_RUN (hcf_vmm_request_stop).
 */
#ifndef HCF_INTERRUPT_H
#define HCF_INTERRUPT_H

#include <stdbool.h>

void hcf_interrupt_request(void);
bool hcf_interrupted(void);
/* Install SIGINT/SIGTERM handlers that request a stop (and break KVM_RUN). */
void hcf_interrupt_install(void);

#endif /* HCF_INTERRUPT_H */
