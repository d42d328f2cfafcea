/*
 * campaign_cov.h: a campaign's spec coverage matrix, the sum of what its
 * fuzzing processes wrote into DIR/stats/<engine>-<pid>.coverage.
 *
 * Every fuzzing process (fuzz/session.c) feeds a matrix of its own and
 * writes it about once a second; libFuzzer's fork mode starts many over a
 * campaign. Reading them all every second would grow with the campaign, so
 * the file of a process that has ended is read once, when it is first seen
 * ended, and kept in a running sum; only the files of live processes are
 * read every time. A file whose bytes change after its process ended (its
 * pid reused by a new process) counts as a new one.
 */
#ifndef HCF_CAMPAIGN_COV_H
#define HCF_CAMPAIGN_COV_H

#include <stddef.h>

#include "reports/coverage.h"
#include "spec/spec.h"

struct hcf_campaign_cov;

/* The matrix of abi (which must outlive it) for campaign directory dir. */
struct hcf_campaign_cov *hcf_campaign_cov_new(const struct hcf_abi *abi, const char *spec_path,
					      const char *dir);
/* Read the processes' files as above; returns the sum, valid until the next
 * call or free. A file that is not a matrix of this spec is skipped and
 * counted (hcf_campaign_cov_skipped). */
const struct hcf_cov *hcf_campaign_cov_read(struct hcf_campaign_cov *cc);
/* Files skipped so far: unreadable, or not of this spec. */
size_t hcf_campaign_cov_skipped(const struct hcf_campaign_cov *cc);
/* The sum as last read into DIR/coverage.json, atomically. 0, or -1 with
 * errno. */
int hcf_campaign_cov_save(const struct hcf_campaign_cov *cc);
void hcf_campaign_cov_free(struct hcf_campaign_cov *cc);

#endif /* HCF_CAMPAIGN_COV_H */
