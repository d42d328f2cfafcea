/*
 * xalloc.h: allocation that cannot return NULL.
 *
 * hcfuzz has no sensible way to go on without memory for its own bookkeeping,
 * so these print the request and abort. Everything sized by input (guest
 * results, corpus files) is bounded before it gets here.
 */
#ifndef HCF_XALLOC_H
#define HCF_XALLOC_H

#include <stddef.h>

void *hcf_xmalloc(size_t n);
void *hcf_xcalloc(size_t n, size_t size);
void *hcf_xrealloc(void *p, size_t n);
void *hcf_xreallocarray(void *p, size_t n, size_t size);
char *hcf_xstrdup(const char *s);
char *hcf_xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *hcf_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* HCF_XALLOC_H */
