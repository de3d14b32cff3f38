// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_siphash.c - SipHash-2-4 (see kvs_siphash.h), from the paper's
 * description: the state is four 64-bit words initialized from the key and
 * the ASCII constant "somepseudorandomlygeneratedbytes"; every 8-byte
 * little-endian message word m is absorbed as v3 ^= m, two SipRounds,
 * v0 ^= m; the last word carries the message length (mod 256) in its top
 * byte; finalization is v2 ^= 0xff and four SipRounds, and the output is
 * v0 ^ v1 ^ v2 ^ v3.
 */
#include "kvs_siphash.h"

struct __kvs_sip_state {
	u64 v0, v1, v2, v3;
};

static inline u64 __kvs_sip_rotl(u64 x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

/* Little-endian load of @n (at most 8) bytes, whatever the host order. */
static inline u64 __kvs_sip_le(const u8 *p, unsigned int n)
{
	u64 m = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		m |= (u64)p[i] << (8 * i);
	return m;
}

static inline void __kvs_sip_round(struct __kvs_sip_state *s)
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

/* c = 2 compression rounds per message word. */
static inline void __kvs_sip_absorb(struct __kvs_sip_state *s, u64 m)
{
	s->v3 ^= m;
	__kvs_sip_round(s);
	__kvs_sip_round(s);
	s->v0 ^= m;
}

u64 kvs_siphash(const void *data, size_t len,
		const struct kvs_siphash_key *key)
{
	struct __kvs_sip_state s = {
		.v0 = key->k[0] ^ 0x736f6d6570736575ULL,	/* "somepseu" */
		.v1 = key->k[1] ^ 0x646f72616e646f6dULL,	/* "dorandom" */
		.v2 = key->k[0] ^ 0x6c7967656e657261ULL,	/* "lygenera" */
		.v3 = key->k[1] ^ 0x7465646279746573ULL,	/* "tedbytes" */
	};
	const u8 *p = data;
	size_t left = len;

	for (; left >= 8; left -= 8, p += 8)
		__kvs_sip_absorb(&s, __kvs_sip_le(p, 8));
	/* The last word: 0-7 remaining bytes, the length in the top byte. */
	__kvs_sip_absorb(&s, __kvs_sip_le(p, (unsigned int)left) |
			     ((u64)(len & 0xff) << 56));

	/* d = 4 finalization rounds. */
	s.v2 ^= 0xff;
	__kvs_sip_round(&s);
	__kvs_sip_round(&s);
	__kvs_sip_round(&s);
	__kvs_sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
