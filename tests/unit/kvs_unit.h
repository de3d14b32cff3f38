/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_unit.h - tests that only the user-space program runs: they break rules
 * on purpose to test the user-space home's checkers (test_checks.c). Their
 * warnings are expected and printed without stack traces.
 */
#ifndef _KVS_UNIT_H
#define _KVS_UNIT_H

#include "kvs_test.h"

KVS_TEST(spin_unlock_by_non_owner);
KVS_TEST(spin_recursive_and_bh_mismatch);
KVS_TEST(mutex_unlock_by_non_owner);
KVS_TEST(assert_held_detects);
KVS_TEST(might_sleep_detects);
KVS_TEST(rcu_checks_detect);
KVS_TEST(rcu_reader_must_register);
KVS_TEST(rcu_callback_is_atomic);
KVS_TEST(account_underflow_warns);
KVS_TEST(free_rcu_far_head_warns);

extern const struct kvs_test_case kvs_unit_cases[];
extern const unsigned int kvs_unit_ncases;

#endif /* _KVS_UNIT_H */
