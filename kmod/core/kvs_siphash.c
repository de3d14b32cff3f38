// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_siphash.c - the index's hash, SipHash-1-3 (see kvs_siphash.h).
 */
#include "kvs_siphash.h"

u64 kvs_siphash(const void *data, size_t len,
		const struct kvs_siphash_key *key)
{
	return kvs_siphash_cd(data, len, key, 1, 3);
}
