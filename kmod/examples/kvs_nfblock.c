// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_nfblock: drop packets whose destination is listed in a kvstore table.
 *
 * An example of a kernel module that uses kvstore, written to be copied.
 * It hooks netfilter at NF_INET_LOCAL_OUT (packets this host sends; the
 * "outbound" parameter) and NF_INET_LOCAL_IN (packets delivered to this
 * host; "inbound"), IPv4 and IPv6, in every network namespace, and drops a
 * packet if its destination is a key of the table named by the "table"
 * parameter (default "nfblock"):
 *
 *	tcp:<port>	TCP to that destination port, e.g. "tcp:8080"
 *	udp:<port>	UDP to that destination port, e.g. "udp:53"
 *	ip:<address>	anything to that address: "ip:192.0.2.1", or IPv6 in
 *			the RFC 5952 form (as "ip -6 addr" prints it),
 *			e.g. "ip:2001:db8::1", "ip:::1"
 *
 * Ports are decimal without leading zeros. The value is not looked at: a
 * key's presence blocks. Keys are text so that an administrator can manage
 * the list from user space (kvctl, or libkvclient's kvc_put()/kvc_del());
 * a binary key (a __be16 port, a 16-byte address) would save formatting
 * but not the lookup.
 *
 * Drops are counted per CPU and shown in /sys/kernel/debug/kvs_nfblock/stats;
 * "echo 'module kvs_nfblock +p' > /sys/kernel/debug/dynamic_debug/control"
 * logs them (rate-limited).
 *
 * DOC: Depending on kvstore's symbols
 *
 * kvstore exports its API with EXPORT_SYMBOL_GPL, so this module must be
 * GPL-compatible (MODULE_LICENSE below). At build time modpost must find
 * the symbols (and their CRCs, with CONFIG_MODVERSIONS): inside kvstore's
 * tree (this directory is built by the top-level Kbuild in the same
 * "make M=" run as kvstore.ko) it sees them directly; a module built on
 * its own passes kvstore's Module.symvers (see README.md next to this file):
 *
 *	make -C /lib/modules/$(uname -r)/build M=$PWD \
 *		KBUILD_EXTRA_SYMBOLS=/path/to/kvstore/Module.symvers modules
 *
 * Without it the build stops: 'ERROR: modpost: "kvs_store" [...] undefined!'.
 * With it, modpost records "depends: kvstore" in the module's .modinfo; depmod
 * turns that into modules.dep, so "modprobe kvs_nfblock" loads kvstore.ko
 * first, and the module loader takes a reference on kvstore for as long as
 * this module is loaded ("rmmod kvstore" fails with EBUSY until then). No
 * MODULE_SOFTDEP() is needed: soft dependencies are for modules used
 * without calling their symbols (e.g. through request_module() or a
 * notifier); a hard symbol dependency is already exact.
 *
 * DOC: Looking up in atomic context
 *
 * Netfilter hooks run in softirq (NET_RX) or in the sending task with RCU
 * held, often with bottom halves disabled: they must not sleep, and the
 * per-packet path here neither allocates nor takes a lock. kvs_lookup_rcu()
 * is made for it: lock-free, any context, it returns a pointer to the value
 * that stays valid until rcu_read_unlock(). The key is formatted into a
 * buffer on the stack; headers are read with skb_header_pointer(), which
 * copies into another stack buffer when the skb is not linear.
 *
 * DOC: Unloading safely
 *
 * The table pointer is used by the hooks, so the order at unload is:
 * unregister the hooks, wait until no CPU is still inside one, then put
 * the table reference. The wait must be explicit: nf_unregister_net_hook()
 * (since Linux 4.16) only replaces the hook by a dummy and frees its
 * bookkeeping after a grace period; it does not wait for hooks that are
 * running. synchronize_net() does. The module's code itself is safe: the
 * module loader waits for a grace period before freeing it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/percpu.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/rcupdate.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <linux/kvstore.h>

static char *table = "nfblock";
module_param(table, charp, 0444);
MODULE_PARM_DESC(table, "kvstore table of blocked destinations (created if absent)");

static bool outbound = true;
module_param(outbound, bool, 0444);
MODULE_PARM_DESC(outbound, "Judge packets this host sends (NF_INET_LOCAL_OUT)");

static bool inbound = true;
module_param(inbound, bool, 0444);
MODULE_PARM_DESC(inbound, "Judge packets delivered to this host (NF_INET_LOCAL_IN)");

/* "ip:" + the longest IPv6 text (45) + NUL fits; so do the port keys. */
#define NFB_KEY_SIZE	64

/* Limits of the table when this module creates it. */
#define NFB_MAX_VALUE	256

/**
 * struct nfb_stats - per-CPU packet counters
 * @checked: packets looked up
 * @dropped: packets dropped
 *
 * Per CPU so that the packet path never writes a shared cache line; the
 * reader sums them (a little stale, which is fine for statistics).
 */
struct nfb_stats {
	unsigned long checked;
	unsigned long dropped;
};

/*
 * Set once at load, before the hooks are registered, and put only after
 * they are unregistered and synchronize_net() returned: the hooks may use
 * it without further checks or references of their own.
 */
static struct kvs_table *nfb_table;
static struct nfb_stats __percpu *nfb_stats;
static struct dentry *nfb_debugfs;

/**
 * nfb_listed() - is @key a key of the table?
 * @key: the key
 * @klen: its length
 *
 * Context: any context; takes no lock and never sleeps.
 * Return: true if @key is present.
 */
static bool nfb_listed(const char *key, int klen)
{
	const void *val;
	u32 vlen;

	/*
	 * Netfilter already runs hooks under rcu_read_lock(); taking it again
	 * costs nothing and states what the value pointer depends on. A hook
	 * that needs the value reads it (or copies it) before the unlock; or
	 * it uses kvs_get(), which copies it out.
	 */
	rcu_read_lock();
	val = kvs_lookup_rcu(nfb_table, key, klen, &vlen, NULL);
	rcu_read_unlock();
	if (!val)
		return false;
	net_dbg_ratelimited("dropping a packet: '%.*s' is listed\n", klen, key);
	return true;
}

/**
 * nfb_port_listed() - is the destination port of a TCP or UDP packet listed?
 * @skb: the packet
 * @proto: its transport protocol (IPPROTO_*)
 * @thoff: offset of the transport header from skb->data
 *
 * Context: any context; never sleeps.
 * Return: true if "tcp:<port>" or "udp:<port>" is present.
 */
static bool nfb_port_listed(const struct sk_buff *skb, u8 proto, int thoff)
{
	char key[NFB_KEY_SIZE];
	const __be16 *ports;
	__be16 buf[2];
	const char *name;
	int len;

	switch (proto) {
	case IPPROTO_TCP:
		name = "tcp";
		break;
	case IPPROTO_UDP:
		name = "udp";
		break;
	default:
		return false;
	}
	/* Source then destination port: the first 4 bytes of both headers. */
	ports = skb_header_pointer(skb, thoff, sizeof(buf), buf);
	if (!ports)
		return false;	/* truncated: the stack will drop it anyway */
	len = snprintf(key, sizeof(key), "%s:%u", name, ntohs(ports[1]));
	return nfb_listed(key, len);
}

/* Context: any; never sleeps. Return: true to drop the IPv4 packet @skb. */
static bool nfb_ipv4_listed(const struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	char key[NFB_KEY_SIZE];
	int len;

	len = snprintf(key, sizeof(key), "ip:%pI4", &iph->daddr);
	if (nfb_listed(key, len))
		return true;
	/*
	 * Only the first fragment carries the ports; dropping it is enough
	 * (the datagram can no longer be reassembled). LOCAL_IN sees whole
	 * datagrams anyway (ip_local_deliver() reassembles first), and
	 * LOCAL_OUT runs before fragmentation.
	 */
	if (iph->frag_off & htons(IP_OFFSET))
		return false;
	return nfb_port_listed(skb, iph->protocol,
			       skb_network_offset(skb) + ip_hdrlen(skb));
}

/* Context: any; never sleeps. Return: true to drop the IPv6 packet @skb. */
static bool nfb_ipv6_listed(const struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	char key[NFB_KEY_SIZE];
	u8 nexthdr = ip6h->nexthdr;
	__be16 frag_off;
	int thoff, len;

	len = snprintf(key, sizeof(key), "ip:%pI6c", &ip6h->daddr);
	if (nfb_listed(key, len))
		return true;
	/* Walk the extension headers (bounded, no allocation) to TCP/UDP. */
	thoff = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
				 &nexthdr, &frag_off);
	if (thoff < 0 || (ntohs(frag_off) & ~0x7))
		return false;	/* malformed, or not the first fragment */
	return nfb_port_listed(skb, nexthdr, thoff);
}

