/* clock.h: the monotonic clock every duration in hcfuzz is measured with. */
#ifndef HCF_CLOCK_H
#define HCF_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Seconds and nanoseconds on CLOCK_MONOTONIC: for durations and deadlines,
 * never for dates. */
static inline double hcf_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t hcf_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds since the epoch on CLOCK_REALTIME, the host's wall clock:
 * only to bracket a run whose calls return that clock to the guest
 * (a spec's nondeterministic: {clock: realtime_ns}), never for durations. */
static inline uint64_t hcf_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* HCF_CLOCK_H */
