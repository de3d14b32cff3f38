// SPDX-License-Identifier: GPL-2.0
/*
 * Table handles against a table dropped and created again under them:
 * threads open handles on "hs", read (kvc_tget, kvc_mget) and write
 * (kvc_tput, kvc_tdel) through them and close them, while another thread
 * drops the table and creates it again every few milliseconds. Every call
 * must answer with its value or one of the errors the ABI gives for that
 * race (-ENOENT: no table of that name at open, or no such key; -EIDRM:
 * the handle's table was dropped), every value read must be one a writer
 * wrote for that key, and once the threads are done and the last table
 * dropped, the store holds no table and no byte more than before. On the
 * debug kernel KASAN, lockdep and kmemleak watch the same race.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "kvclient.h"

#define TABLE		"hs"
#define KEYS		64
#define WORKERS		3
#define RUN_MS		3000

static struct kvc_handle *h;
static volatile bool stop;

struct worker {
	pthread_t tid;
	int id;
	unsigned long calls, opens, idrm, bad;
	int first_bad;
};

static void key_of(int i, char key[8])
{
	snprintf(key, 8, "k%03d", i);
}

/* A writer's value for key @i: the key, then the writer's id, 16 bytes. */
static void value_of(int i, int id, char val[16])
{
	memset(val, 0, 16);
	snprintf(val, 16, "k%03d-w%d", i, id);
}

/* Is @val (@len bytes) one some writer wrote for key @i? */
static bool value_ok(int i, const char *val, size_t len)
{
	char want[16];
	int id;

	for (id = 0; id < WORKERS; id++) {
		value_of(i, id, want);
		if (len == sizeof(want) && !memcmp(val, want, len))
			return true;
	}
	return false;
}

static void note(struct worker *w, int ret, const char *what)
{
	if (!ret || ret == -ENOENT)
		return;
	if (ret == -EIDRM) {
		w->idrm++;
		return;
	}
	if (!w->bad++)
		w->first_bad = ret;
	if (w->bad == 1)
		printf("# worker %d: %s: %d\n", w->id, what, ret);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One handle's life: a few hundred calls, then close. */
static void handle_round(struct worker *w, struct kvc_table *t, uint64_t *s)
{
	char keys[KEYS][8], vals[KEYS][16], val[16], buf[16];
	uint32_t lens[KEYS];
	int32_t res[KEYS];
	int n, i, ret;
	size_t len;

	for (i = 0; i < KEYS; i++) {
		key_of(i, keys[i]);
		lens[i] = 4;
	}
	for (n = 0; n < 200 && !stop; n++, w->calls++) {
		i = rnd(s) % KEYS;
		switch (rnd(s) % 4) {
		case 0:
			value_of(i, w->id, val);
			note(w, kvc_tput(t, keys[i], 4, val, sizeof(val), 0, 0,
					 NULL), "tput");
			break;
		case 1:
			note(w, kvc_tdel(t, keys[i], 4, 0, 0), "tdel");
			break;
		case 2:
			len = sizeof(buf);
			ret = kvc_tget(t, keys[i], 4, buf, &len, NULL);
			if (!ret && !value_ok(i, buf, len))
				ret = -EILSEQ;
			note(w, ret, "tget");
			break;
		default:
			ret = kvc_mget(t, KEYS, keys, sizeof(keys[0]), lens,
				       vals, sizeof(vals[0]), res, NULL);
			for (i = 0; !ret && i < KEYS; i++) {
				if (res[i] >= 0 && !value_ok(i, vals[i], res[i]))
					ret = -EILSEQ;
				else if (res[i] < 0 && res[i] != -ENOENT)
					ret = res[i];
			}
			note(w, ret, "mget");
		}
	}
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (w->id + 1);
	struct kvc_table *t;
	int ret;

	while (!stop) {
		ret = kvc_table_open(h, TABLE, KVC_OPEN_READ | KVC_OPEN_WRITE,
				     &t);
		if (ret) {
			note(w, ret, "open");
			continue;
		}
		w->opens++;
		handle_round(w, t, &s);
		kvc_table_close(t);
	}
	return NULL;
}

static int create(void)
{
	struct kvc_table_opts o = {
		.sz = sizeof(o), .max_key_size = 8, .max_value_size = 16,
		.mode = 0600,
	};

	return kvc_table_create(h, TABLE, &o);
}

static void *dropper_fn(void *arg)
{
	unsigned long *rounds = arg;
	struct timespec ts = { 0, 3 * 1000 * 1000 };

	while (!stop) {
		nanosleep(&ts, NULL);
		if (kvc_table_drop(h, TABLE) || create())
			break;
		(*rounds)++;
	}
	return NULL;
}

static int stats(struct kvc_stats *st)
{
	memset(st, 0, sizeof(*st));
	return kvc_stats(h, st);
}

int main(void)
{
	struct worker w[WORKERS];
	struct kvc_stats st0, st;
	unsigned long drops = 0, calls = 0, idrm = 0, bad = 0;
	pthread_t dropper;
	int i;

	if (!tap_ok(!kvc_open(NULL, &h) && !stats(&st0) && !create(),
		    "open, stats, create %s", TABLE))
		return tap_done();
	memset(w, 0, sizeof(w));
	for (i = 0; i < WORKERS; i++) {
		w[i].id = i;
		pthread_create(&w[i].tid, NULL, worker_fn, &w[i]);
	}
	pthread_create(&dropper, NULL, dropper_fn, &drops);
	usleep(RUN_MS * 1000);
	stop = true;
	pthread_join(dropper, NULL);
	for (i = 0; i < WORKERS; i++) {
		pthread_join(w[i].tid, NULL);
		calls += w[i].calls;
		idrm += w[i].idrm;
		bad += w[i].bad;
	}
	tap_diag("%lu calls, %lu -EIDRM, %lu drops", calls, idrm, drops);
	tap_ok(drops >= 10 && calls > 1000,
	       "the table was dropped and created again %lu times under %lu calls",
	       drops, calls);
	tap_ok(!bad, "every call gave a value some writer wrote, 0, -ENOENT or -EIDRM (%lu others)",
	       bad);
	tap_ok(idrm > 0, "handles saw their table dropped (-EIDRM %lu times)",
	       idrm);
	kvc_table_drop(h, TABLE);
	/* Dropped tables are freed by the store's work, after a grace period. */
	for (i = 0; i < 200 && !stats(&st) &&
	     (st.tables != st0.tables || st.bytes != st0.bytes); i++)
		usleep(10 * 1000);
	tap_ok(st.tables == st0.tables && st.bytes == st0.bytes,
	       "all handles closed, table dropped: %llu tables, %llu bytes, as before",
	       (unsigned long long)st.tables, (unsigned long long)st.bytes);
	kvc_close(h);
	return tap_done();
}