/**
 * nfb_hook() - the netfilter hook: drop packets to listed destinations
 * @priv: unused
 * @skb: the packet
 * @state: where in the stack it is (hook, family, devices)
 *
 * Context: softirq (LOCAL_IN; LOCAL_OUT of what the stack sends from
 * softirq, such as a SYN-ACK), or a sending task with RCU held; must not
 * sleep. No allocation, no lock: only kvs_lookup_rcu().
 * Return: NF_DROP if the destination is listed, else NF_ACCEPT.
 */
static unsigned int nfb_hook(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	bool drop;

	/*
	 * A packet looped back to this host was judged on its way out, at
	 * LOCAL_OUT, by this same code: do not look it up a second time.
	 */
	if (state->hook == NF_INET_LOCAL_IN && outbound && state->in &&
	    (state->in->flags & IFF_LOOPBACK))
		return NF_ACCEPT;

	/* this_cpu_inc() is safe with preemption on, as LOCAL_OUT may be. */
	this_cpu_inc(nfb_stats->checked);
	if (state->pf == NFPROTO_IPV4)
		drop = nfb_ipv4_listed(skb);
	else
		drop = nfb_ipv6_listed(skb);
	if (!drop)
		return NF_ACCEPT;
	this_cpu_inc(nfb_stats->dropped);
	return NF_DROP;
}

