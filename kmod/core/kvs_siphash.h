/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_siphash.h - SipHash-2-4, the keyed hash the engine's hash index uses
 * so that a user who picks keys cannot pick collisions (hash flooding).
 *
 * Written from the specification in J.-P. Aumasson and D. J. Bernstein,
 * "SipHash: a fast short-input PRF" (INDOCRYPT 2012): 64-bit output, a
 * 128-bit secret key, two compression rounds per 8-byte word and four
 * finalization rounds.
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

/**
 * kvs_siphash() - SipHash-2-4 of a byte string
 * @data: the bytes; any alignment
 * @len: their number (may be 0)
 * @key: the secret key
 *
 * Context: any; reads only its arguments.
 * Return: the 64-bit SipHash-2-4 value of @data under @key.
 */
u64 kvs_siphash(const void *data, size_t len,
		const struct kvs_siphash_key *key);

#endif /* _KVS_SIPHASH_H */
