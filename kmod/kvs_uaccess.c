// SPDX-License-Identifier: GPL-2.0
/*
 * kvstore: copying size-prefixed ioctl structs in and out of user memory.
 */
#include <linux/uaccess.h>
#include <linux/mm.h>
#include <linux/minmax.h>

#include "kvs_internal.h"

/**
 * kvs_ioc_copy_in() - copy a size-prefixed ioctl struct from user space
 * @dst: kernel copy, @ksize bytes
 * @ksize: size of the struct this module knows
 * @minsize: size of the first published version of the struct
 * @uarg: user pointer; its first __u32 is the caller's struct size
 * @usizep: out: the caller's struct size, read exactly once
 *
 * The size is fetched once and only that fetch is trusted; the size field
 * inside @dst is whatever the second read saw and must not be used.
 * A caller's struct that is longer than ours must end in zeros.
 *
 * Context: Process context; may sleep (page faults).
 * Return: 0; -EFAULT for an unreadable pointer; -EINVAL if the size is
 * below @minsize; -E2BIG if it exceeds a page or a longer struct has
 * non-zero bytes beyond @ksize.
 */
int kvs_ioc_copy_in(void *dst, size_t ksize, size_t minsize,
		    const void __user *uarg, u32 *usizep)
{
	u32 usize;
	int ret;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < minsize)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(dst, ksize, uarg, usize);
	if (ret)
		return ret;
	*usizep = usize;
	return 0;
}

/**
 * kvs_ioc_copy_out() - copy an ioctl reply back to a size-prefixed struct
 * @uarg: user pointer the struct came from
 * @usize: the caller's struct size, as returned by kvs_ioc_copy_in()
 * @src: the reply, fully initialised (zeroed, then filled)
 * @ksize: size of @src
 *
 * Writes min(@usize, @ksize) bytes; the caller's bytes beyond @ksize were
 * checked to be zero on the way in and are left alone.
 *
 * Context: Process context; may sleep (page faults).
 * Return: 0 or -EFAULT.
 */
int kvs_ioc_copy_out(void __user *uarg, u32 usize, void *src, size_t ksize)
{
	if (copy_to_user(uarg, src, min_t(size_t, usize, ksize)))
		return -EFAULT;
	return 0;
}

/**
 * kvs_copy_from_user_small() - copy_from_user() for a few bytes
 * @dst: kernel buffer of @len bytes
 * @src: user pointer
 * @len: bytes, a few hundred at most (a key, a few short keys)
 *
 * Eight bytes a load (unsafe_get_user()), then the tail byte by byte: no
 * call, no hardened-usercopy object check (the caller's buffer holds @len
 * bytes by construction), no string instruction (a "rep movsb" costs a
 * start-up that short copies do not repay, and under emulation a step a
 * byte).
 *
 * Context: Process context; may sleep (page faults).
 * Return: 0 or -EFAULT.
 */
int kvs_copy_from_user_small(void *dst, const void __user *src, u32 len)
{
	const u8 __user *s = src;
	u8 *d = dst;
	u64 w;
	u8 b;

	if (!user_read_access_begin(src, len))
		return -EFAULT;
	for (; len >= sizeof(w); len -= sizeof(w), s += sizeof(w),
	     d += sizeof(w)) {
		unsafe_get_user(w, (const u64 __user *)s, fault);
		memcpy(d, &w, sizeof(w));
	}
	for (; len; len--, s++, d++) {
		unsafe_get_user(b, s, fault);
		*d = b;
	}
	user_read_access_end();
	return 0;
fault:
	user_read_access_end();
	return -EFAULT;
}

/**
 * kvs_copy_to_user_small() - copy_to_user() for a few bytes
 * @dst: user pointer
 * @src: kernel buffer of @len bytes
 * @len: bytes, a few hundred at most (a chunk's replies)
 *
 * As kvs_copy_from_user_small(), the other way: eight bytes a store
 * (unsafe_put_user()), then the tail byte by byte.
 *
 * Context: Process context; may sleep (page faults).
 * Return: 0 or -EFAULT (some bytes may have been written).
 */
int kvs_copy_to_user_small(void __user *dst, const void *src, u32 len)
{
	u8 __user *d = dst;
	const u8 *s = src;
	u64 w;

	if (!user_write_access_begin(dst, len))
		return -EFAULT;
	for (; len >= sizeof(w); len -= sizeof(w), s += sizeof(w),
	     d += sizeof(w)) {
		memcpy(&w, s, sizeof(w));
		unsafe_put_user(w, (u64 __user *)d, fault);
	}
	for (; len; len--, s++, d++)
		unsafe_put_user(*s, d, fault);
	user_write_access_end();
	return 0;
fault:
	user_write_access_end();
	return -EFAULT;
}