/*
 * After defragmentation (-400), before the raw table and conntrack: a
 * dropped packet never costs a connection-tracking entry.
 */
#define NFB_PRIORITY_IPV4	(NF_IP_PRI_CONNTRACK_DEFRAG + 1)
#define NFB_PRIORITY_IPV6	(NF_IP6_PRI_CONNTRACK_DEFRAG + 1)

static const struct nf_hook_ops nfb_ops_ipv4 = {
	.hook		= nfb_hook,
	.pf		= NFPROTO_IPV4,
	.priority	= NFB_PRIORITY_IPV4,
};

static const struct nf_hook_ops nfb_ops_ipv6 = {
	.hook		= nfb_hook,
	.pf		= NFPROTO_IPV6,
	.priority	= NFB_PRIORITY_IPV6,
};

/* The hooks the parameters ask for, filled in at load; read-only after. */
static struct nf_hook_ops nfb_ops[4];
static unsigned int nfb_nops;

static void __init nfb_add_ops(unsigned int hooknum)
{
	nfb_ops[nfb_nops] = nfb_ops_ipv4;
	nfb_ops[nfb_nops++].hooknum = hooknum;
	if (!IS_ENABLED(CONFIG_IPV6))
		return;
	nfb_ops[nfb_nops] = nfb_ops_ipv6;
	nfb_ops[nfb_nops++].hooknum = hooknum;
}

/*
 * Hooks are registered per network namespace: pernet_operations call us
 * for every namespace that exists at registration and for each one created
 * later, so containers are covered too. The table is global: one list for
 * all namespaces.
 */
static int __net_init nfb_net_init(struct net *net)
{
	return nf_register_net_hooks(net, nfb_ops, nfb_nops);
}

static void __net_exit nfb_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, nfb_ops, nfb_nops);
}

static struct pernet_operations nfb_net_ops = {
	.init = nfb_net_init,
	.exit = nfb_net_exit,
};

