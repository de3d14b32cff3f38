/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what the user-space benchmarks share: their command line,
 * timing, and best/median of repeated trials.
 */
#ifndef KVS_BENCH_H
#define KVS_BENCH_H

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvs_platform.h"

#define BENCH_MAX_THREADS	64
#define BENCH_MAX_TRIALS	64

/**
 * struct bench_opts - the options every benchmark takes
 * @nkeys: -n, keys to load
 * @threads: -t, comma-separated thread counts to run with
 * @nt: how many of them
 * @ms: -m, length of each timed phase in milliseconds
 * @trials: -r, trials per measurement
 */
struct bench_opts {
	u32 nkeys;
	unsigned int threads[8];
	unsigned int nt;
	unsigned int ms;
	unsigned int trials;
};

/* Parse argv into @o (which holds the defaults). Return: 0, or 2 (usage). */
static inline int bench_parse_opts(int argc, char **argv, struct bench_opts *o)
{
	unsigned int i;
	char *s, *tok;
	int opt;

	while ((opt = getopt(argc, argv, "n:t:m:r:")) != -1) {
		switch (opt) {
		case 'n':
			o->nkeys = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			o->ms = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o->trials = strtoul(optarg, NULL, 0);
			break;
		case 't':
			o->nt = 0;
			s = optarg;
			while ((tok = strsep(&s, ",")) && o->nt < ARRAY_SIZE(o->threads))
				o->threads[o->nt++] = strtoul(tok, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	for (i = 0; i < o->nt; i++) {
		if (!o->threads[i] || o->threads[i] > BENCH_MAX_THREADS)
			goto usage;
	}
	if (o->nkeys && o->nt && o->trials && o->trials <= BENCH_MAX_TRIALS)
		return 0;
usage:
	fprintf(stderr, "usage: %s [-n KEYS] [-t T1,T2,..] [-m MS] [-r TRIALS]\n",
		argv[0]);
	return 2;
}

static inline double bench_now_s(void)
{
	return kvs_ktime_ns() / 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Best (largest) and median of @n results; @v is left as it was. */
static inline void bench_best_median(const double *v, unsigned int n,
				     double *best, double *med)
{
	double s[BENCH_MAX_TRIALS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), bench_cmp_double);
	*best = s[n - 1];
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

#endif /* KVS_BENCH_H */
