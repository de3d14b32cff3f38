// SPDX-License-Identifier: GPL-2.0
/*
 * kvstore: table handles - a file descriptor bound to one table.
 *
 * DOC: Table handles
 *
 * KVS_IOC_TABLE_OPEN checks the table's mode bits once, for the access
 * asked, and returns a new close-on-exec file whose private data is the
 * table, referenced until the file is released. The handle's commands skip
 * what a command by name pays on every call: the name's checks, hash and
 * lookup, the table's reference count (a cache line every reader of the
 * table would write) and the permission check. The access granted is the
 * file's f_mode, as for any file: a command the handle was not opened for
 * is -EBADF. A dropped table's handles fail with -EIDRM; the table is freed
 * with its last handle. A handle has no lock of its own: threads may share
 * it. Its commands run outside any transaction and read the newest visible
 * version of each key, like kvs_get().
 *
 * A value is copied straight from the engine's version to the caller's
 * buffer inside the RCU read section, with page faults disabled; if the
 * buffer is not resident, the key is read again into a kernel buffer and
 * copied with faults allowed. Values up to KVS_VALUE_UNSAFE_MAX bytes and
 * the replies' few fields are written with unsafe_copy_to_user() and
 * unsafe_put_user() inside user_write_access_begin()/_end(), as filldir()
 * writes names: 8 bytes a store, no call. They skip hardened usercopy's
 * object check, which guards copies whose length could be wrong: these
 * lengths are the engine's own, of the version being copied.
 *
 * H_MGET works in chunks of 16 keys: a chunk's keys (when they fit 256
 * bytes and the value slots are at most 256 bytes) are copied in at once,
 * looked up together in one RCU read section by __kvs_lookup_batch_rcu(),
 * whose passes let the keys' cache misses overlap, and their results and
 * versions written back at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/anon_inodes.h>
#include <linux/uaccess.h>
#include <linux/sched.h>
#include <linux/overflow.h>
#include <linux/err.h>

#include "kvs_internal.h"
#include "kvs_proxy.h"
#include "core/kvs_store.h"

/* H_MGET: keys whose results travel together. */
#define KVS_MGET_CHUNK		16
/* H_MGET: a chunk's keys are copied in at once if they fit this. */
#define KVS_MGET_KEYS_INLINE	256
/* Values up to this size are copied out by unsafe_copy_to_user(). */
#define KVS_VALUE_UNSAFE_MAX	256

static bool kvs_table_gone(struct kvs_table *t)
{
	return kvs_atomic_read(&t->dropped);
}

/*
 * The slow way of kvs_value_out(): through a kernel buffer, page faults
 * allowed. Out of line, to keep its buffer off the fast path's stack.
 */
static noinline int kvs_value_out_slow(struct kvs_table *t,
				       const struct kvs_ubuf *key, u64 uptr,
				       u32 room, u32 *vlen, u64 *ver)
{
	struct kvs_ubuf val = { .heap = false };
	int ret;

	ret = kvs_read_value(NULL, t, key, &val, room, vlen, ver);
	if (!ret && *vlen && copy_to_user(u64_to_user_ptr(uptr), val.p, *vlen))
		ret = -EFAULT;
	kvs_ubuf_free(&val);
	return ret;
}

/* Copy @len bytes to user @dst, page faults disabled. Return: 0, -EFAULT. */
static __always_inline int kvs_copy_out_nofault(u64 dst, const void *src,
						u32 len)
{
	void __user *u = u64_to_user_ptr(dst);

	if (len > KVS_VALUE_UNSAFE_MAX)
		return copy_to_user_nofault(u, src, len);
	pagefault_disable();
	if (!user_write_access_begin(u, len))
		goto out;
	unsafe_copy_to_user(u, src, len, fault);
	user_write_access_end();
	pagefault_enable();
	return 0;
fault:
	user_write_access_end();
out:
	pagefault_enable();
	return -EFAULT;
}

/*
 * Copy a value found under RCU (@val, @vlen bytes; NULL: none) to user
 * @uptr, @room bytes there, page faults disabled. Context: the RCU read
 * section @val was found in. Return: 0; -ENOENT (@val NULL); -ENOBUFS
 * (nothing copied); -EAGAIN: the buffer is not resident, copy it with
 * kvs_value_out_slow().
 */
static __always_inline int kvs_value_put_rcu(const void *val, u32 vlen,
					     u64 uptr, u32 room)
{
	if (!val)
		return -ENOENT;
	if (vlen > room)
		return -ENOBUFS;
	if (vlen && kvs_copy_out_nofault(uptr, val, vlen))
		return -EAGAIN;
	return 0;
}

