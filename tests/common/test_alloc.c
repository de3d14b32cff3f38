// SPDX-License-Identifier: GPL-2.0
/*
 * test_alloc.c - the counting allocator and its failure injection.
 */
#include "kvs_tests.h"

#define SWEEP_ALLOCS	5

KVS_TEST(alloc_live_count)
{
	size_t big = 2 * KVS_ALLOC_MAX;
	unsigned char *a, *z, *v;
	size_t i;

	KVS_TEST_EQ(kvs_alloc_live(), 0);
	a = kvs_alloc(64, KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(a);
	KVS_TEST_EQ(kvs_alloc_live(), 1);
	memset(a, 1, 64);

	z = kvs_zalloc(100, KVS_GFP_ATOMIC);
	KVS_TEST_NOT_NULL(z);
	for (i = 0; i < 100; i++)
		KVS_TEST_EQ(z[i], 0);
	KVS_TEST_EQ(kvs_alloc_live(), 2);

	/* Larger than kmalloc can serve: vmalloc in the kernel. */
	v = kvs_kvzalloc(big, KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(v);
	KVS_TEST_EQ(v[0], 0);
	KVS_TEST_EQ(v[big - 1], 0);
	v[big - 1] = 1;
	KVS_TEST_EQ(kvs_alloc_live(), 3);

	kvs_free(a);
	KVS_TEST_EQ(kvs_alloc_live(), 2);
	kvs_free(NULL);
	kvs_kvfree(NULL);
	KVS_TEST_EQ(kvs_alloc_live(), 2);
	kvs_kvfree(v);
	kvs_kvfree(z);		/* kvfree takes kmalloc memory too */
	KVS_TEST_EQ(kvs_alloc_live(), 0);
}

KVS_TEST(alloc_size_bounds)
{
	void *p;

	/* kmalloc's bound applies to kvs_alloc() in both homes. */
	p = kvs_alloc(KVS_ALLOC_MAX + 1, KVS_GFP_KERNEL);
	KVS_TEST_NULL(p);
	p = kvs_zalloc(KVS_ALLOC_MAX + 1, KVS_GFP_ATOMIC);
	KVS_TEST_NULL(p);
	/* Atomic kvzalloc cannot fall back to vmalloc. */
	p = kvs_kvzalloc(KVS_ALLOC_MAX + 1, KVS_GFP_ATOMIC);
	KVS_TEST_NULL(p);
	KVS_TEST_EQ(kvs_alloc_live(), 0);
	KVS_TEST_WARNED(0);
}

/* The allocation made by step @i of the sweep, cycling through every kind. */
static void *sweep_alloc(unsigned int i)
{
	switch (i % 4) {
	case 0:
		return kvs_alloc(32, KVS_GFP_KERNEL);
	case 1:
		return kvs_zalloc(48, KVS_GFP_ATOMIC);
	case 2:
		return kvs_kvzalloc(4096, KVS_GFP_KERNEL);
	default:
		return kvs_alloc(8, KVS_GFP_ATOMIC);
	}
}

KVS_TEST(alloc_fail_nth_sweep)
{
	void *p[SWEEP_ALLOCS];
	unsigned int n, i;

	for (n = 1; n <= SWEEP_ALLOCS; n++) {
		kvs_fault_fail_nth(n);
		KVS_TEST_ASSERT(kvs_fault_armed());
		for (i = 0; i < SWEEP_ALLOCS; i++) {
			p[i] = sweep_alloc(i);
			/* Armed until the n-th allocation has failed. */
			KVS_TEST_EQ(kvs_fault_armed(), i + 1 < n);
		}
		for (i = 0; i < SWEEP_ALLOCS; i++) {
			if (i + 1 == n)
				KVS_TEST_NULL(p[i]);
			else
				KVS_TEST_NOT_NULL(p[i]);
		}
		KVS_TEST_EQ(kvs_alloc_live(), SWEEP_ALLOCS - 1);
		for (i = 0; i < SWEEP_ALLOCS; i++)
			kvs_kvfree(p[i]);
		KVS_TEST_EQ(kvs_alloc_live(), 0);
	}

	/* Beyond the sequence: nothing fails, still armed. */
	kvs_fault_fail_nth(SWEEP_ALLOCS + 1);
	for (i = 0; i < SWEEP_ALLOCS; i++) {
		p[i] = sweep_alloc(i);
		KVS_TEST_NOT_NULL(p[i]);
	}
	KVS_TEST_ASSERT(kvs_fault_armed());
	for (i = 0; i < SWEEP_ALLOCS; i++)
		kvs_kvfree(p[i]);
}

KVS_TEST(alloc_fail_nth_disarm)
{
	void *p[SWEEP_ALLOCS];
	unsigned int i;

	kvs_fault_fail_nth(2);
	KVS_TEST_ASSERT(kvs_fault_armed());
	kvs_fault_fail_nth(0);
	KVS_TEST_ASSERT(!kvs_fault_armed());
	for (i = 0; i < SWEEP_ALLOCS; i++) {
		p[i] = sweep_alloc(i);
		KVS_TEST_NOT_NULL(p[i]);
	}
	KVS_TEST_EQ(kvs_alloc_live(), SWEEP_ALLOCS);
	for (i = 0; i < SWEEP_ALLOCS; i++)
		kvs_kvfree(p[i]);

	/* A fired injection stays disarmed. */
	kvs_fault_fail_nth(1);
	p[0] = kvs_alloc(8, KVS_GFP_ATOMIC);
	KVS_TEST_NULL(p[0]);
	KVS_TEST_ASSERT(!kvs_fault_armed());
	p[0] = kvs_alloc(8, KVS_GFP_ATOMIC);
	KVS_TEST_NOT_NULL(p[0]);
	kvs_free(p[0]);
	KVS_TEST_EQ(kvs_alloc_live(), 0);
}
