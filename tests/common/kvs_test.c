// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_test.c - the runner logic both homes share: the test table, failure
 * recording, the per-test setup and teardown, and waiting helpers.
 */
#include "kvs_tests.h"

const struct kvs_test_case kvs_test_cases[] = {
	KVS_TEST_CASE(spin_owner, 0),
	KVS_TEST_CASE(spin_other_thread, KVS_TEST_SMP),
	KVS_TEST_CASE(mutex_owner, 0),
	KVS_TEST_CASE(atomics, 0),
	KVS_TEST_CASE(alloc_live_count, 0),
	KVS_TEST_CASE(alloc_size_bounds, 0),
	KVS_TEST_CASE(alloc_fail_nth_sweep, 0),
	KVS_TEST_CASE(alloc_fail_nth_disarm, 0),
	KVS_TEST_CASE(account_charge_uncharge, 0),
	KVS_TEST_CASE(account_nested_all_or_nothing, 0),
	KVS_TEST_CASE(account_threaded_limit, 0),
	KVS_TEST_CASE(rcu_read_nesting, 0),
	KVS_TEST_CASE(rcu_free_waits_for_own_reader, 0),
	KVS_TEST_CASE(rcu_free_waits_for_reader_thread, KVS_TEST_SMP),
	KVS_TEST_CASE(rcu_call_rcu_callbacks, 0),
	KVS_TEST_CASE(rcu_stress_swap, 0),
	KVS_TEST_CASE(clock_out_of_order, 0),
	KVS_TEST_CASE(clock_ring_wrap, 0),
	KVS_TEST_CASE(clock_stress_visibility, 0),
	KVS_TEST_CASE(store_table_ddl, 0),
	KVS_TEST_CASE(store_put_modes, 0),
	KVS_TEST_CASE(store_put_modes_ordered, 0),
	KVS_TEST_CASE(store_names_and_stats, 0),
	KVS_TEST_CASE(store_gc_runs_by_itself, 0),
	KVS_TEST_CASE(store_bad_input, 0),
	KVS_TEST_CASE(store_full_table, 0),
	KVS_TEST_CASE(store_full_store, 0),
	KVS_TEST_CASE(store_fail_nth, 0),
	KVS_TEST_CASE(store_lookup_batch, 0),
	KVS_TEST_CASE(store_gc_reclaims, 0),
	KVS_TEST_CASE(store_cas_no_lost_update, 0),
	KVS_TEST_CASE(store_readers_during_writes, 0),
	KVS_TEST_CASE(skl_model, 0),
	KVS_TEST_CASE(skl_init_and_heights, 0),
	KVS_TEST_CASE(skl_concurrent_writers, 0),
	KVS_TEST_CASE(skl_replace_race, 0),
	KVS_TEST_CASE(skl_softirq_writers, 0),
	KVS_TEST_CASE(skl_readers_churn, 0),
	KVS_TEST_CASE(skl_resume_scan, 0),
	KVS_TEST_CASE(work_queue_flush_cancel, 0),
	KVS_TEST_CASE(work_queue_atomic_contexts, 0),
	KVS_TEST_CASE(siphash_vectors, 0),
	KVS_TEST_CASE(mem_eq, 0),
	KVS_TEST_CASE(hash_basic, 0),
	KVS_TEST_CASE(hash_key_shapes, 0),
	KVS_TEST_CASE(hash_params, 0),
	KVS_TEST_CASE(hash_long_chains, 0),
	KVS_TEST_CASE(hash_grow_shrink, 0),
	KVS_TEST_CASE(hash_readers_during_resize, 0),
	KVS_TEST_CASE(hash_readers_long_chains, 0),
	KVS_TEST_CASE(hash_concurrent_writers, 0),
	KVS_TEST_CASE(hash_softirq_writers, 0),
	KVS_TEST_CASE(hash_resize_fail_nth, 0),
	KVS_TEST_CASE(txn_basic, 0),
	KVS_TEST_CASE(txn_modes, 0),
	KVS_TEST_CASE(txn_write_skew, 0),
	KVS_TEST_CASE(txn_gc_lock_no_conflict, 0),
	KVS_TEST_CASE(txn_phantom, 0),
	KVS_TEST_CASE(txn_readonly_never_aborts, 0),
	KVS_TEST_CASE(txn_full_table, 0),
	KVS_TEST_CASE(txn_limits, 0),
	KVS_TEST_CASE(txn_fail_nth, 0),
	KVS_TEST_CASE(txn_table_dropped, 0),
	KVS_TEST_CASE(scan_order_bounds, 0),
	KVS_TEST_CASE(scan_snapshot_consistent, 0),
	KVS_TEST_CASE(txn_bank, 0),
	KVS_TEST_CASE(txn_concurrent_counters, 0),
};

