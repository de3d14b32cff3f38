/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_tests.h - every test body shared by the cmocka program and the
 * in-kernel self-test. To add one: declare it here, define it with
 * KVS_TEST(name) { ... } in a tests/common/ source, and list it in
 * kvs_test_cases[] (kvs_test.c); both runners pick it up. A new source file
 * must also be #included by tests/kmod/kvs_selftest.c and is found by the
 * user-space Makefile's wildcard. Tests that break rules on purpose belong
 * in tests/unit/ (test_checks.c).
 */
#ifndef _KVS_TESTS_H
#define _KVS_TESTS_H

#include "kvs_test.h"

/* test_lock.c */
KVS_TEST(spin_owner);
KVS_TEST(spin_other_thread);
KVS_TEST(mutex_owner);
KVS_TEST(atomics);
/* test_alloc.c */
KVS_TEST(alloc_live_count);
KVS_TEST(alloc_size_bounds);
KVS_TEST(alloc_fail_nth_sweep);
KVS_TEST(alloc_fail_nth_disarm);
/* test_account.c */
KVS_TEST(account_charge_uncharge);
KVS_TEST(account_nested_all_or_nothing);
KVS_TEST(account_threaded_limit);
/* test_rcu.c */
KVS_TEST(rcu_read_nesting);
KVS_TEST(rcu_free_waits_for_own_reader);
KVS_TEST(rcu_free_waits_for_reader_thread);
KVS_TEST(rcu_call_rcu_callbacks);
KVS_TEST(rcu_stress_swap);
/* test_clock.c */
KVS_TEST(clock_out_of_order);
KVS_TEST(clock_ring_wrap);
KVS_TEST(clock_stress_visibility);
/* test_store.c */
KVS_TEST(store_table_ddl);
KVS_TEST(store_put_modes);
KVS_TEST(store_put_modes_ordered);
KVS_TEST(store_names_and_stats);
KVS_TEST(store_gc_runs_by_itself);
KVS_TEST(store_bad_input);
KVS_TEST(store_full_table);
KVS_TEST(store_full_store);
KVS_TEST(store_fail_nth);
KVS_TEST(store_lookup_batch);
KVS_TEST(store_gc_reclaims);
KVS_TEST(store_cas_no_lost_update);
KVS_TEST(store_readers_during_writes);
/* test_skiplist.c */
KVS_TEST(skl_model);
KVS_TEST(skl_init_and_heights);
KVS_TEST(skl_concurrent_writers);
KVS_TEST(skl_replace_race);
KVS_TEST(skl_softirq_writers);
KVS_TEST(skl_readers_churn);
KVS_TEST(skl_resume_scan);
/* test_work.c */
KVS_TEST(work_queue_flush_cancel);
KVS_TEST(work_queue_atomic_contexts);
/* test_hash.c */
KVS_TEST(siphash_vectors);
KVS_TEST(mem_eq);
KVS_TEST(hash_basic);
KVS_TEST(hash_key_shapes);
KVS_TEST(hash_params);
KVS_TEST(hash_long_chains);
KVS_TEST(hash_grow_shrink);
KVS_TEST(hash_readers_during_resize);
KVS_TEST(hash_readers_long_chains);
KVS_TEST(hash_concurrent_writers);
KVS_TEST(hash_softirq_writers);
KVS_TEST(hash_resize_fail_nth);

/* test_txn.c */
KVS_TEST(txn_basic);
KVS_TEST(txn_modes);
KVS_TEST(txn_write_skew);
KVS_TEST(txn_gc_lock_no_conflict);
KVS_TEST(txn_phantom);
KVS_TEST(txn_readonly_never_aborts);
KVS_TEST(txn_full_table);
KVS_TEST(txn_limits);
KVS_TEST(txn_fail_nth);
KVS_TEST(txn_table_dropped);
/* test_txn_mt.c */
KVS_TEST(scan_order_bounds);
KVS_TEST(scan_snapshot_consistent);
KVS_TEST(txn_bank);
KVS_TEST(txn_concurrent_counters);

#endif /* _KVS_TESTS_H */