static int nfb_stats_show(struct seq_file *m, void *v)
{
	unsigned long checked = 0, dropped = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct nfb_stats *st = per_cpu_ptr(nfb_stats, cpu);

		checked += READ_ONCE(st->checked);
		dropped += READ_ONCE(st->dropped);
	}
	seq_printf(m, "table %s\nchecked %lu\ndropped %lu\n", table, checked,
		   dropped);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nfb_stats);

/**
 * nfb_table_open() - take a reference to the table, creating it if absent
 *
 * Context: process context; may sleep (kvs_table_create()).
 * Return: 0 with nfb_table set; a negative errno.
 */
static int __init nfb_table_open(void)
{
	/*
	 * Readable by all (0644) so that anyone may see what is blocked;
	 * written only by root, the owner (and CAP_SYS_ADMIN). A hash table
	 * is enough: the hooks only do point lookups, never ordered scans.
	 */
	static const struct kvs_table_params params = {
		.max_key_size	= NFB_KEY_SIZE,
		.max_value_size	= NFB_MAX_VALUE,
		.durability	= KVS_DUR_VOLATILE,
		.uid		= 0,
		.gid		= 0,
		.mode		= 0644,
	};
	struct kvs_store *s = kvs_store();
	int tries, ret = -EAGAIN;

	/*
	 * Get, else create; the table may appear (another creator wins:
	 * -EEXIST) or disappear (an admin drops it) between the two, so try
	 * again a few times. Both calls return a reference of our own.
	 */
	for (tries = 0; tries < 3; tries++) {
		nfb_table = kvs_table_get(s, table);
		if (nfb_table)
			return 0;
		ret = kvs_table_create(s, table, &params, &nfb_table);
		if (!ret) {
			pr_info("created table '%s'\n", table);
			return 0;
		}
		if (ret != -EEXIST)
			break;
	}
	pr_err("cannot open or create table '%s': %d\n", table, ret);
	return ret;
}

static int __init nfb_init(void)
{
	int ret;

	if (!inbound && !outbound) {
		pr_err("inbound=0 and outbound=0: nothing to do\n");
		return -EINVAL;
	}
	if (outbound)
		nfb_add_ops(NF_INET_LOCAL_OUT);
	if (inbound)
		nfb_add_ops(NF_INET_LOCAL_IN);

	ret = nfb_table_open();
	if (ret)
		return ret;
	nfb_stats = alloc_percpu(struct nfb_stats);
	if (!nfb_stats) {
		ret = -ENOMEM;
		goto out_table;
	}
	/* Debugfs is optional: its errors are not checked, by design. */
	nfb_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0444, nfb_debugfs, NULL, &nfb_stats_fops);

	/* Last: from here on packets reach nfb_hook(), on any CPU. */
	ret = register_pernet_subsys(&nfb_net_ops);
	if (ret)
		goto out_debugfs;
	pr_info("dropping %s%s%s packets to destinations listed in table '%s'\n",
		outbound ? "outgoing" : "", inbound && outbound ? " and " : "",
		inbound ? "incoming" : "", table);
	return 0;

out_debugfs:
	/* A namespace registered before the failure may have run a hook. */
	synchronize_net();
	debugfs_remove(nfb_debugfs);
	free_percpu(nfb_stats);
out_table:
	kvs_table_put(nfb_table);
	return ret;
}

static void __exit nfb_exit(void)
{
	/* No new packet enters nfb_hook() after this ... */
	unregister_pernet_subsys(&nfb_net_ops);
	/* ... and none is still inside it after this. */
	synchronize_net();
	/* Waits for readers of the stats file; then nothing uses the rest. */
	debugfs_remove(nfb_debugfs);
	free_percpu(nfb_stats);
	/* The table and its keys stay in kvstore for the next load. */
	kvs_table_put(nfb_table);
	pr_info("unloaded\n");
}

module_init(nfb_init);
module_exit(nfb_exit);

MODULE_DESCRIPTION("kvstore example: drop packets to destinations listed in a table");
MODULE_AUTHOR("The kvstore authors");
/* kvstore's symbols are EXPORT_SYMBOL_GPL: only GPL modules may use them. */
MODULE_LICENSE("GPL");