const unsigned int kvs_test_ncases = ARRAY_SIZE(kvs_test_cases);

static kvs_atomic_t kvs_test_failures = KVS_ATOMIC_INIT(0);

static __printf(3, 0) void kvs_test_vfail(const char *file, int line,
					   const char *fmt, va_list ap)
{
	kvs_atomic_inc(&kvs_test_failures);
	kvs_test_log("%s:%d: failure in test", file, line);
	kvs_test_vlog(fmt, ap);
}

void __kvs_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvs_test_vfail(file, line, fmt, ap);
	va_end(ap);
}

void __kvs_test_abort(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvs_test_vfail(file, line, fmt, ap);
	va_end(ap);
	kvs_test_end();
	kvs_test_log("%s:%d: assertion outside a test thread, going on", file,
		     line);
}

/* Allocations an earlier, failed test leaked: reported there, not again. */
static long kvs_test_leaked;

/* Every test ends here: no callback, allocation or warning may outlive it. */
static void kvs_test_teardown(void)
{
	unsigned long warns;
	long live;

	kvs_fault_fail_nth(0);
	kvs_rcu_barrier();
	warns = kvs_warn_count();
	kvs_warn_reset();
	live = kvs_alloc_live();
	/* Not in the body any more: checks that record and go on. */
	if (kvs_rcu_pending())
		__kvs_test_fail(__FILE__, __LINE__,
				"kvs_rcu_pending() is %ld after kvs_rcu_barrier()",
				kvs_rcu_pending());
	if (warns)
		__kvs_test_fail(__FILE__, __LINE__,
				"%lu warning(s) fired during the test", warns);
	if (live != kvs_test_leaked) {
		__kvs_test_fail(__FILE__, __LINE__,
				"kvs_alloc_live() is %ld after the test, expected %ld",
				live, kvs_test_leaked);
		kvs_test_leaked = live;
	}
}

int kvs_test_run_case(const struct kvs_test_case *tc)
{
	kvs_atomic_set(&kvs_test_failures, 0);
	kvs_fault_fail_nth(0);
	kvs_warn_reset();
	kvs_test_run_body(tc->fn);
	if (kvs_test_thread_cleanup())
		__kvs_test_fail(__FILE__, __LINE__,
				"the test left a lock held or an RCU read section open");
	kvs_test_teardown();
	return kvs_atomic_read(&kvs_test_failures);
}

static bool kvs_test_wait(kvs_atomic_t *v, int val, unsigned int timeout_ms,
			  bool may_sleep)
{
	u64 deadline = kvs_ktime_ns() + (u64)timeout_ms * 1000000;

	while (kvs_atomic_read(v) != val) {
		if (kvs_ktime_ns() > deadline)
			return false;
		if (may_sleep)
			kvs_test_yield();
		else
			kvs_test_cpu_relax();
	}
	return true;
}

bool kvs_test_wait_atomic(kvs_atomic_t *v, int val, unsigned int timeout_ms)
{
	return kvs_test_wait(v, val, timeout_ms, false);
}

bool kvs_test_wait_for(kvs_atomic_t *v, int val, unsigned int timeout_ms)
{
	return kvs_test_wait(v, val, timeout_ms, true);
}

void kvs_test_spin_ms(unsigned int ms)
{
	u64 deadline = kvs_ktime_ns() + (u64)ms * 1000000;

	while (kvs_ktime_ns() < deadline)
		kvs_test_cpu_relax();
}