/*
 * Copy the current value of @key (checked) in @t to user @uptr, @room bytes
 * there. Return: 0 (*@vlen, *@ver set); -ENOBUFS (nothing copied; *@vlen,
 * *@ver set); -ENOENT; -EFAULT; -ENOMEM.
 */
static int kvs_value_out(struct kvs_table *t, const struct kvs_ubuf *key,
			 u64 uptr, u32 room, u32 *vlen, u64 *ver)
{
	const void *val;
	int ret;

	kvs_rcu_read_lock();
	val = __kvs_lookup_rcu(t, key->p, key->len, vlen, ver);
	ret = kvs_value_put_rcu(val, *vlen, uptr, room);
	kvs_rcu_read_unlock();
	if (ret != -EAGAIN)
		return ret;
	return kvs_value_out_slow(t, key, uptr, room, vlen, ver);
}

/*
 * Fetch a handle command's struct, after checking that the handle was
 * opened for @fmode. Return: 0; -EBADF; kvs_ioc_copy_in()'s errors.
 */
static __always_inline int kvs_h_copy_in(struct file *file, fmode_t fmode,
					 void *dst, size_t ksize,
					 size_t minsize, void __user *uarg,
					 u32 *usize)
{
	if (!(file->f_mode & fmode))
		return -EBADF;
	return kvs_ioc_fetch(dst, ksize, minsize, uarg, usize);
}

/* H_GET's reply: the value's length and version (@reserved zeroed). */
static int kvs_h_get_reply(void __user *uarg, u32 vlen, u64 ver)
{
	struct kvs_ioc_key __user *u = uarg;

	if (!user_write_access_begin(&u->value_len,
				     sizeof(*u) -
				     offsetof(struct kvs_ioc_key, value_len)))
		return -EFAULT;
	unsafe_put_user(vlen, &u->value_len, fault);
	unsafe_put_user(0, &u->reserved, fault);
	unsafe_put_user(ver, &u->version, fault);
	user_write_access_end();
	return 0;
fault:
	user_write_access_end();
	return -EFAULT;
}

