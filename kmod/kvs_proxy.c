// SPDX-License-Identifier: GPL-2.0
/*
 * kvstore: the /dev/kvstore ioctl proxy - tables, keys, scans, the open
 * file's transaction, batches and statistics for user space.
 *
 * DOC: Proxy rules
 *
 * Every command struct is fetched once with kvs_ioc_copy_in(); every user
 * pointer inside it is read once, after its length was checked against the
 * table's bounds, so no allocation is larger than a table allows. Replies
 * are zeroed before they are filled. A failing command changes nothing.
 *
 * Access: a table's mode bits (owner, group, others; read allows GET and
 * SCAN and TABLE_INFO, write allows PUT and DEL) are checked against the
 * caller's fsuid and groups on every command; CAP_SYS_ADMIN overrides them.
 * TABLE_OPEN checks them once, for the access the handle is opened with;
 * the handle's commands then check only that access (kvs_handle.c, DOC:
 * Table handles), as read(2) and write(2) check an open file's mode.
 * Dropping a table takes its owner or CAP_SYS_ADMIN; creating one for
 * another owner takes CAP_SYS_ADMIN.
 *
 * Each open file may hold one transaction, serialized by the file's mutex;
 * closing the file aborts it. Its memory is bounded by the engine (its
 * writes are charged to their tables, its bookkeeping to the store, and
 * KVS_TXN_MAX_OPS bounds its reads, writes and scans). Lock order: the
 * file's mutex is outermost, taken only by commands on its transaction,
 * before any lock of the engine (kmod/core/kvs_store.c, DOC: Locking); the
 * proxy has no other lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/uidgid.h>
#include <linux/sort.h>
#include <linux/overflow.h>

#include "kvs_internal.h"
#include "kvs_proxy.h"
#include "core/kvs_store.h"

#define KVS_LIST_MAX		4096
#define KVS_SCAN_BUF_MIN	64
#define KVS_SCAN_BUF_MAX	(16U << 20)
#define KVS_BATCH_MAX_TABLES	64
#define KVS_BATCH_MAX_OPS	4096

/**
 * struct kvs_file - what an open /dev/kvstore holds
 * @lock: serializes the file's commands that use @tx
 * @tx: the open transaction, or NULL
 */
struct kvs_file {
	struct mutex lock;	/* see above */
	struct kvs_txn *tx;
};

