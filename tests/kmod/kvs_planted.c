// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_planted: a test-only module with deliberate bugs, one per load, to
 * prove that the VM harness fails a run when the debug kernel reports one.
 * Never installed, never loaded outside the harness's expected-failure
 * boots.
 *
 *   insmod kvs_planted.ko bug=uaf|sleep_in_atomic|lock_inversion|leak|shift
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/compiler.h>

static char *bug = "none";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "Bug to plant: none, uaf, sleep_in_atomic, lock_inversion, leak, shift");

static unsigned int shift_by = 40;
module_param(shift_by, uint, 0444);
MODULE_PARM_DESC(shift_by, "Shift count for bug=shift (>= 32 is undefined)");

static DEFINE_SPINLOCK(kvs_planted_spin);
static DEFINE_MUTEX(kvs_planted_a);
static DEFINE_MUTEX(kvs_planted_b);

static noinline int kvs_planted_uaf(void)
{
	char *p = kmalloc(64, GFP_KERNEL);
	char c;

	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, 64);
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	c = READ_ONCE(p[8]);	/* KASAN: use-after-free */
	pr_info("read %#x after free\n", c);
	return 0;
}

static noinline int kvs_planted_sleep_in_atomic(void)
{
	/* A sleeping lock under a spinlock: might_sleep() complains. */
	spin_lock(&kvs_planted_spin);
	mutex_lock(&kvs_planted_a);
	mutex_unlock(&kvs_planted_a);
	spin_unlock(&kvs_planted_spin);
	return 0;
}

static noinline int kvs_planted_lock_inversion(void)
{
	/* A then B, later B then A: lockdep sees the cycle without a hang. */
	mutex_lock(&kvs_planted_a);
	mutex_lock(&kvs_planted_b);
	mutex_unlock(&kvs_planted_b);
	mutex_unlock(&kvs_planted_a);

	mutex_lock(&kvs_planted_b);
	mutex_lock(&kvs_planted_a);
	mutex_unlock(&kvs_planted_a);
	mutex_unlock(&kvs_planted_b);
	return 0;
}

static noinline int kvs_planted_leak(void)
{
	char *p = kmalloc(256, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	strscpy(p, "kvs_planted leak", 256);
	OPTIMIZER_HIDE_VAR(p);
	p = NULL;		/* the only reference is gone: kmemleak */
	return 0;
}

static noinline int kvs_planted_shift(void)
{
	unsigned int by = READ_ONCE(shift_by);
	int one = 1;

	OPTIMIZER_HIDE_VAR(one);
	pr_info("1 << %u = %d\n", by, one << by);	/* UBSAN: shift-out-of-bounds */
	return 0;
}

static const struct {
	const char *name;
	int (*plant)(void);
} kvs_planted_bugs[] = {
	{ "uaf",		kvs_planted_uaf },
	{ "sleep_in_atomic",	kvs_planted_sleep_in_atomic },
	{ "lock_inversion",	kvs_planted_lock_inversion },
	{ "leak",		kvs_planted_leak },
	{ "shift",		kvs_planted_shift },
};

static int __init kvs_planted_init(void)
{
	size_t i;

	if (!strcmp(bug, "none"))
		return 0;
	for (i = 0; i < ARRAY_SIZE(kvs_planted_bugs); i++) {
		if (!strcmp(bug, kvs_planted_bugs[i].name)) {
			pr_info("planting %s\n", bug);
			return kvs_planted_bugs[i].plant();
		}
	}
	pr_err("unknown bug '%s'\n", bug);
	return -EINVAL;
}

static void __exit kvs_planted_exit(void)
{
}

module_init(kvs_planted_init);
module_exit(kvs_planted_exit);

MODULE_DESCRIPTION("kvstore test harness: planted bugs the debug kernel must report");
MODULE_LICENSE("GPL");
