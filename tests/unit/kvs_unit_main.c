// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_unit_main.c - runs every test of tests/common/kvs_tests.h under cmocka.
 *
 *   kvs_unit [PATTERN]	run the tests whose name matches PATTERN (cmocka's
 *			filter: '*' and '?' wildcards)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kvs_tests.h"
#include "kvs_unit.h"

/* initial_state of the cmocka tests that expect warnings */
struct kvs_unit_case {
	const struct kvs_test_case *tc;
	bool quiet;
};

/* Setup, body and teardown are the shared runner's; cmocka only reports. */
static void kvs_cmocka_run(void **state)
{
	const struct kvs_unit_case *uc = *state;
	const struct kvs_test_case *tc = uc->tc;
	int failures;

	/* Tests that break rules on purpose: their warnings are expected. */
	__kvs_warn_set_quiet(uc->quiet);
	failures = kvs_test_run_case(tc);
	__kvs_warn_set_quiet(false);

	if (failures)
		fail_msg("%s: %d failed check(s), see the lines above", tc->name,
			 failures);
}

int main(int argc, char **argv)
{
	unsigned int i, n = kvs_test_ncases + kvs_unit_ncases;
	struct kvs_unit_case *cases;
	struct CMUnitTest *tests;
	int failed;

	tests = calloc(n, sizeof(*tests));
	cases = calloc(n, sizeof(*cases));
	if (!tests || !cases)
		return 1;
	/* The shared tests first, then the checks of the user-space home. */
	for (i = 0; i < n; i++) {
		if (i < kvs_test_ncases) {
			cases[i].tc = &kvs_test_cases[i];
		} else {
			cases[i].tc = &kvs_unit_cases[i - kvs_test_ncases];
			cases[i].quiet = true;
		}
		tests[i].name = cases[i].tc->name;
		tests[i].test_func = kvs_cmocka_run;
		tests[i].initial_state = &cases[i];
	}
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);

	/* The test bodies run in this thread and use RCU. */
	kvs_thread_register();
	failed = _cmocka_run_group_tests("kvs_unit", tests, n, NULL, NULL);
	kvs_thread_unregister();
	free(cases);
	free(tests);
	return failed ? 1 : 0;
}