static long kvs_h_get(struct file *file, struct kvs_table *t,
		      void __user *uarg)
{
	/*
	 * Not zeroed on entry (CONFIG_INIT_STACK_ALL_ZERO would clear 192
	 * bytes a call): @a is fetched whole before it is read, and only
	 * the key's own bytes of @key.inl are ever read.
	 */
	struct kvs_ubuf key __uninitialized;
	struct kvs_ioc_key a __uninitialized;
	u32 usize, vlen = 0;
	u64 ver = 0;
	int ret;

	key.heap = false;

	/* The reply's fields end the struct: none lies beyond. */
	BUILD_BUG_ON(offsetof(struct kvs_ioc_key, version) + sizeof(a.version) !=
		     sizeof(a));
	ret = kvs_h_copy_in(file, FMODE_READ, &a, sizeof(a),
			    KVS_IOC_KEY_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (a.flags || a.mode || a.reserved || a.version ||
	    (a.value_len && !a.value))
		return -EINVAL;
	if (kvs_table_gone(t))
		return -EIDRM;
	ret = kvs_key_in(&key, t, a.key, a.key_len);
	if (!ret)
		ret = kvs_value_out(t, &key, a.value, a.value_len, &vlen,
				    &ver);
	kvs_ubuf_free(&key);
	if (ret && ret != -ENOBUFS)
		return ret;
	/* -ENOBUFS still tells the length needed. */
	return kvs_h_get_reply(uarg, vlen, ret ? 0 : ver) ?: ret;
}

static long kvs_h_write(struct file *file, struct kvs_table *t,
			unsigned int nr, void __user *uarg)
{
	struct kvs_ubuf key = { .heap = false }, val = { .heap = false };
	u64 __user *uver = uarg + offsetof(struct kvs_ioc_key, version);
	bool put = nr == _IOC_NR(KVS_IOC_H_PUT);
	struct kvs_ioc_key a;
	u64 ver = 0;
	u32 usize;
	int ret;

	ret = kvs_h_copy_in(file, FMODE_WRITE, &a, sizeof(a),
			    KVS_IOC_KEY_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (a.flags || a.reserved ||
	    (put ? a.mode > KVS_MODE_CAS :
		   a.mode > KVS_MODE_DEL_CAS || a.value || a.value_len))
		return -EINVAL;
	if (kvs_table_gone(t))
		return -EIDRM;
	ret = kvs_key_in(&key, t, a.key, a.key_len);
	if (!ret && put)
		ret = kvs_value_in(&val, t, a.value, a.value_len);
	/* A reply that cannot be written must fail before the write. */
	if (!ret && put && put_user(a.version, uver))
		ret = -EFAULT;
	if (ret)
		goto out;
	if (put) {
		ret = kvs_put(t, key.p, key.len, val.p, val.len, a.mode,
			      a.version, &ver, KVS_GFP_KERNEL);
		if (!ret && put_user(ver, uver))
			ret = -EFAULT;
	} else {
		ret = kvs_delete(t, key.p, key.len, a.mode, a.version,
				 KVS_GFP_KERNEL);
	}
out:
	kvs_ubuf_free(&key);
	kvs_ubuf_free(&val);
	return ret;
}

/**
 * struct kvs_mget - an H_MGET being carried out
 * @a: the request
 * @t: the handle's table
 * @key: the key being looked up
 * @res: results of the current chunk
 * @ver: versions of the current chunk
 * @len: key lengths of the current chunk (when the caller gave them)
 * @keys: the current chunk's keys, if copied in at once (else NULL)
 * @kbuf: room for them
 */
struct kvs_mget {
	struct kvs_ioc_mget a;
	struct kvs_table *t;
	struct kvs_ubuf key;
	s32 res[KVS_MGET_CHUNK];
	u64 ver[KVS_MGET_CHUNK];
	u32 len[KVS_MGET_CHUNK];
	const u8 *keys;
	u8 kbuf[KVS_MGET_KEYS_INLINE];
};

/* Is [@uptr, + @n * @stride) a range that does not wrap around? */
static bool kvs_mget_span_ok(u64 uptr, u32 n, u32 stride)
{
	u64 end;

	return !check_add_overflow(uptr, (u64)n * stride, &end);
}

static int kvs_mget_check(struct kvs_mget *m)
{
	const struct kvs_ioc_mget *a = &m->a;

	if (a->flags || a->done || !a->count || a->count > KVS_MGET_MAX ||
	    !a->keys || !a->results || !a->key_stride ||
	    a->key_stride > KVS_KEY_SIZE_MAX ||
	    a->value_stride > KVS_VALUE_SIZE_MAX ||
	    (a->value_stride && !a->values) ||
	    !kvs_mget_span_ok(a->keys, a->count, a->key_stride) ||
	    !kvs_mget_span_ok(a->values, a->count, a->value_stride))
		return -EINVAL;
	return 0;
}

/*
 * Record the outcome @ret of the chunk's key @j. Return: 0, or @ret if it
 * ends the call (-EFAULT, -ENOMEM).
 */
static int kvs_mget_result(struct kvs_mget *m, u32 j, int ret, u32 vlen,
			   u64 ver)
{
	switch (ret) {
	case 0:
	case -ENOBUFS:
		m->res[j] = vlen;
		m->ver[j] = ver;
		return 0;
	case -ENOENT:
	case -EINVAL:
	case -E2BIG:
	case -EAGAIN:	/* kvs_mget_chunk_rcu(): copied again after */
		m->res[j] = ret;
		m->ver[j] = 0;
		return 0;
	default:
		return ret;
	}
}

/* The length of the chunk's key @j, or 0 if it is not one H_MGET takes. */
static u32 kvs_mget_klen(const struct kvs_mget *m, u32 j)
{
	u32 klen = m->a.key_lens ? m->len[j] : m->a.key_stride;

	return klen <= m->a.key_stride ? klen : 0;
}

/*
 * Look up key @i (the chunk's @j-th), its bytes fetched here. Return: 0,
 * or an error that ends the call (-EFAULT, -ENOMEM). Out of line, as
 * kvs_mget_chunk_rcu().
 */
static noinline_for_stack int kvs_mget_one(struct kvs_mget *m, u32 i, u32 j)
{
	const struct kvs_ioc_mget *a = &m->a;
	u32 klen = kvs_mget_klen(m, j);
	u32 vlen = 0;
	u64 ver = 0;
	int ret;

	if (!klen)
		return kvs_mget_result(m, j, -EINVAL, 0, 0);
	ret = kvs_key_in(&m->key, m->t, a->keys + (u64)i * a->key_stride, klen);
	if (!ret)
		ret = kvs_value_out(m->t, &m->key,
				    a->values + (u64)i * a->value_stride,
				    a->value_stride, &vlen, &ver);
	return kvs_mget_result(m, j, ret, vlen, ver);
}

/*
 * Keys @i.. (@n of them) of a chunk already in @m->keys, their values up to
 * KVS_VALUE_UNSAFE_MAX bytes: looked up together in one RCU read section
 * (__kvs_lookup_batch_rcu(): their cache misses overlap). A value whose
 * slot was not resident is copied again after the section, with page
 * faults allowed. Return: as kvs_mget_one(); *@done: the keys done.
 * Out of line: its arrays stay off kvs_h_mget()'s frame.
 */
static noinline_for_stack int kvs_mget_chunk_rcu(struct kvs_mget *m, u32 i,
						 u32 n, u32 *done)
{
	const struct kvs_ioc_mget *a = &m->a;
	struct kvs_table *t = m->t;
	/* Not zeroed on entry: entries up to nk are written, then read. */
	const u8 *keys[KVS_MGET_CHUNK] __uninitialized;
	const void *vals[KVS_MGET_CHUNK] __uninitialized;
	u32 klens[KVS_MGET_CHUNK] __uninitialized;
	u32 vlens[KVS_MGET_CHUNK] __uninitialized;
	u64 vers[KVS_MGET_CHUNK] __uninitialized;
	u8 idx[KVS_MGET_CHUNK] __uninitialized;
	u32 j, k, nk = 0, klen, vlen;
	u64 ver;
	int ret;

	BUILD_BUG_ON(KVS_MGET_CHUNK > KVS_LOOKUP_BATCH);
	for (j = 0; j < n; j++) {
		klen = kvs_mget_klen(m, j);
		if (!klen || klen > t->params.max_key_size) {
			kvs_mget_result(m, j, klen ? -E2BIG : -EINVAL, 0, 0);
			continue;
		}
		keys[nk] = m->keys + (size_t)j * a->key_stride;
		klens[nk] = klen;
		idx[nk++] = j;
	}
	kvs_rcu_read_lock();
	__kvs_lookup_batch_rcu(t, keys, klens, nk, vals, vlens, vers);
	for (k = 0; k < nk; k++) {
		j = idx[k];
		ret = kvs_value_put_rcu(vals[k], vlens[k],
					a->values + (u64)(i + j) * a->value_stride,
					a->value_stride);
		kvs_mget_result(m, j, ret, vlens[k], vers[k]);
	}
	kvs_rcu_read_unlock();
	for (j = 0; j < n; j++) {
		if (m->res[j] != -EAGAIN)
			continue;
		m->key.p = (void *)(m->keys + (size_t)j * a->key_stride);
		m->key.len = kvs_mget_klen(m, j);
		vlen = 0;
		ver = 0;
		ret = kvs_value_out_slow(t, &m->key,
					 a->values + (u64)(i + j) * a->value_stride,
					 a->value_stride, &vlen, &ver);
		ret = kvs_mget_result(m, j, ret, vlen, ver);
		if (ret) {
			*done = j;
			return ret;
		}
	}
	*done = n;
	return 0;
}

/*
 * The keys @i.. (@n of them) of a chunk: copied in at once if they fit
 * @kbuf and their values are short enough for kvs_mget_chunk_rcu(), else
 * one by one as they are looked up. Return: 0, -EFAULT.
 */
static int kvs_mget_keys_in(struct kvs_mget *m, u32 i, u32 n)
{
	const struct kvs_ioc_mget *a = &m->a;
	size_t len = (size_t)n * a->key_stride;

	if (m->key.heap || len > sizeof(m->kbuf) ||
	    a->value_stride > KVS_VALUE_UNSAFE_MAX) {
		m->keys = NULL;
		return 0;
	}
	m->keys = m->kbuf;
	return kvs_copy_from_user_small(m->kbuf,
					u64_to_user_ptr(a->keys +
							(u64)i * a->key_stride),
					len);
}

/* Write the results of keys @i.. (@n of them) back. */
static int kvs_mget_flush(struct kvs_mget *m, u32 i, u32 n)
{
	const struct kvs_ioc_mget *a = &m->a;

	if (kvs_copy_to_user_small(u64_to_user_ptr(a->results +
						   (u64)i * sizeof(s32)),
				   m->res, n * sizeof(s32)))
		return -EFAULT;
	if (a->versions &&
	    kvs_copy_to_user_small(u64_to_user_ptr(a->versions +
						   (u64)i * sizeof(u64)),
				   m->ver, n * sizeof(u64)))
		return -EFAULT;
	return 0;
}

static long kvs_h_mget(struct file *file, struct kvs_table *t,
		       void __user *uarg)
{
	u32 __user *udone = uarg + offsetof(struct kvs_ioc_mget, done);
	/*
	 * On the stack, and not zeroed (CONFIG_INIT_STACK_ALL_ZERO would clear
	 * its 736 bytes a call): every field is written before it is read,
	 * and only the results written are copied out.
	 */
	struct kvs_mget m __uninitialized;
	u32 usize, i, n, done;
	int ret;

	ret = kvs_h_copy_in(file, FMODE_READ, &m.a, sizeof(m.a),
			    KVS_IOC_MGET_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	ret = kvs_mget_check(&m);
	if (ret)
		return ret;
	if (kvs_table_gone(t))
		return -EIDRM;
	m.t = t;
	m.key.heap = false;
	m.keys = NULL;
	for (i = 0; i < m.a.count; i += done) {
		n = min_t(u32, m.a.count - i, KVS_MGET_CHUNK);
		done = 0;
		if (m.a.key_lens &&
		    kvs_copy_from_user_small(m.len,
					     u64_to_user_ptr(m.a.key_lens +
							     (u64)i * sizeof(u32)),
					     n * sizeof(u32)))
			ret = -EFAULT;
		if (!ret)
			ret = kvs_mget_keys_in(&m, i, n);
		if (!ret && m.keys)
			ret = kvs_mget_chunk_rcu(&m, i, n, &done);
		while (!ret && done < n) {
			ret = kvs_mget_one(&m, i + done, done);
			if (!ret)
				done++;
		}
		/* The results of the keys done, also when one failed. */
		if (kvs_mget_flush(&m, i, done)) {
			ret = -EFAULT;
			break;
		}
		if (ret) {
			i += done;
			break;
		}
		cond_resched();
	}
	if (put_user(i, udone))
		ret = ret ?: -EFAULT;
	kvs_ubuf_free(&m.key);
	return ret;
}

static long kvs_handle_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct kvs_table *t = file->private_data;
	void __user *uarg = (void __user *)arg;

	/* As /dev/kvstore's commands: the number decides, not the size. */
	if (_IOC_TYPE(cmd) != KVS_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(KVS_IOC_H_GET):
		return kvs_h_get(file, t, uarg);
	case _IOC_NR(KVS_IOC_H_PUT):
	case _IOC_NR(KVS_IOC_H_DEL):
		return kvs_h_write(file, t, _IOC_NR(cmd), uarg);
	case _IOC_NR(KVS_IOC_H_MGET):
		return kvs_h_mget(file, t, uarg);
	default:
		return -ENOTTY;
	}
}

static int kvs_handle_release(struct inode *inode, struct file *file)
{
	kvs_table_put(file->private_data);
	return 0;
}

static const struct file_operations kvs_handle_fops = {
	.owner		= THIS_MODULE,
	.release	= kvs_handle_release,
	.unlocked_ioctl	= kvs_handle_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/**
 * kvs_ioc_table_open() - KVS_IOC_TABLE_OPEN: a new handle on a table
 * @uarg: the user's struct kvs_ioc_table_open
 *
 * Context: process context; may sleep.
 * Return: 0 and the handle's fd in the reply; -EINVAL (flags, name,
 * reserved fields), -ENAMETOOLONG, -ENOENT, -EACCES, -EMFILE, -ENFILE,
 * -ENOMEM, -EFAULT. On failure no fd was installed.
 */
long kvs_ioc_table_open(void __user *uarg)
{
	struct kvs_ioc_table_open a;
	struct kvs_table *t;
	unsigned int mask = 0;
	struct file *file;
	int fd, oflags;
	u32 usize;
	int ret;

	ret = kvs_ioc_copy_in(&a, sizeof(a), KVS_IOC_TABLE_OPEN_SIZE_VER0,
			      uarg, &usize);
	if (ret)
		return ret;
	if (!a.flags || a.flags & ~(KVS_OPEN_READ | KVS_OPEN_WRITE) || a.fd ||
	    a.reserved)
		return -EINVAL;
	if (a.flags & KVS_OPEN_READ)
		mask |= KVS_MAY_READ;
	if (a.flags & KVS_OPEN_WRITE)
		mask |= KVS_MAY_WRITE;
	oflags = mask == (KVS_MAY_READ | KVS_MAY_WRITE) ? O_RDWR :
		 mask == KVS_MAY_READ ? O_RDONLY : O_WRONLY;
	t = kvs_proxy_table(a.name, mask);
	if (IS_ERR(t))
		return PTR_ERR(t);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kvs_table_put(t);
		return fd;
	}
	file = anon_inode_getfile("[kvstore-table]", &kvs_handle_fops, t,
				  oflags | O_CLOEXEC);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kvs_table_put(t);
		return PTR_ERR(file);
	}
	a.size = sizeof(a);
	a.fd = fd;
	if (kvs_ioc_copy_out(uarg, usize, &a, sizeof(a))) {
		fput(file);	/* its release puts the table */
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}
