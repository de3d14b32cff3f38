/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for the static test programs run inside the VM.
 * Each program prints "ok N - name" / "not ok N - name" lines and a plan
 * at the end; the in-VM runner folds them into the run's results.
 */
#ifndef KVS_TAP_H
#define KVS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Record one result; returns @ok so callers can chain diagnostics. */
static inline int tap_ok(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed++;
	return ok;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif /* KVS_TAP_H */
