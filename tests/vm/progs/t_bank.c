// SPDX-License-Identifier: GPL-2.0
/*
 * Processes moving money between 32 accounts of an ordered table, each
 * through its own handle: transfers in kvc_txn_run() (one process with
 * compare-and-swap atomic batches instead), a checker adding up every
 * account in read-only transactions and with scans. The total never
 * changes. Then processes killed in the middle of a transaction (SIGKILL:
 * the kernel closes their handles): nothing of theirs becomes visible and
 * their snapshots are released.
 *
 *   t_bank [ITERATIONS]	transfers per process (default 1000)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "tap.h"
#include "kvclient.h"

#define BANK		"bank"
#define NACCT		32
#define START		1000
#define TOTAL		((uint64_t)NACCT * START)
#define NXFER		3

static struct kvc_handle *h;

struct counts {
	uint64_t ok;		/* transfers committed */
	uint64_t retried;	/* attempts that conflicted */
	uint64_t gave_up;	/* -EAGAIN after every try */
	uint64_t checks;	/* checker: consistent reads */
	uint64_t bad;		/* wrong totals or unexpected errors */
	int first_err;
};

static void acct_key(int i, char key[8])
{
	snprintf(key, 8, "acct%02d", i);
}

static int get_bal(struct kvc_handle *hd, struct kvc_txn *txn, int i,
		   uint64_t *bal, uint64_t *ver)
{
	size_t len = sizeof(*bal);
	char key[8];
	int ret;

	acct_key(i, key);
	ret = kvc_get(hd, txn, BANK, key, 6, bal, &len, ver);
	if (!ret && len != sizeof(*bal))
		ret = -EPROTO;
	return ret;
}

