/* interrupt.c: the stop flag and the SIGINT/SIGTERM handlers that set it. */
#include "util/interrupt.h"

#include <signal.h>
#include <string.h>

#include "vmm/vmm.h"

static volatile sig_atomic_t flag;

void hcf_interrupt_request(void)
{
	flag = 1;
}

bool hcf_interrupted(void)
{
	return flag != 0;
}

static void on_signal(int sig)
{
	(void)sig;
	flag = 1;
	hcf_vmm_request_stop();
}

void hcf_interrupt_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* interrupt blocking calls (KVM_RUN) */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
