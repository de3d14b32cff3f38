/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvstore: what the proxy's files share (kvs_proxy.c: commands by name,
 * kvs_handle.c: table handles).
 */
#ifndef _KVS_PROXY_H
#define _KVS_PROXY_H

#include <linux/types.h>
#include <linux/kernel.h>

#include "kvs_internal.h"
#include "core/kvs_store.h"

struct kvs_txn;

/* Keys and values up to this size travel through the stack. */
#define KVS_PROXY_INLINE	128

/* Access bits, as the mode bits' (r, w) */
#define KVS_MAY_READ	4
#define KVS_MAY_WRITE	2

/**
 * struct kvs_ubuf - a kernel copy of user bytes: inline if small
 * @p: the bytes
 * @len: their number
 * @heap: @p was allocated (kvmalloc)
 * @inl: the inline room
 *
 * Starts with @heap false; kvs_ubuf_free() when done.
 */
struct kvs_ubuf {
	void *p;
	u32 len;
	bool heap;
	u8 inl[KVS_PROXY_INLINE];
};

/* Context of all: process context, may sleep. */

/* Room for @len bytes in @b (the old bytes are lost). Return: 0, -ENOMEM. */
int kvs_ubuf_room(struct kvs_ubuf *b, u32 len);
int __kvs_ubuf_copy(struct kvs_ubuf *b, u64 uptr, u32 len);
void __kvs_ubuf_free(struct kvs_ubuf *b);

static inline void kvs_ubuf_free(struct kvs_ubuf *b)
{
	if (b->heap)
		__kvs_ubuf_free(b);
}

/*
 * Copy @len bytes from user @uptr into @b; @len was checked against a
 * bound. Inline for short bytes into the inline room (keys, mostly).
 * Return: 0, -ENOMEM, -EFAULT.
 */
static inline int kvs_ubuf_copy(struct kvs_ubuf *b, u64 uptr, u32 len)
{
	if (b->heap || len > sizeof(b->inl))
		return __kvs_ubuf_copy(b, uptr, len);
	b->p = b->inl;
	b->len = len;
	return kvs_copy_from_user_small(b->p, u64_to_user_ptr(uptr), len);
}

/*
 * Fetch a key of @t (1..max_key_size bytes) from user @uptr.
 * Return: 0; -EINVAL (empty key, NULL pointer), -E2BIG, -ENOMEM, -EFAULT.
 */
static inline int kvs_key_in(struct kvs_ubuf *b, const struct kvs_table *t,
			     u64 uptr, u32 len)
{
	if (!len || !uptr)
		return -EINVAL;
	if (len > t->params.max_key_size)
		return -E2BIG;
	return kvs_ubuf_copy(b, uptr, len);
}

/* A value (0..max_value_size bytes), as kvs_key_in(). */
int kvs_value_in(struct kvs_ubuf *b, const struct kvs_table *t, u64 uptr,
		 u32 len);

/*
 * Read @key of @t (in @tx if not NULL) into @val, growing it up to @room
 * bytes. Return: 0 (*@vlen, *@ver set), -ENOBUFS with *@vlen the length
 * needed, or the read's error.
 */
int kvs_read_value(struct kvs_txn *tx, struct kvs_table *t,
		   const struct kvs_ubuf *key, struct kvs_ubuf *val, u32 room,
		   u32 *vlen, u64 *ver);

/*
 * The table named by a KVS_NAME_LEN field, referenced, if the caller may
 * @mask (KVS_MAY_*, 0: no check) on it. Return: the table or an ERR_PTR:
 * -EINVAL/-ENAMETOOLONG (bad name), -ENOENT, -EACCES.
 */
struct kvs_table *kvs_proxy_table(const char *name, unsigned int mask);

/* kvs_handle.c: KVS_IOC_TABLE_OPEN on /dev/kvstore. */
long kvs_ioc_table_open(void __user *uarg);

#endif /* _KVS_PROXY_H */
