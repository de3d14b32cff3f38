// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_platform_kernel.c - state of the kernel home of the platform layer:
 * the warning counter and the per-CPU counters behind kvs_alloc_live() and
 * kvs_rcu_pending(). Each module that links the layer has its own copy.
 */
#include "kvs_platform.h"

static atomic_long_t kvs_warns = ATOMIC_LONG_INIT(0);

DEFINE_PER_CPU(long, __kvs_live_pcpu);
DEFINE_PER_CPU(long, __kvs_rcu_pending_pcpu);

void __kvs_warn_note(void)
{
	atomic_long_inc(&kvs_warns);
}

unsigned long kvs_warn_count(void)
{
	return atomic_long_read(&kvs_warns);
}

void kvs_warn_reset(void)
{
	atomic_long_set(&kvs_warns, 0);
}

/* Counters move on whichever CPU allocates or frees: only the sum means. */
static long kvs_pcpu_sum(long __percpu *counter)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(counter, cpu);
	return sum;
}

long kvs_alloc_live(void)
{
	return kvs_pcpu_sum(&__kvs_live_pcpu);
}

long kvs_rcu_pending(void)
{
	return kvs_pcpu_sum(&__kvs_rcu_pending_pcpu);
}

void __kvs_work_run(struct work_struct *work)
{
	struct kvs_work *w = container_of(work, struct kvs_work, work);

	w->fn(w);
}
