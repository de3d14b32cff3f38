/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_siphash.h - SipHash, the keyed hash the engine's hash index uses so
 * that a user who picks keys cannot pick collisions (hash flooding).
 *
 * Written from the specification in J.-P. Aumasson and D. J. Bernstein,
 * "SipHash: a fast short-input PRF" (INDOCRYPT 2012): 64-bit output, a
 * 128-bit secret key; the state is four 64-bit words initialized from the
 * key and the ASCII constant "somepseudorandomlygeneratedbytes"; every
 * 8-byte little-endian message word m is absorbed as v3 ^= m, c SipRounds,
 * v0 ^= m; the last word carries the message length (mod 256) in its top
 * byte; finalization is v2 ^= 0xff and d SipRounds, and the output is
 * v0 ^ v1 ^ v2 ^ v3.
 *
 * The index uses SipHash-1-3 (c = 1, d = 3), as the kernel's hsiphash()
 * does on 64-bit machines, as do CPython and Rust for their hash tables:
 * a hash table needs resistance to chosen collisions, not a PRF with the
 * paper's full margin, and a lookup of a short key spends much of its time
 * in the hash (1-3 is six rounds for a 16-byte key, 2-4 ten). The tests
 * check the shared code as SipHash-2-4 against the paper's reference
 * vectors and as SipHash-1-3 against vectors of an independent model that
 * also matches CPython's hash() (tests/common/siphash_vectors.py).
 */
#ifndef _KVS_SIPHASH_H
#define _KVS_SIPHASH_H

#include "kvs_platform.h"

/**
 * struct kvs_siphash_key - a 128-bit SipHash key
 * @k: the key as two little-endian 64-bit words: bytes 0-7 of the key are
 *     @k[0], bytes 8-15 are @k[1]
 */
struct kvs_siphash_key {
	u64 k[2];
};

struct __kvs_sip_state {
	u64 v0, v1, v2, v3;
};

static __always_inline u64 __kvs_sip_rotl(u64 x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

/* Little-endian load of the last @n (at most 7) bytes of a message. */
static __always_inline u64 __kvs_sip_tail(const u8 *p, unsigned int n)
{
	u64 m = 0;

	switch (n) {
	case 7:
		m |= (u64)p[6] << 48;
		fallthrough;
	case 6:
		m |= (u64)p[5] << 40;
		fallthrough;
	case 5:
		m |= (u64)p[4] << 32;
		fallthrough;
	case 4:
		m |= (u64)p[3] << 24;
		fallthrough;
	case 3:
		m |= (u64)p[2] << 16;
		fallthrough;
	case 2:
		m |= (u64)p[1] << 8;
		fallthrough;
	case 1:
		m |= p[0];
	}
	return m;
}

static __always_inline void __kvs_sip_round(struct __kvs_sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = __kvs_sip_rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = __kvs_sip_rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = __kvs_sip_rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = __kvs_sip_rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = __kvs_sip_rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = __kvs_sip_rotl(s->v2, 32);
}

/* @c compression rounds per message word. */
static __always_inline void __kvs_sip_absorb(struct __kvs_sip_state *s, u64 m,
					     unsigned int c)
{
	unsigned int i;

	s->v3 ^= m;
	for (i = 0; i < c; i++)
		__kvs_sip_round(s);
	s->v0 ^= m;
}

/**
 * kvs_siphash_cd() - SipHash-c-d of a byte string
 * @data: the bytes; any alignment
 * @len: their number (may be 0)
 * @key: the secret key
 * @c: compression rounds per 8-byte word (SipHash-2-4: 2)
 * @d: finalization rounds (SipHash-2-4: 4)
 *
 * Inline so that constant @c and @d unroll; the index uses kvs_siphash().
 *
 * Context: any; reads only its arguments.
 * Return: the 64-bit SipHash-@c-@d value of @data under @key.
 */
static __always_inline u64 kvs_siphash_cd(const void *data, size_t len,
					  const struct kvs_siphash_key *key,
					  unsigned int c, unsigned int d)
{
	struct __kvs_sip_state s = {
		.v0 = key->k[0] ^ 0x736f6d6570736575ULL,	/* "somepseu" */
		.v1 = key->k[1] ^ 0x646f72616e646f6dULL,	/* "dorandom" */
		.v2 = key->k[0] ^ 0x6c7967656e657261ULL,	/* "lygenera" */
		.v3 = key->k[1] ^ 0x7465646279746573ULL,	/* "tedbytes" */
	};
	const u8 *p = data;
	size_t left = len;
	unsigned int i;

	for (; left >= 8; left -= 8, p += 8)
		__kvs_sip_absorb(&s, kvs_load_le64(p), c);
	/* The last word: 0-7 remaining bytes, the length in the top byte. */
	__kvs_sip_absorb(&s, __kvs_sip_tail(p, (unsigned int)left) |
			     ((u64)(len & 0xff) << 56), c);
	s.v2 ^= 0xff;
	for (i = 0; i < d; i++)
		__kvs_sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/**
 * kvs_siphash() - SipHash-1-3 of a byte string: the index's hash
 * @data: the bytes; any alignment
 * @len: their number (may be 0)
 * @key: the secret key
 *
 * Context: any; reads only its arguments.
 * Return: the 64-bit SipHash-1-3 value of @data under @key.
 */
u64 kvs_siphash(const void *data, size_t len,
		const struct kvs_siphash_key *key);

#endif /* _KVS_SIPHASH_H */
