/* interrupt.c: the stop flag and the SIGINT/SIGTERM handlers that set it. */
#include "util/interrupt.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>

static volatile sig_atomic_t flag;
static void (*volatile breaker)(void);

void hcf_interrupt_request(void)
{
	flag = 1;
	void (*b)(void) = breaker;
	if (b)
		b();
}

bool hcf_interrupted(void)
{
	return flag != 0;
}

void hcf_interrupt_set_breaker(void (*fn)(void))
{
	breaker = fn;
}

static void on_signal(int sig)
{
	(void)sig;
	hcf_interrupt_request();
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
