/*
 * interrupt.h: a process-wide "the user asked us to stop" flag.
 *
 * Set from a SIGINT/SIGTERM handler (async-signal-safe), polled by long loops
 * (executor, campaigns) so they stop at a clean point and keep what they found.
 * A layer that blocks (the VMM in KVM_RUN) registers a breaker, which the
 * handler calls after setting the flag.
 */
#ifndef HCF_INTERRUPT_H
#define HCF_INTERRUPT_H

#include <stdbool.h>

void hcf_interrupt_request(void);
bool hcf_interrupted(void);
/* Install SIGINT/SIGTERM handlers that request a stop (and call the breaker). */
void hcf_interrupt_install(void);
/* The one breaker: async-signal-safe, called from the handler after the flag
 * is set (the VMM's makes a running KVM_RUN return). NULL removes it. */
void hcf_interrupt_set_breaker(void (*breaker)(void));

#endif /* HCF_INTERRUPT_H */