/* kvs_proxy_open() - the file's state. Context: process context. */
int kvs_proxy_open(struct inode *inode, struct file *file)
{
	struct kvs_file *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

/* kvs_proxy_release() - abort the file's transaction, free its state. */
int kvs_proxy_release(struct inode *inode, struct file *file)
{
	struct kvs_file *f = file->private_data;

	/* The engine's names fit the ABI's name fields. */
	BUILD_BUG_ON(KVS_NAME_LEN != KVS_NAME_SIZE);

	if (f->tx)
		kvs_txn_abort(f->tx);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Names, tables, permissions                                               */
/* ------------------------------------------------------------------------ */

/*
 * A name field: 1..KVS_NAME_MAX bytes, NUL-terminated, zero after the NUL.
 * TABLE_LIST's cursor is one; any other must also be a valid table name.
 */
static int kvs_name_field_check(const char *name, bool table)
{
	size_t len = strnlen(name, KVS_NAME_LEN);
	u32 tlen;

	if (!len || len > KVS_NAME_MAX)
		return len ? -ENAMETOOLONG : -EINVAL;
	if (memchr_inv(name + len, 0, KVS_NAME_LEN - len))
		return -EINVAL;
	return table ? kvs_table_name_check(name, &tlen) : 0;
}

static int kvs_name_check(const char *name)
{
	return kvs_name_field_check(name, true);
}

/* May the caller @mask (KVS_MAY_*) on @t? Return: 0 or -EACCES. */
static int kvs_may(const struct kvs_table *t, unsigned int mask)
{
	const struct kvs_table_params *p = &t->params;
	unsigned int mode = p->mode;

	if (uid_eq(current_fsuid(), make_kuid(&init_user_ns, p->uid)))
		mode >>= 6;
	else if (in_group_p(make_kgid(&init_user_ns, p->gid)))
		mode >>= 3;
	if ((mode & mask) == mask || capable(CAP_SYS_ADMIN))
		return 0;
	return -EACCES;
}

/*
 * Look up a table by its name field and check access. Return: the table,
 * referenced, or an ERR_PTR: -EINVAL/-ENAMETOOLONG for a bad name, -ENOENT,
 * -EACCES.
 */
struct kvs_table *kvs_proxy_table(const char *name, unsigned int mask)
{
	struct kvs_table *t;
	int ret;

	ret = kvs_name_check(name);
	if (ret)
		return ERR_PTR(ret);
	t = kvs_table_get(kvs_store(), name);
	if (!t)
		return ERR_PTR(-ENOENT);
	ret = mask ? kvs_may(t, mask) : 0;
	if (ret) {
		kvs_table_put(t);
		return ERR_PTR(ret);
	}
	return t;
}

static long kvs_ioc_table_create(void __user *uarg)
{
	struct kvs_table_params p = { 0 };
	struct kvs_ioc_table a;
	u32 usize;
	int ret;

	ret = kvs_ioc_copy_in(&a, sizeof(a), KVS_IOC_TABLE_SIZE_VER0, uarg,
			      &usize);
	if (ret)
		return ret;
	if (a.flags & ~KVS_TABLE_CREATE_OWNER || a.params.reserved ||
	    memchr_inv(&a.stats, 0, sizeof(a.stats)))
		return -EINVAL;
	ret = kvs_name_check(a.name);
	if (ret)
		return ret;
	p.max_key_size = a.params.max_key_size;
	p.max_value_size = a.params.max_value_size;
	p.max_entries = a.params.max_entries;
	p.max_bytes = a.params.max_bytes;
	p.flags = a.params.flags;
	p.durability = a.params.durability;
	p.mode = a.params.mode;
	if (a.flags & KVS_TABLE_CREATE_OWNER) {
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		if (!uid_valid(make_kuid(&init_user_ns, a.params.uid)) ||
		    !gid_valid(make_kgid(&init_user_ns, a.params.gid)))
			return -EINVAL;
		p.uid = a.params.uid;
		p.gid = a.params.gid;
	} else {
		p.uid = from_kuid_munged(&init_user_ns, current_fsuid());
		p.gid = from_kgid_munged(&init_user_ns, current_fsgid());
	}
	return kvs_table_create(kvs_store(), a.name, &p, NULL);
}

/*
 * Fetch a TABLE_DROP or TABLE_INFO request (only the name may be set) and
 * look its table up with @mask access. Return: the table, referenced, or
 * an ERR_PTR.
 */
static struct kvs_table *kvs_ioc_table_named(void __user *uarg,
					     struct kvs_ioc_table *a,
					     u32 *usize, unsigned int mask)
{
	int ret;

	ret = kvs_ioc_copy_in(a, sizeof(*a), KVS_IOC_TABLE_SIZE_VER0, uarg,
			      usize);
	if (ret)
		return ERR_PTR(ret);
	if (a->flags || memchr_inv(&a->params, 0, sizeof(a->params)) ||
	    memchr_inv(&a->stats, 0, sizeof(a->stats)))
		return ERR_PTR(-EINVAL);
	return kvs_proxy_table(a->name, mask);
}

static long kvs_ioc_table_drop(void __user *uarg)
{
	struct kvs_table *t;
	struct kvs_ioc_table a;
	bool owner;
	u32 usize;

	t = kvs_ioc_table_named(uarg, &a, &usize, 0);
	if (IS_ERR(t))
		return PTR_ERR(t);
	owner = uid_eq(current_fsuid(), make_kuid(&init_user_ns, t->params.uid));
	kvs_table_put(t);
	if (!owner && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	return kvs_table_drop(kvs_store(), a.name);
}

static long kvs_ioc_table_info(void __user *uarg)
{
	struct kvs_table_stats st;
	struct kvs_ioc_table a;
	struct kvs_table *t;
	u32 usize;

	t = kvs_ioc_table_named(uarg, &a, &usize, KVS_MAY_READ);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kvs_table_get_stats(t, &st);
	a.params.max_key_size = t->params.max_key_size;
	a.params.max_value_size = t->params.max_value_size;
	a.params.max_entries = t->params.max_entries;
	a.params.max_bytes = t->params.max_bytes;
	a.params.flags = t->params.flags;
	a.params.durability = t->params.durability;
	a.params.uid = t->params.uid;
	a.params.gid = t->params.gid;
	a.params.mode = t->params.mode;
	a.stats.entries = st.entries;
	a.stats.bytes = st.bytes;
	a.stats.records = st.records;
	a.stats.retained_versions = st.retained_versions;
	kvs_table_put(t);
	a.size = sizeof(a);
	return kvs_ioc_copy_out(uarg, usize, &a, sizeof(a));
}

static int kvs_name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static long kvs_ioc_table_list(void __user *uarg)
{
	struct kvs_ioc_table_list a;
	char (*names)[KVS_NAME_LEN];
	char after[KVS_NAME_LEN];
	u32 usize, n, first, max;
	void __user *dst;
	int ret;

	ret = kvs_ioc_copy_in(&a, sizeof(a), KVS_IOC_TABLE_LIST_SIZE_VER0,
			      uarg, &usize);
	if (ret)
		return ret;
	if (a.flags || a.reserved || a.count || a.total || !a.max ||
	    a.max > KVS_LIST_MAX || !a.names)
		return -EINVAL;
	if (a.after[0]) {
		ret = kvs_name_field_check(a.after, false);
		if (ret)
			return ret;
	} else if (memchr_inv(a.after, 0, sizeof(a.after))) {
		return -EINVAL;
	}
	memcpy(after, a.after, sizeof(after));
	max = a.max;
	dst = u64_to_user_ptr(a.names);

	ret = kvs_table_names(kvs_store(), (char **)&names, &n);
	if (ret)
		return ret;
	sort(names, n, KVS_NAME_LEN, kvs_name_cmp, NULL);
	for (first = 0; after[0] && first < n &&
	     strcmp(names[first], after) <= 0; first++)
		;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.total = n;
	a.count = min(n - first, max);
	if (a.count && copy_to_user(dst, names[first],
				    (size_t)a.count * KVS_NAME_LEN))
		ret = -EFAULT;
	kvs_kvfree(names);
	return ret ?: kvs_ioc_copy_out(uarg, usize, &a, sizeof(a));
}

static long kvs_ioc_stats(void __user *uarg)
{
	struct kvs_store_stats st;
	struct kvs_ioc_stats a;
	u32 usize;
	int ret;

	ret = kvs_ioc_copy_in(&a, sizeof(a), KVS_IOC_STATS_SIZE_VER0, uarg,
			      &usize);
	if (ret)
		return ret;
	if (a.flags || a.tables || a.reserved || a.bytes || a.max_bytes ||
	    a.snapshots)
		return -EINVAL;
	kvs_store_get_stats(kvs_store(), &st);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.tables = st.tables;
	a.bytes = st.bytes;
	a.max_bytes = st.max_bytes;
	a.snapshots = st.snapshots;
	return kvs_ioc_copy_out(uarg, usize, &a, sizeof(a));
}

/* ------------------------------------------------------------------------ */
/* Keys and values                                                          */
/* ------------------------------------------------------------------------ */

/* Room for @len bytes in @b. Return: 0 or -ENOMEM. */
int kvs_ubuf_room(struct kvs_ubuf *b, u32 len)
{
	if (b->heap)
		kvfree(b->p);
	b->heap = len > sizeof(b->inl);
	b->p = b->heap ? kvmalloc(len, GFP_KERNEL_ACCOUNT) : b->inl;
	b->len = len;
	return b->p ? 0 : -ENOMEM;
}

/* kvs_ubuf_copy()'s way for bytes that need the heap. */
int __kvs_ubuf_copy(struct kvs_ubuf *b, u64 uptr, u32 len)
{
	int ret = kvs_ubuf_room(b, len);

	if (ret)
		return ret;
	if (!b->heap)
		return kvs_copy_from_user_small(b->p, u64_to_user_ptr(uptr), len);
	if (copy_from_user(b->p, u64_to_user_ptr(uptr), len))
		return -EFAULT;
	return 0;
}

void __kvs_ubuf_free(struct kvs_ubuf *b)
{
	kvfree(b->p);
	b->heap = false;
}

/* Fetch a value: 0..@t's max_value_size bytes. */
int kvs_value_in(struct kvs_ubuf *b, const struct kvs_table *t, u64 uptr,
		 u32 len)
{
	if (len && !uptr)
		return -EINVAL;
	if (len > t->params.max_value_size)
		return -E2BIG;
	return kvs_ubuf_copy(b, uptr, len);
}

/*
 * Read @key of @t (in @tx if not NULL) into @val, growing it as needed up
 * to @room bytes. Return: 0 (*@vlen, *@ver set), -ENOBUFS with *@vlen the
 * length needed, or the read's error.
 */
int kvs_read_value(struct kvs_txn *tx, struct kvs_table *t,
		   const struct kvs_ubuf *key, struct kvs_ubuf *val, u32 room,
		   u32 *vlen, u64 *ver)
{
	int ret, tries;

	ret = kvs_ubuf_room(val, min_t(u32, room, KVS_PROXY_INLINE));
	for (tries = 0; !ret; tries++) {
		ret = tx ? kvs_txn_get(tx, t, key->p, key->len, val->p,
				       val->len, vlen, ver) :
			   kvs_get(t, key->p, key->len, val->p, val->len,
				   vlen, ver);
		if (ret != -ENOBUFS || *vlen > room)
			break;
		/* It fits the caller's room: grow (it may grow meanwhile). */
		ret = kvs_ubuf_room(val, tries < 2 ? *vlen :
				    min(room, t->params.max_value_size));
	}
	return ret;
}

/*
 * For a command with KVS_IOF_TXN in @flags: lock the file and find its
 * transaction. Return: 0 with *@txp NULL (no KVS_IOF_TXN: nothing locked)
 * or the transaction (locked: kvs_file_unlock()); -EBADFD if none is open.
 */
static int kvs_file_lock(struct kvs_file *f, u32 flags, struct kvs_txn **txp)
{
	*txp = NULL;
	if (!(flags & KVS_IOF_TXN))
		return 0;
	mutex_lock(&f->lock);
	*txp = f->tx;
	if (*txp)
		return 0;
	mutex_unlock(&f->lock);
	return -EBADFD;
}

static void kvs_file_unlock(struct kvs_file *f, struct kvs_txn *tx)
{
	if (tx)
		mutex_unlock(&f->lock);
}

static long kvs_ioc_kv(struct kvs_file *f, unsigned int nr,
		       void __user *uarg)
{
	struct kvs_ubuf key_buf, val_buf;
	struct kvs_ubuf *key = &key_buf, *val = &val_buf;
	struct kvs_txn *tx;
	struct kvs_table *t;
	struct kvs_ioc_kv a;
	u32 usize, vlen = 0;
	u64 ver = 0;
	int ret;

	ret = kvs_ioc_copy_in(&a, sizeof(a), KVS_IOC_KV_SIZE_VER0, uarg,
			      &usize);
	if (ret)
		return ret;
	if (a.flags & ~KVS_IOF_TXN || a.reserved)
		return -EINVAL;
	switch (nr) {
	case _IOC_NR(KVS_IOC_GET):
		if (a.mode || a.version || (a.value_len && !a.value))
			return -EINVAL;
		break;
	case _IOC_NR(KVS_IOC_PUT):
		if (a.mode > KVS_MODE_CAS)
			return -EINVAL;
		break;
	default:
		if (a.mode > KVS_MODE_DEL_CAS || a.value || a.value_len)
			return -EINVAL;
	}
	t = kvs_proxy_table(a.table, nr == _IOC_NR(KVS_IOC_GET) ?
			    KVS_MAY_READ : KVS_MAY_WRITE);
	if (IS_ERR(t))
		return PTR_ERR(t);
	key->heap = false;
	val->heap = false;
	ret = kvs_key_in(key, t, a.key, a.key_len);
	if (!ret && nr == _IOC_NR(KVS_IOC_PUT))
		ret = kvs_value_in(val, t, a.value, a.value_len);
	if (ret)
		goto out;

	/* A reply that cannot be written must fail before the write. */
	if (nr == _IOC_NR(KVS_IOC_PUT) &&
	    kvs_ioc_copy_out(uarg, usize, &a, sizeof(a))) {
		ret = -EFAULT;
		goto out;
	}
	ret = kvs_file_lock(f, a.flags, &tx);
	if (ret)
		goto out;
	switch (nr) {
	case _IOC_NR(KVS_IOC_GET):
		ret = kvs_read_value(tx, t, key, val, a.value_len, &vlen, &ver);
		break;
	case _IOC_NR(KVS_IOC_PUT):
		ret = tx ? kvs_txn_put(tx, t, key->p, key->len, val->p,
				       val->len, a.mode, a.version) :
			   kvs_put(t, key->p, key->len, val->p, val->len,
				   a.mode, a.version, &ver, KVS_GFP_KERNEL);
		break;
	default:
		ret = tx ? kvs_txn_delete(tx, t, key->p, key->len, a.mode,
					  a.version) :
			   kvs_delete(t, key->p, key->len, a.mode, a.version,
				      KVS_GFP_KERNEL);
	}
	kvs_file_unlock(f, tx);
	if (nr == _IOC_NR(KVS_IOC_GET) && (!ret || ret == -ENOBUFS)) {
		/* -ENOBUFS still tells the length needed. */
		if (!ret && vlen &&
		    copy_to_user(u64_to_user_ptr(a.value), val->p, vlen))
			ret = -EFAULT;
		a.value_len = vlen;
		a.version = ret ? 0 : ver;
		a.size = sizeof(a);
		if (kvs_ioc_copy_out(uarg, usize, &a, sizeof(a)))
			ret = -EFAULT;
	} else if (nr == _IOC_NR(KVS_IOC_PUT) && !ret) {
		a.version = ver;
		a.size = sizeof(a);
		ret = kvs_ioc_copy_out(uarg, usize, &a, sizeof(a));
	}
out:
	kvs_ubuf_free(key);
	kvs_ubuf_free(val);
	kvs_table_put(t);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Scans                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * struct kvs_page - a SCAN page being filled (under RCU)
 * @buf: kernel staging buffer
 * @cap: its size
 * @used: bytes filled
 * @count: entries filled
 * @max: entries wanted at most
 * @more: stopped before the end of the range
 * @need: bytes the first entry needs when even it does not fit
 */
struct kvs_page {
	u8 *buf;
	u32 cap;
	u32 used;
	u32 count;
	u32 max;
	bool more;
	u32 need;
};

static int kvs_page_add(void *arg, const void *key, u32 klen,
			const void *val, u32 vlen, u64 version)
{
	struct kvs_page *pg = arg;
	struct kvs_ioc_scan_entry e = {
		.key_len = klen, .value_len = vlen, .version = version,
	};
	size_t need = ALIGN(sizeof(e) + (size_t)klen + vlen, 8);

	if (pg->count == pg->max || need > pg->cap - pg->used) {
		pg->more = true;
		if (!pg->count)
			pg->need = need;
		return 1;
	}
	memset(pg->buf + pg->used, 0, need);
	memcpy(pg->buf + pg->used, &e, sizeof(e));
	memcpy(pg->buf + pg->used + sizeof(e), key, klen);
	memcpy(pg->buf + pg->used + sizeof(e) + klen, val, vlen);
	pg->used += need;
	pg->count++;
	return 0;
}

#define KVS_SCAN_IOF	(KVS_IOF_TXN | KVS_IOF_REVERSE | KVS_IOF_LO_EXCL | \
			 KVS_IOF_HI_INCL)

static long kvs_ioc_scan(struct kvs_file *f, void __user *uarg)
{
	struct kvs_page pg = { 0 };
	struct kvs_range rg = { 0 };
	struct kvs_ioc_scan a;
	struct kvs_txn *tx;
	struct kvs_table *t;
	u8 *bounds = NULL;
	size_t blen;
	u32 usize;
	int ret;

	ret = kvs_ioc_copy_in(&a, sizeof(a), KVS_IOC_SCAN_SIZE_VER0, uarg,
			      &usize);
	if (ret)
		return ret;
	if (a.flags & ~KVS_SCAN_IOF || a.count || a.used || a.more ||
	    !a.lo != !a.lo_len || !a.hi != !a.hi_len ||
	    !a.prefix != !a.prefix_len || !a.buf ||
	    a.buf_len < KVS_SCAN_BUF_MIN || a.buf_len > KVS_SCAN_BUF_MAX)
		return -EINVAL;
	t = kvs_proxy_table(a.table, KVS_MAY_READ);
	if (IS_ERR(t))
		return PTR_ERR(t);
	if (a.lo_len > t->params.max_key_size ||
	    a.hi_len > t->params.max_key_size ||
	    a.prefix_len > t->params.max_key_size) {
		ret = -E2BIG;
		goto out;
	}
	blen = (size_t)a.lo_len + a.hi_len + a.prefix_len;
	bounds = blen ? kmalloc(blen, GFP_KERNEL_ACCOUNT) : NULL;
	pg.buf = kvmalloc(a.buf_len, GFP_KERNEL_ACCOUNT);
	if ((blen && !bounds) || !pg.buf) {
		ret = -ENOMEM;
		goto out;
	}
	if ((a.lo_len && copy_from_user(bounds, u64_to_user_ptr(a.lo),
					a.lo_len)) ||
	    (a.hi_len && copy_from_user(bounds + a.lo_len,
					u64_to_user_ptr(a.hi), a.hi_len)) ||
	    (a.prefix_len && copy_from_user(bounds + a.lo_len + a.hi_len,
					    u64_to_user_ptr(a.prefix),
					    a.prefix_len))) {
		ret = -EFAULT;
		goto out;
	}
	rg.lo = a.lo_len ? bounds : NULL;
	rg.lo_len = a.lo_len;
	rg.hi = a.hi_len ? bounds + a.lo_len : NULL;
	rg.hi_len = a.hi_len;
	rg.prefix = a.prefix_len ? bounds + a.lo_len + a.hi_len : NULL;
	rg.prefix_len = a.prefix_len;
	rg.flags = (a.flags & KVS_IOF_REVERSE ? KVS_SCAN_REVERSE : 0) |
		   (a.flags & KVS_IOF_LO_EXCL ? KVS_SCAN_LO_EXCL : 0) |
		   (a.flags & KVS_IOF_HI_INCL ? KVS_SCAN_HI_INCL : 0);
	pg.cap = a.buf_len;
	pg.max = a.max_entries ?: U32_MAX;

	ret = kvs_file_lock(f, a.flags, &tx);
	if (ret)
		goto out;
	ret = tx ? kvs_txn_scan(tx, t, &rg, kvs_page_add, &pg) :
		   kvs_scan(t, &rg, kvs_page_add, &pg, KVS_GFP_KERNEL);
	kvs_file_unlock(f, tx);
	if (!ret && pg.need)
		ret = -ENOBUFS;		/* not even one entry fits */
	if (ret)
		goto out;
	if (pg.used && copy_to_user(u64_to_user_ptr(a.buf), pg.buf, pg.used)) {
		ret = -EFAULT;
		goto out;
	}
	a.size = sizeof(a);
	a.count = pg.count;
	a.used = pg.used;
	a.more = pg.more;
	ret = kvs_ioc_copy_out(uarg, usize, &a, sizeof(a));
out:
	kvfree(pg.buf);
	kfree(bounds);
	kvs_table_put(t);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* The file's transaction                                                   */
/* ------------------------------------------------------------------------ */

static long kvs_ioc_txn(struct kvs_file *f, unsigned int nr,
			void __user *uarg)
{
	struct kvs_ioc_txn a;
	u32 usize;
	u64 ver = 0;
	int ret;

	ret = kvs_ioc_copy_in(&a, sizeof(a), KVS_IOC_TXN_SIZE_VER0, uarg,
			      &usize);
	if (ret)
		return ret;
	if (a.version || (nr == _IOC_NR(KVS_IOC_TXN_BEGIN) ?
			  a.flags & ~KVS_TXN_F_RDONLY : a.flags))
		return -EINVAL;
	if (nr != _IOC_NR(KVS_IOC_TXN_ABORT) &&
	    kvs_ioc_copy_out(uarg, usize, &a, sizeof(a)))
		return -EFAULT;

	mutex_lock(&f->lock);
	switch (nr) {
	case _IOC_NR(KVS_IOC_TXN_BEGIN):
		if (f->tx) {
			ret = -EBUSY;
			break;
		}
		ret = kvs_txn_begin(kvs_store(), a.flags & KVS_TXN_F_RDONLY ?
				    KVS_TXN_RDONLY : 0, KVS_GFP_KERNEL, &f->tx);
		if (!ret)
			ver = kvs_txn_snapshot(f->tx);
		break;
	case _IOC_NR(KVS_IOC_TXN_COMMIT):
		ret = f->tx ? kvs_txn_commit(f->tx, &ver) : -EBADFD;
		f->tx = NULL;
		break;
	default:
		if (f->tx)
			kvs_txn_abort(f->tx);
		else
			ret = -EBADFD;
		f->tx = NULL;
	}
	mutex_unlock(&f->lock);
	if (ret || nr == _IOC_NR(KVS_IOC_TXN_ABORT))
		return ret;
	a.size = sizeof(a);
	a.version = ver;
	return kvs_ioc_copy_out(uarg, usize, &a, sizeof(a));
}

/* ------------------------------------------------------------------------ */
/* Batches                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * struct kvs_batch - a BATCH being carried out
 * @tabs: the batch's tables, referenced
 * @may: KVS_MAY_* bits the caller has on each, once checked
 * @checked: KVS_MAY_* bits checked on each (checked when an operation
 *	     first needs them, so that a denial is audited only when real)
 * @ntabs: how many
 * @ops: kernel copy of the operations
 * @key: scratch for keys
 * @val: scratch for values
 */
struct kvs_batch {
	struct kvs_table *tabs[KVS_BATCH_MAX_TABLES];
	u8 may[KVS_BATCH_MAX_TABLES];
	u8 checked[KVS_BATCH_MAX_TABLES];
	u32 ntabs;
	struct kvs_ioc_batch_op *ops;
	struct kvs_ubuf key;
	struct kvs_ubuf val;
};

/* May the caller @mask on the batch's table @i? Return: 0 or -EACCES. */
static int kvs_batch_may(struct kvs_batch *b, u16 i, u8 mask)
{
	if (!(b->checked[i] & mask)) {
		b->checked[i] |= mask;
		if (!kvs_may(b->tabs[i], mask))
			b->may[i] |= mask;
	}
	return b->may[i] & mask ? 0 : -EACCES;
}

/* Carry out one operation, in @tx if not NULL. */
static int kvs_batch_op(struct kvs_batch *b, struct kvs_txn *tx,
			struct kvs_ioc_batch_op *op)
{
	struct kvs_table *t;
	u32 vlen = 0;
	u64 ver = 0;
	int ret;

	if (op->reserved || op->result || op->table >= b->ntabs)
		return -EINVAL;
	t = b->tabs[op->table];
	switch (op->op) {
	case KVS_OP_GET:
		if (op->mode || op->version || (op->value_len && !op->value))
			return -EINVAL;
		if (kvs_batch_may(b, op->table, KVS_MAY_READ))
			return -EACCES;
		break;
	case KVS_OP_PUT:
		if (op->mode > KVS_MODE_CAS)
			return -EINVAL;
		fallthrough;
	case KVS_OP_DEL:
		if (op->op == KVS_OP_DEL &&
		    (op->mode > KVS_MODE_DEL_CAS || op->value || op->value_len))
			return -EINVAL;
		if (kvs_batch_may(b, op->table, KVS_MAY_WRITE))
			return -EACCES;
		break;
	default:
		return -EINVAL;
	}
	ret = kvs_key_in(&b->key, t, op->key, op->key_len);
	if (ret)
		return ret;
	switch (op->op) {
	case KVS_OP_GET:
		ret = kvs_read_value(tx, t, &b->key, &b->val, op->value_len,
				     &vlen, &ver);
		if ((!ret || ret == -ENOBUFS))
			op->value_len = vlen;
		if (!ret && vlen && copy_to_user(u64_to_user_ptr(op->value),
						 b->val.p, vlen))
			ret = -EFAULT;
		op->version = ret ? 0 : ver;
		return ret;
	case KVS_OP_PUT:
		ret = kvs_value_in(&b->val, t, op->value, op->value_len);
		if (ret)
			return ret;
		ret = tx ? kvs_txn_put(tx, t, b->key.p, b->key.len, b->val.p,
				       b->val.len, op->mode, op->version) :
			   kvs_put(t, b->key.p, b->key.len, b->val.p,
				   b->val.len, op->mode, op->version, &ver,
				   KVS_GFP_KERNEL);
		if (!ret)
			op->version = ver;
		return ret;
	default:
		return tx ? kvs_txn_delete(tx, t, b->key.p, b->key.len,
					   op->mode, op->version) :
			    kvs_delete(t, b->key.p, b->key.len, op->mode,
				       op->version, KVS_GFP_KERNEL);
	}
}

/* Look up the batch's tables. */
static int kvs_batch_tables(struct kvs_batch *b, u64 uptr, u32 n)
{
	char (*names)[KVS_NAME_LEN];
	struct kvs_table *t;
	int ret = 0;
	u32 i;

	names = memdup_user(u64_to_user_ptr(uptr), (size_t)n * KVS_NAME_LEN);
	if (IS_ERR(names))
		return PTR_ERR(names);
	for (i = 0; i < n && !ret; i++) {
		t = kvs_proxy_table(names[i], 0);
		if (IS_ERR(t)) {
			ret = PTR_ERR(t);
			break;
		}
		b->tabs[b->ntabs++] = t;
	}
	kfree(names);
	return ret;
}

#define KVS_BATCH_FLAGS	(KVS_BATCH_ATOMIC | KVS_IOF_TXN)

static long kvs_ioc_batch(struct kvs_file *f, void __user *uarg)
{
	struct kvs_txn *tx = NULL, *ftx = NULL;
	struct kvs_ioc_batch a;
	struct kvs_batch *b;
	size_t opsize;
	int ret, err;
	u32 usize, i;
	u64 ver = 0;

	ret = kvs_ioc_copy_in(&a, sizeof(a), KVS_IOC_BATCH_SIZE_VER0, uarg,
			      &usize);
	if (ret)
		return ret;
	if (a.flags & ~KVS_BATCH_FLAGS ||
	    (a.flags & KVS_BATCH_ATOMIC && a.flags & KVS_IOF_TXN) ||
	    !a.ntables || a.ntables > KVS_BATCH_MAX_TABLES || !a.nops ||
	    a.nops > KVS_BATCH_MAX_OPS || !a.tables || !a.ops || a.done ||
	    a.reserved || a.version)
		return -EINVAL;
	if (kvs_ioc_copy_out(uarg, usize, &a, sizeof(a)))
		return -EFAULT;
	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	opsize = (size_t)a.nops * sizeof(*b->ops);
	ret = kvs_batch_tables(b, a.tables, a.ntables);
	if (ret)
		goto out;
	b->ops = kvmalloc(opsize, GFP_KERNEL_ACCOUNT);
	if (!b->ops) {
		ret = -ENOMEM;
		goto out;
	}
	if (copy_from_user(b->ops, u64_to_user_ptr(a.ops), opsize)) {
		ret = -EFAULT;
		goto out;
	}
	/* The results must be writable before anything is done. */
	if (copy_to_user(u64_to_user_ptr(a.ops), b->ops, opsize)) {
		ret = -EFAULT;
		goto out;
	}

	ret = kvs_file_lock(f, a.flags, &ftx);
	tx = ftx;
	if (!ret && a.flags & KVS_BATCH_ATOMIC)
		ret = kvs_txn_begin(kvs_store(), 0, KVS_GFP_KERNEL, &tx);
	for (i = 0; !ret && i < a.nops; i++) {
		err = kvs_batch_op(b, tx, &b->ops[i]);
		b->ops[i].result = err;
		if (err && a.flags & KVS_BATCH_ATOMIC)
			ret = -ECANCELED;
	}
	a.done = i;
	if (a.flags & KVS_BATCH_ATOMIC && tx) {
		if (ret) {
			kvs_txn_abort(tx);
			a.done = 0;
		} else {
			ret = kvs_txn_commit(tx, &ver);
			if (ret)
				a.done = 0;
		}
	}
	kvs_file_unlock(f, ftx);
	if (copy_to_user(u64_to_user_ptr(a.ops), b->ops, opsize))
		ret = ret ?: -EFAULT;
	a.size = sizeof(a);
	a.version = ver;
	err = kvs_ioc_copy_out(uarg, usize, &a, sizeof(a));
	ret = ret ?: err;
out:
	for (i = 0; i < b->ntabs; i++)
		kvs_table_put(b->tabs[i]);
	kvs_ubuf_free(&b->key);
	kvs_ubuf_free(&b->val);
	kvfree(b->ops);
	kfree(b);
	return ret;
}

/**
 * kvs_proxy_ioctl() - carry out one /dev/kvstore command
 * @file: the open device
 * @nr: the command's number (_IOC_NR), the magic and direction checked
 * @uarg: the user's struct
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno; -ENOTTY for an unknown command.
 */
long kvs_proxy_ioctl(struct file *file, unsigned int nr, void __user *uarg)
{
	struct kvs_file *f = file->private_data;

	switch (nr) {
	case _IOC_NR(KVS_IOC_TABLE_CREATE):
		return kvs_ioc_table_create(uarg);
	case _IOC_NR(KVS_IOC_TABLE_DROP):
		return kvs_ioc_table_drop(uarg);
	case _IOC_NR(KVS_IOC_TABLE_LIST):
		return kvs_ioc_table_list(uarg);
	case _IOC_NR(KVS_IOC_TABLE_INFO):
		return kvs_ioc_table_info(uarg);
	case _IOC_NR(KVS_IOC_GET):
	case _IOC_NR(KVS_IOC_PUT):
	case _IOC_NR(KVS_IOC_DEL):
		return kvs_ioc_kv(f, nr, uarg);
	case _IOC_NR(KVS_IOC_SCAN):
		return kvs_ioc_scan(f, uarg);
	case _IOC_NR(KVS_IOC_TXN_BEGIN):
	case _IOC_NR(KVS_IOC_TXN_COMMIT):
	case _IOC_NR(KVS_IOC_TXN_ABORT):
		return kvs_ioc_txn(f, nr, uarg);
	case _IOC_NR(KVS_IOC_BATCH):
		return kvs_ioc_batch(f, uarg);
	case _IOC_NR(KVS_IOC_STATS):
		return kvs_ioc_stats(uarg);
	case _IOC_NR(KVS_IOC_TABLE_OPEN):
		return kvs_ioc_table_open(uarg);
	default:
		return -ENOTTY;
	}
}
