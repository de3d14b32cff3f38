// SPDX-License-Identifier: GPL-2.0
/*
 * kvstore: module entry, parameters and the /dev/kvstore misc device.
 *
 * The device is an ioctl proxy; this file only translates user memory,
 * credentials and errno. Store logic lives in core/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include <linux/mm.h>

#include "kvs_internal.h"
#include "core/kvs_store.h"

static unsigned int max_key_size = KVS_KEY_SIZE_MIN;
module_param(max_key_size, uint, 0444);
MODULE_PARM_DESC(max_key_size,
		 "Largest key in bytes, 512..4096 (default 512); fixed at load");

static unsigned int max_value_size = KVS_VALUE_SIZE_MIN;
module_param(max_value_size, uint, 0444);
MODULE_PARM_DESC(max_value_size,
		 "Largest value in bytes, 65536..16777216 (default 65536); fixed at load");

static unsigned long long max_memory;
module_param(max_memory, ullong, 0444);
MODULE_PARM_DESC(max_memory,
		 "Bytes all tables may use together; 0 (default): a quarter of RAM at load");

/* The module's one store; other modules reach it through kvs_store(). */
static struct kvs_store kvs_the_store;

/**
 * kvs_store() - the store of the loaded kvstore module
 *
 * Context: any. The store lives as long as the module; a caller that
 * depends on kvstore's symbols keeps the module loaded.
 * Return: the store, for kvs_table_create(), kvs_table_get() and friends.
 */
struct kvs_store *kvs_store(void)
{
	return &kvs_the_store;
}
EXPORT_SYMBOL_GPL(kvs_store);

static long kvs_ioc_version(void __user *uarg)
{
	struct kvs_ioc_version v;
	u32 usize;
	int ret;

	ret = kvs_ioc_copy_in(&v, sizeof(v), KVS_IOC_VERSION_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (v.flags || v.reserved)
		return -EINVAL;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.abi_major = KVS_ABI_MAJOR;
	v.abi_minor = KVS_ABI_MINOR;
	v.features = KVS_FEATURES;
	v.max_key_size = max_key_size;
	v.max_value_size = max_value_size;
	strscpy(v.module_version, KVS_MODULE_VERSION, sizeof(v.module_version));

	return kvs_ioc_copy_out(uarg, usize, &v, sizeof(v));
}

static long kvs_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	/*
	 * Dispatch on the number alone: the struct's length travels in its
	 * size field, so the size bits of @cmd may differ between callers
	 * built against different versions of the UAPI header.
	 */
	if (_IOC_TYPE(cmd) != KVS_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return -ENOTTY;

	if (_IOC_NR(cmd) == _IOC_NR(KVS_IOC_VERSION))
		return kvs_ioc_version(uarg);
	return kvs_proxy_ioctl(file, _IOC_NR(cmd), uarg);
}

static const struct file_operations kvs_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= kvs_proxy_open,
	.release	= kvs_proxy_release,
	.unlocked_ioctl	= kvs_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvs_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KVS_DEVICE_NAME,
	.fops	= &kvs_dev_fops,
	.mode	= 0600,
};

static int __init kvs_check_params(void)
{
	if (max_key_size < KVS_KEY_SIZE_MIN || max_key_size > KVS_KEY_SIZE_MAX) {
		pr_err("max_key_size=%u is outside %u..%u\n", max_key_size,
		       KVS_KEY_SIZE_MIN, KVS_KEY_SIZE_MAX);
		return -EINVAL;
	}
	if (max_value_size < KVS_VALUE_SIZE_MIN ||
	    max_value_size > KVS_VALUE_SIZE_MAX) {
		pr_err("max_value_size=%u is outside %u..%u\n", max_value_size,
		       KVS_VALUE_SIZE_MIN, KVS_VALUE_SIZE_MAX);
		return -EINVAL;
	}
	return 0;
}

static int __init kvs_init(void)
{
	int ret;

	kvs_uapi_build_checks();

	ret = kvs_check_params();
	if (ret)
		return ret;
	if (!max_memory)
		max_memory = (unsigned long long)totalram_pages() * PAGE_SIZE / 4;

	ret = kvs_store_init(&kvs_the_store, max_memory, max_key_size,
			     max_value_size);
	if (ret)
		return ret;

	ret = misc_register(&kvs_miscdev);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", KVS_DEVICE_NAME, ret);
		goto out_store;
	}
	pr_info("loaded, ABI %u.%u, max key %u bytes, max value %u bytes, max memory %llu bytes\n",
		KVS_ABI_MAJOR, KVS_ABI_MINOR, max_key_size, max_value_size,
		max_memory);
	return 0;

out_store:
	kvs_store_destroy(&kvs_the_store);
	kvs_rcu_barrier();
	return ret;
}

static void __exit kvs_exit(void)
{
	misc_deregister(&kvs_miscdev);
	kvs_store_destroy(&kvs_the_store);
	/* Deferred frees of the engine must be done before the code goes. */
	kvs_rcu_barrier();
	pr_info("unloaded\n");
}

module_init(kvs_init);
module_exit(kvs_exit);

MODULE_DESCRIPTION("kvstore: in-memory transactional key-value store");
MODULE_AUTHOR("The kvstore authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(KVS_MODULE_VERSION);
