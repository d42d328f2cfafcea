/*
 * status.h: the live status line of long runs.
 *
 * On a terminal it is rewritten in place; in a log (CI) one line is printed
 * every few seconds at most, so progress stays visible without flooding.
 */
#ifndef HCF_STATUS_H
#define HCF_STATUS_H

void hcf_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* End the status line (a newline if one is showing). */
void hcf_status_done(void);
/* Erase a showing status line, for a result line to take its place; the
 * next hcf_status draws it again below. In a log it does nothing. */
void hcf_status_clear(void);

#endif /* HCF_STATUS_H */
