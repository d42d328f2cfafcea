/*
 * nested_wire.h: the messages between hcfuzz and its runner inside a Linux
 * guest (the kvm-nested target), and the encoding of what they carry.
 *
 * The runner (harness/nested/runner.c) drives the in-process kvm target on
 * the guest kernel's /dev/kvm; hcfuzz sends it the spec and programs and gets
 * results back over a serial line. Every message is a head (magic "HCFN",
 * version, type, sequence number, payload length, FNV-1a checks of the head
 * and of the payload) and its payload. Payloads are little-endian fields written and read
 * through the bounds-checked buffers below: whatever the guest sends is
 * untrusted, and a message that does not decode is a protocol violation,
 * never a crash.
 */
#ifndef HCF_NESTED_WIRE_H
#define HCF_NESTED_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prog/prog.h"
#include "target/result.h"
#include "target/target.h"

#define HCF_NMSG_MAGIC 0x4e464348u      /* "HCFN" */
#define HCF_NMSG_VERSION 2u     /* 2: the counts carry restores */
#define HCF_NMSG_MAX (8u << 20)         /* payload bytes in one message */

enum hcf_nmsg_type {
	HCF_NM_HELLO = 1,   /* runner: up, /dev/kvm open (kernel release, KVM API, boot ms) */
	HCF_NM_OPEN,        /* hcfuzz: the spec's files and the target options */
	HCF_NM_OPENED,      /* runner: the kvm target is open (its info) */
	HCF_NM_RUN,         /* hcfuzz: a program, in the text format */
	HCF_NM_RESULT,      /* runner: its result (and the info's counters) */
	HCF_NM_RESET,       /* hcfuzz: back to the boot snapshot */
	HCF_NM_RAW,         /* hcfuzz: a program's first call in a bare loop (iterations) */
	HCF_NM_EMPTY,       /* hcfuzz: one empty round trip of the agent */
	HCF_NM_DONE,        /* runner: RESET, RAW or EMPTY done (status, seconds, counters) */
	HCF_NM_ERROR,       /* runner: a request failed (why) */
	HCF_NM_TYPES
};

struct hcf_nmsg_head {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t seq;
	uint32_t len;       /* payload bytes that follow */
	uint32_t head_check;/* FNV-1a (low 32 bits) of the 16 bytes above: a garbled
	                       length is caught before anything waits for it */
	uint32_t check;     /* FNV-1a (low 32 bits) of the payload */
};

/* ---- payload buffers ------------------------------------------------------ */

/* A payload being written (grows; hcf_xalloc). */
struct hcf_wbuf {
	uint8_t *p;
	size_t len, cap;
};
void hcf_wbuf_bytes(struct hcf_wbuf *w, const void *p, size_t n);
void hcf_wbuf_u8(struct hcf_wbuf *w, uint8_t v);
void hcf_wbuf_u32(struct hcf_wbuf *w, uint32_t v);
void hcf_wbuf_u64(struct hcf_wbuf *w, uint64_t v);
void hcf_wbuf_f64(struct hcf_wbuf *w, double v);
/* A length (u32) and the bytes; a NULL string as length 0. */
void hcf_wbuf_blob(struct hcf_wbuf *w, const void *p, size_t n);
void hcf_wbuf_str(struct hcf_wbuf *w, const char *s);
void hcf_wbuf_free(struct hcf_wbuf *w);

/* A payload being read: every get is bounds-checked; the first failure sets
 * bad (with what and where) and every later get returns zeros. */
struct hcf_rbuf {
	const uint8_t *p;
	size_t len, off;
	bool bad;
	char why[96];
};
void hcf_rbuf_init(struct hcf_rbuf *r, const void *p, size_t len);
void hcf_rbuf_fail(struct hcf_rbuf *r, const char *what);
void hcf_rbuf_bytes(struct hcf_rbuf *r, void *out, size_t n);
uint8_t hcf_rbuf_u8(struct hcf_rbuf *r);
uint32_t hcf_rbuf_u32(struct hcf_rbuf *r);
uint64_t hcf_rbuf_u64(struct hcf_rbuf *r);
double hcf_rbuf_f64(struct hcf_rbuf *r);
/* A blob at most max bytes long: where it is inside the payload, and its
 * length (NULL, 0 when bad). */
const uint8_t *hcf_rbuf_blob(struct hcf_rbuf *r, size_t max, size_t *n);
/* A string into out (len bytes with the NUL): longer ones are cut, bytes
 * outside printable ASCII become '?'. */
void hcf_rbuf_str(struct hcf_rbuf *r, char *out, size_t len);
/* Every byte was read: else bad ("trailing bytes"). */
void hcf_rbuf_end(struct hcf_rbuf *r);

/* ---- messages on a byte stream -------------------------------------------- */

/* Write one message to fd (blocking, all of it). 0, or -1 with errno. */
int hcf_nmsg_send(int fd, enum hcf_nmsg_type type, uint32_t seq, const void *payload, size_t len);

/* Bytes read from a stream, until they make a message. */
struct hcf_nmsg_reader {
	uint8_t *buf;
	size_t len, cap;
};
enum hcf_nmsg_status { HCF_NMSG_NEED = 0, HCF_NMSG_OK, HCF_NMSG_GARBAGE };
/* Room for at least want more bytes at r->buf + r->len. */
uint8_t *hcf_nmsg_room(struct hcf_nmsg_reader *r, size_t want);
/*
 * The first message in the reader: HCF_NMSG_OK with *head and its payload
 * (valid until hcf_nmsg_drop), HCF_NMSG_NEED when it is not whole yet, or
 * HCF_NMSG_GARBAGE with why (a wrong magic, version, type, length or check).
 */
enum hcf_nmsg_status hcf_nmsg_take(struct hcf_nmsg_reader *r, struct hcf_nmsg_head *head,
				   const uint8_t **payload, char *why, size_t whylen);
/* Drop the message hcf_nmsg_take returned (its payload is gone). */
void hcf_nmsg_drop(struct hcf_nmsg_reader *r, const struct hcf_nmsg_head *head);
void hcf_nmsg_reader_free(struct hcf_nmsg_reader *r);
/* "hello", "run" ... for messages that came at the wrong time. */
const char *hcf_nmsg_type_name(uint32_t type);

/* ---- what the messages carry ---------------------------------------------- */

void hcf_nested_put_info(struct hcf_wbuf *w, const struct hcf_target_info *ti);
void hcf_nested_get_info(struct hcf_rbuf *r, struct hcf_target_info *ti);
/* The running counts only (resets, pages restored, restores, rebuilds). */
void hcf_nested_put_counts(struct hcf_wbuf *w, const struct hcf_target_info *ti);
void hcf_nested_get_counts(struct hcf_rbuf *r, struct hcf_target_info *ti);

/* A program's result. */
void hcf_nested_put_result(struct hcf_wbuf *w, const struct hcf_prog_result *res);
/*
 * The result of program p, into res (storage reserved for p): every count,
 * kind and size checked against p and the limits of result.h. Call details
 * point at res->detail or at strings kept for the life of the process. 0, or
 * -1 with r->bad and r->why (res then holds nothing to judge). What follows
 * the result in the payload is the caller's to read (and hcf_rbuf_end).
 */
int hcf_nested_get_result(struct hcf_rbuf *r, const struct hcf_prog *p, struct hcf_prog_result *res);

#endif /* HCF_NESTED_WIRE_H */
