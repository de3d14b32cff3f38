// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_clock.c - commit timestamps and the visible watermark.
 *
 * DOC: Visibility
 *
 * A snapshot must be a timestamp below which every commit is completely
 * installed, not the raw counter: a commit that took timestamp 7 may still
 * be installing while the one that took 8 has finished. So commits take a
 * timestamp with kvs_clock_begin(), install their versions, and report with
 * kvs_clock_end(); the watermark @visible then moves over every finished
 * timestamp that follows it, whoever finished it. Nobody waits for a
 * particular thread to advance it: any thread that finds the next slot done
 * moves it on.
 *
 * The ring bounds how far @last may run ahead of @visible; a commit that
 * would lap it waits in kvs_clock_begin(). Callers run begin..end inside a
 * kvs_nosleep_enter() window, so in the kernel the commits being waited for
 * are never preempted: waits are bounded by other CPUs' short windows.
 *
 * Ordering: a committer's installs happen before its release store to its
 * slot; the thread that sees the slot (acquire) advances @visible with a
 * fully ordered cmpxchg; a reader's kvs_clock_visible() is an acquire. So a
 * reader that sees visible >= ts sees every version of commit ts.
 */
#include "kvs_clock.h"

/**
 * kvs_clock_init() - set up a clock with nothing committed
 * @c: the clock
 * @gfp: allocation context
 *
 * Context: process context with KVS_GFP_KERNEL, any with KVS_GFP_ATOMIC.
 * Return: 0 or -ENOMEM.
 */
int kvs_clock_init(struct kvs_clock *c, kvs_gfp_t gfp)
{
	BUILD_BUG_ON(KVS_CLOCK_SLOTS & (KVS_CLOCK_SLOTS - 1));

	c->done = kvs_kvzalloc(KVS_CLOCK_SLOTS * sizeof(*c->done), gfp);
	if (!c->done)
		return -ENOMEM;
	kvs_atomic64_set(&c->last, 0);
	kvs_atomic64_set(&c->visible, 0);
	return 0;
}

/**
 * kvs_clock_destroy() - free a clock
 * @c: the clock, with no commit in flight
 *
 * Context: process context.
 */
void kvs_clock_destroy(struct kvs_clock *c)
{
	KVS_WARN_ON_ONCE(kvs_atomic64_read(&c->last) !=
			 kvs_atomic64_read(&c->visible));
	kvs_kvfree(c->done);
	c->done = NULL;
}

static kvs_atomic64_t *__kvs_clock_slot(struct kvs_clock *c, u64 ts)
{
	return &c->done[ts & (KVS_CLOCK_SLOTS - 1)];
}

/* Move @visible over every finished timestamp that follows it. */
static void __kvs_clock_advance(struct kvs_clock *c)
{
	s64 v = kvs_atomic64_read(&c->visible);

	for (;;) {
		s64 next = v + 1;

		if (kvs_atomic64_read_acquire(__kvs_clock_slot(c, next)) != next)
			return;
		/* On failure @v is the newer value: try from there. */
		kvs_atomic64_try_cmpxchg(&c->visible, &v, next);
	}
}

/**
 * kvs_clock_begin() - take the next commit timestamp
 * @c: the clock
 *
 * Every timestamp taken must be reported with kvs_clock_end(), whether the
 * commit installed anything or not, or @visible stops there for good.
 *
 * Context: inside a kvs_nosleep_enter() window. Spins, rarely: only when
 * KVS_CLOCK_SLOTS commits are in flight.
 * Return: the timestamp, greater than every one taken before.
 */
u64 kvs_clock_begin(struct kvs_clock *c)
{
	s64 last = kvs_atomic64_read(&c->last);

	for (;;) {
		/* The new slot must not still hold a commit @visible needs. */
		if (last + 1 - kvs_atomic64_read(&c->visible) >= KVS_CLOCK_SLOTS) {
			__kvs_clock_advance(c);
			kvs_cpu_relax();
			last = kvs_atomic64_read(&c->last);
			continue;
		}
		if (kvs_atomic64_try_cmpxchg(&c->last, &last, last + 1))
			return last + 1;
	}
}

/**
 * kvs_clock_end() - report that commit @ts has finished installing
 * @c: the clock
 * @ts: a timestamp from kvs_clock_begin(), reported once
 *
 * Context: inside the kvs_nosleep_enter() window of kvs_clock_begin().
 */
void kvs_clock_end(struct kvs_clock *c, u64 ts)
{
	kvs_atomic64_set_release(__kvs_clock_slot(c, ts), (s64)ts);
	__kvs_clock_advance(c);
}

/**
 * kvs_clock_wait_visible() - wait until commit @ts is visible to everyone
 * @c: the clock
 * @ts: a timestamp reported with kvs_clock_end()
 *
 * A writer calls it before it returns, so that its caller reads its own
 * writes. It waits only for commits with smaller timestamps, which are
 * inside their windows on other CPUs.
 *
 * Context: process or softirq context, outside any window; spins.
 */
void kvs_clock_wait_visible(struct kvs_clock *c, u64 ts)
{
	while ((u64)kvs_atomic64_read_acquire(&c->visible) < ts) {
		__kvs_clock_advance(c);
		kvs_cpu_relax();
	}
}