static int put_bal(struct kvc_handle *hd, struct kvc_txn *txn, int i,
		   uint64_t bal)
{
	char key[8];

	acct_key(i, key);
	return kvc_put(hd, txn, BANK, key, 6, &bal, sizeof(bal),
		       KVC_PUT_REPLACE, 0, NULL);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct xfer {
	struct kvc_handle *h;
	int from, to;
	uint64_t amount;
	unsigned int calls;
};

static int xfer_fn(struct kvc_txn *txn, void *arg)
{
	struct xfer *x = arg;
	uint64_t a, b;
	int ret;

	x->calls++;
	ret = get_bal(x->h, txn, x->from, &a, NULL);
	if (!ret)
		ret = get_bal(x->h, txn, x->to, &b, NULL);
	if (ret || a < x->amount)
		return ret;
	ret = put_bal(x->h, txn, x->from, a - x->amount);
	if (!ret)
		ret = put_bal(x->h, txn, x->to, b + x->amount);
	return ret;
}

/* One transfer as an atomic batch, conditional on both versions. */
static int xfer_batch(struct kvc_handle *hd, struct kvc_batch *b, int from,
		      int to, uint64_t amount, uint64_t *retried)
{
	char kf[8], kt[8];
	uint64_t a, bb, va, vb, na, nb;
	int ret, tries;

	acct_key(from, kf);
	acct_key(to, kt);
	for (tries = 0; tries < 64; tries++) {
		ret = get_bal(hd, NULL, from, &a, &va);
		if (!ret)
			ret = get_bal(hd, NULL, to, &bb, &vb);
		if (ret || a < amount)
			return ret;
		na = a - amount;
		nb = bb + amount;
		kvc_batch_reset(b);
		kvc_batch_put(b, BANK, kf, 6, &na, sizeof(na), KVC_PUT_CAS, va);
		kvc_batch_put(b, BANK, kt, 6, &nb, sizeof(nb), KVC_PUT_CAS, vb);
		ret = kvc_batch_run(hd, NULL, b, KVC_BATCH_ATOMIC, NULL);
		if (ret != -ECANCELED && ret != -EAGAIN)
			return ret;
		/* A version moved (the op's -EAGAIN) or the commit conflicted. */
		if (ret == -ECANCELED &&
		    kvc_batch_result(b, 0, NULL, NULL) != -EAGAIN &&
		    kvc_batch_result(b, 1, NULL, NULL) != -EAGAIN)
			return ret;
		(*retried)++;
	}
	return -EAGAIN;
}

static void report(int fd, struct counts *c)
{
	if (write(fd, c, sizeof(*c)) != sizeof(*c))
		_exit(3);
}

static void note_err(struct counts *c, int ret)
{
	c->bad++;
	if (!c->first_err)
		c->first_err = ret;
}

/* A transfer process: @n transfers, through kvc_txn_run or batches. */
static void transferer(int id, int n, bool batches, int fd)
{
	struct counts c = { 0 };
	struct kvc_handle *hd;
	struct kvc_batch *b = NULL;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (id + 1) ^ (uint64_t)getpid();
	struct xfer x;
	int i, ret;

	if (kvc_open(NULL, &hd) || kvc_batch_new(&b)) {
		note_err(&c, -errno);
		report(fd, &c);
		_exit(1);
	}
	for (i = 0; i < n; i++) {
		x.h = hd;
		x.from = (int)(rnd(&seed) % NACCT);
		x.to = (int)((x.from + 1 + rnd(&seed) % (NACCT - 1)) % NACCT);
		x.amount = 1 + rnd(&seed) % 50;
		x.calls = 0;
		if (batches) {
			ret = xfer_batch(hd, b, x.from, x.to, x.amount, &c.retried);
		} else {
			ret = kvc_txn_run(hd, 0, 64, xfer_fn, &x, NULL);
			if (x.calls > 1)
				c.retried += x.calls - 1;
		}
		if (!ret)
			c.ok++;
		else if (ret == -EAGAIN)
			c.gave_up++;
		else
			note_err(&c, ret);
	}
	kvc_batch_free(b);
	kvc_close(hd);
	report(fd, &c);
	_exit(0);
}

/* Sum of the accounts in a scan (of the transaction if @txn). */
static int scan_sum(struct kvc_handle *hd, struct kvc_txn *txn,
		    size_t page, bool reverse, uint64_t *sum, int *n)
{
	struct kvc_scan_opts o = {
		.sz = sizeof(o), .prefix = "acct", .prefix_len = 4,
		.page_size = page, .flags = reverse ? KVC_SCAN_REVERSE : 0,
	};
	const void *k, *v;
	size_t kl, vl;
	struct kvc_scan *s;
	uint64_t bal;
	int ret;

	*sum = 0;
	*n = 0;
	ret = kvc_scan_open(hd, txn, BANK, &o, &s);
	if (ret)
		return ret;
	while ((ret = kvc_scan_next(s, &k, &kl, &v, &vl, NULL)) == 1) {
		if (vl != sizeof(bal)) {
			ret = -EPROTO;
			break;
		}
		memcpy(&bal, v, sizeof(bal));
		*sum += bal;
		(*n)++;
	}
	kvc_scan_close(s);
	return ret;
}

/*
 * The checker: until @stop_fd reports EOF (or @max rounds), add up the
 * accounts in a read-only transaction (point reads, then a scan of many
 * small pages, all at its snapshot) and in a one-page scan outside one.
 */
static void checker(int stop_fd, int max, int fd)
{
	struct counts c = { 0 };
	struct kvc_handle *hd;
	struct kvc_txn *txn;
	uint64_t sum, bal;
	int i, n, ret, round;
	char ch;

	if (kvc_open(NULL, &hd)) {
		note_err(&c, -errno);
		report(fd, &c);
		_exit(1);
	}
	fcntl(stop_fd, F_SETFL, O_NONBLOCK);
	for (round = 0; round < max; round++) {
		ret = kvc_txn_begin(hd, KVC_TXN_RDONLY, &txn);
		for (sum = 0, i = 0; !ret && i < NACCT; i++) {
			ret = get_bal(hd, txn, i, &bal, NULL);
			sum += bal;
		}
		if (!ret && sum != TOTAL)
			note_err(&c, -EDOM);
		if (!ret)
			ret = scan_sum(hd, txn, 64, round & 1, &sum, &n);
		if (!ret && (sum != TOTAL || n != NACCT))
			note_err(&c, -ERANGE);
		if (!ret)
			ret = kvc_txn_commit(txn, NULL);
		else
			kvc_txn_abort(txn);
		/* One page outside a transaction: one snapshot too. */
		if (!ret)
			ret = scan_sum(hd, NULL, 0, false, &sum, &n);
		if (!ret && (sum != TOTAL || n != NACCT))
			note_err(&c, -ERANGE);
		if (ret)
			note_err(&c, ret);
		else
			c.checks++;
		if (read(stop_fd, &ch, 1) == 0)
			break;
	}
	kvc_close(hd);
	report(fd, &c);
	_exit(0);
}

static uint64_t snapshots(void)
{
	struct kvc_stats st;

	return kvc_stats(h, &st) ? UINT64_MAX : st.snapshots;
}

static uint64_t entries(void)
{
	struct kvc_table_info ti;

	return kvc_table_info(h, BANK, &ti) ? UINT64_MAX : ti.entries;
}

/* The total by point reads of one read-only transaction. */
static uint64_t total(void)
{
	struct kvc_txn *txn;
	uint64_t sum = 0, bal;
	int i;

	if (kvc_txn_begin(h, KVC_TXN_RDONLY, &txn))
		return UINT64_MAX;
	for (i = 0; i < NACCT; i++) {
		if (get_bal(h, txn, i, &bal, NULL)) {
			sum = UINT64_MAX;
			break;
		}
		sum += bal;
	}
	kvc_txn_commit(txn, NULL);
	return sum;
}

/* Wait until no snapshot is registered (released on close), up to 10 s. */
static bool snapshots_drain(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 1000; i++) {
		if (snapshots() == 0)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_transfers(int iters)
{
	struct counts c[NXFER + 1], sum = { 0 };
	int res[2], stop[2], i, status, ok_exit = 0;
	pid_t pids[NXFER + 1];

	if (pipe(res) || pipe(stop)) {
		tap_ok(0, "pipes");
		return;
	}
	fflush(stdout);
	for (i = 0; i <= NXFER; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(res[0]);
			close(stop[1]);
			if (i < NXFER)
				transferer(i, iters, i == NXFER - 1, res[1]);
			checker(stop[0], 100000, res[1]);
		}
	}
	close(res[1]);
	close(stop[0]);
	memset(c, 0, sizeof(c));
	for (i = 0; i < NXFER; i++) {
		if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
		    !WEXITSTATUS(status))
			ok_exit++;
	}
	close(stop[1]);		/* the checker stops */
	if (waitpid(pids[NXFER], &status, 0) == pids[NXFER] && WIFEXITED(status) &&
	    !WEXITSTATUS(status))
		ok_exit++;
	for (i = 0; i <= NXFER; i++) {
		if (read(res[0], &c[i], sizeof(c[i])) != sizeof(c[i]))
			break;
		sum.ok += c[i].ok;
		sum.retried += c[i].retried;
		sum.gave_up += c[i].gave_up;
		sum.checks += c[i].checks;
		sum.bad += c[i].bad;
		if (!sum.first_err)
			sum.first_err = c[i].first_err;
	}
	close(res[0]);
	tap_diag("transfers: %llu committed, %llu retried attempts, %llu gave up; %llu checks",
		 (unsigned long long)sum.ok, (unsigned long long)sum.retried,
		 (unsigned long long)sum.gave_up, (unsigned long long)sum.checks);
	tap_ok(i == NXFER + 1 && ok_exit == NXFER + 1,
	       "%d transfer processes and a checker ran and reported", NXFER);
	tap_ok(sum.bad == 0, "no wrong total, no unexpected error (%llu, first %d)",
	       (unsigned long long)sum.bad, sum.first_err);
	tap_ok(sum.ok + sum.gave_up == (uint64_t)NXFER * iters && sum.ok >= (uint64_t)iters,
	       "transfers: every one committed or gave up after its tries");
	tap_ok(sum.checks > 0, "checker: %llu consistent rounds",
	       (unsigned long long)sum.checks);
	tap_ok(total() == TOTAL && entries() == NACCT,
	       "afterwards: total %llu, %d accounts", (unsigned long long)TOTAL, NACCT);
	tap_ok(snapshots() == 0, "afterwards: no snapshot registered");
}

