/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_clock.h - commit timestamps and the visible watermark.
 */
#ifndef _KVS_CLOCK_H
#define _KVS_CLOCK_H

#include "kvs_platform.h"

/* Commits that may be in flight at once: a power of two. */
#define KVS_CLOCK_SLOTS		4096

/**
 * struct kvs_clock - hands out commit timestamps, tracks what is visible
 * @last: the last timestamp handed out
 * @visible: every commit with a timestamp <= @visible has finished
 * @done: ring of KVS_CLOCK_SLOTS slots; slot (ts % KVS_CLOCK_SLOTS) holds
 *	  ts once the commit with that timestamp has finished
 *
 * Timestamps start at 1; 0 is "before every commit".
 */
struct kvs_clock {
	kvs_atomic64_t last;
	kvs_atomic64_t visible;
	kvs_atomic64_t *done;
};

int kvs_clock_init(struct kvs_clock *c, kvs_gfp_t gfp);
void kvs_clock_destroy(struct kvs_clock *c);
u64 kvs_clock_begin(struct kvs_clock *c);
void kvs_clock_end(struct kvs_clock *c, u64 ts);
void kvs_clock_wait_visible(struct kvs_clock *c, u64 ts);

/**
 * kvs_clock_visible() - the newest timestamp a snapshot may read at
 * @c: the clock
 *
 * Every commit at or below the returned timestamp has installed all its
 * versions, and those stores are visible to the caller (acquire).
 *
 * Context: any.
 * Return: the visible watermark.
 */
static inline u64 kvs_clock_visible(struct kvs_clock *c)
{
	return (u64)kvs_atomic64_read_acquire(&c->visible);
}

#endif /* _KVS_CLOCK_H */