/*
 * Children that begin a transaction, write (new keys, every account, a
 * delete), scan, say they are ready and wait to be killed.
 */
static void stuck(int id, int ready_fd)
{
	struct kvc_handle *hd;
	struct kvc_txn *txn;
	uint64_t sum;
	char key[32];
	int i, n, ret;

	ret = kvc_open(NULL, &hd) ?: kvc_txn_begin(hd, 0, &txn);
	for (i = 0; !ret && i < 4; i++) {
		snprintf(key, sizeof(key), "ghost%d.%d", id, i);
		ret = kvc_put(hd, txn, BANK, key, strlen(key), "boo", 3,
			      KVC_PUT_INSERT, 0, NULL);
	}
	for (i = 0; !ret && i < NACCT; i++)
		ret = put_bal(hd, txn, i, 1000000);
	if (!ret)
		ret = kvc_del(hd, txn, BANK, "acct00", 6, KVC_DEL_ANY, 0);
	if (!ret)
		ret = scan_sum(hd, txn, 64, false, &sum, &n);
	if (write(ready_fd, ret ? "E" : "R", 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

static void test_killed(int iters)
{
	int rd[2], i, n, status, killed = 0, round;
	struct timespec ts;
	pid_t pids[4];
	char buf[4], key[32];
	bool ghosts = false;
	uint64_t seed = (uint64_t)getpid() * 0x2545f4914f6cdd1dull;

	tap_ok(snapshots() == 0, "kill: no snapshot registered before");
	if (pipe(rd)) {
		tap_ok(0, "pipe");
		return;
	}
	fflush(stdout);
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		if (!pids[i]) {
			close(rd[0]);
			stuck(i, rd[1]);
		}
	}
	close(rd[1]);
	for (n = 0, i = 0; i < 4; i++)
		if (read(rd[0], buf, 1) == 1 && buf[0] == 'R')
			n++;
	close(rd[0]);
	tap_ok(n == 4, "kill: 4 children wrote in open transactions (%d ready)", n);
	tap_ok(snapshots() == 4 && total() == TOTAL && entries() == NACCT,
	       "kill: their 4 snapshots registered; their writes invisible");
	for (i = 0; i < 4; i++) {
		kill(pids[i], SIGKILL);
		if (waitpid(pids[i], &status, 0) == pids[i] && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL)
			killed++;
	}
	tap_ok(killed == 4, "kill: SIGKILLed mid-transaction");
	tap_ok(snapshots_drain(), "kill: their transactions aborted, snapshots back to 0");
	for (i = 0; i < 4 * 4; i++) {
		char b[8];
		size_t len = sizeof(b);

		snprintf(key, sizeof(key), "ghost%d.%d", i / 4, i % 4);
		if (kvc_get(h, NULL, BANK, key, strlen(key), b, &len, NULL) != -ENOENT)
			ghosts = true;
	}
	tap_ok(!ghosts && total() == TOTAL && entries() == NACCT,
	       "kill: nothing of theirs visible; total and entries unchanged");

	/* Transfer processes killed at random points, mid-call or not. */
	for (round = 0; round < 3; round++) {
		int res[2];

		if (pipe(res))
			break;
		fflush(stdout);
		for (i = 0; i < 3; i++) {
			pids[i] = fork();
			if (!pids[i]) {
				close(res[0]);
				transferer(10 + i, 1000000, i == 2, res[1]);
			}
		}
		close(res[1]);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(100 + rnd(&seed) % 400) * 1000 * 1000;
		nanosleep(&ts, NULL);
		for (i = 0; i < 3; i++) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &status, 0);
		}
		close(res[0]);
		tap_ok(snapshots_drain() && total() == TOTAL && entries() == NACCT,
		       "kill round %d: transfer processes killed after %ld ms: total exact, no snapshot left",
		       round, ts.tv_nsec / 1000000);
	}
	(void)iters;
}

int main(int argc, char **argv)
{
	struct kvc_table_opts o = {
		.sz = sizeof(o), .max_key_size = 32, .max_value_size = 16,
		.flags = KVC_TABLE_ORDERED,
	};
	int iters = argc > 1 ? atoi(argv[1]) : 1000, i, ret;
	uint64_t bal = START;
	char key[8];

	if (!tap_ok(!kvc_open(NULL, &h), "open"))
		return tap_done();
	kvc_table_drop(h, BANK);	/* a previous run's */
	ret = kvc_table_create(h, BANK, &o);
	for (i = 0; !ret && i < NACCT; i++) {
		acct_key(i, key);
		ret = kvc_put(h, NULL, BANK, key, 6, &bal, sizeof(bal),
			      KVC_PUT_INSERT, 0, NULL);
	}
	if (!tap_ok(!ret && total() == TOTAL, "bank: %d accounts of %d", NACCT, START))
		return tap_done();
	test_transfers(iters);
	test_killed(iters);
	tap_ok(!kvc_table_drop(h, BANK), "bank: table dropped");
	kvc_close(h);
	return tap_done();
}
