/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvctl: what its source files share.
 *
 * Every command function returns the process exit status: 0, the errno of
 * the failing call (capped at 125), or KVCTL_EXIT_USAGE. Messages go to
 * stderr and name what was wrong; results go to stdout, human-readable or
 * (--json) one JSON document.
 */
#ifndef KVCTL_H
#define KVCTL_H

#include <stdint.h>
#include <stdio.h>

#include "../libkvclient/kvclient.h"

#define KVCTL_EXIT_USAGE 64	/* EX_USAGE; no errno kvstore returns */
#define KVCTL_NAME_MAX	64	/* characters of a table name */

/* How keys and values are written on the command line and printed. */
enum kvctl_enc {
	KVCTL_ENC_TEXT,		/* as they are; escaped when printed */
	KVCTL_ENC_HEX,
	KVCTL_ENC_BASE64,
};

extern const char *kvctl_dev;
extern int kvctl_json;
extern enum kvctl_enc kvctl_enc;

/* Long-only option codes every command takes (see kvctl_common_opt()). */
enum {
	KVCTL_OPT_JSON = 0x100,
	KVCTL_OPT_HEX,
	KVCTL_OPT_BASE64,
	KVCTL_OPT_HELP,
	KVCTL_OPT_FIRST_OWN,	/* a command's own codes start here */
};

#define KVCTL_COMMON_OPTS						\
	{ "device", required_argument, NULL, 'd' },			\
	{ "json", no_argument, NULL, KVCTL_OPT_JSON },			\
	{ "hex", no_argument, NULL, KVCTL_OPT_HEX },			\
	{ "base64", no_argument, NULL, KVCTL_OPT_BASE64 },		\
	{ "help", no_argument, NULL, KVCTL_OPT_HELP }

/* A byte string the program owns. */
struct kvctl_buf {
	unsigned char *p;
	size_t len;
};

/* kvctl.c */
void kvctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern char kvctl_where[64];
int kvctl_exit_code(int err);
int kvctl_open(struct kvc_handle **h);
int kvctl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int kvctl_common_opt(const char *cmd, int c, char **argv);
extern int kvctl_in_txn;
int kvctl_help(const char *cmd, FILE *f);
int kvctl_check_table_name(const char *name);
int kvctl_table_missing(struct kvc_handle *h, const char *name);

/* kvctl_fmt.c */
int kvctl_decode(const char *s, struct kvctl_buf *b, const char *what);
int kvctl_read_file(const char *path, struct kvctl_buf *b);
void kvctl_buf_free(struct kvctl_buf *b);
void kvctl_print_data(FILE *f, const void *p, size_t len);
const char *kvctl_show(const void *p, size_t len);
void kvctl_json_str(FILE *f, const char *s);
void kvctl_json_data(FILE *f, const char *field, const void *p, size_t len);
int kvctl_parse_u64(const char *s, uint64_t *v, int sizes);

/* kvctl_table.c */
int kvctl_cmd_table(int argc, char **argv);
int kvctl_cmd_stats(int argc, char **argv);

/* kvctl_data.c */
enum kvctl_op_type {
	KVCTL_GET,
	KVCTL_PUT,
	KVCTL_DEL,
	KVCTL_SCAN,
};

/**
 * struct kvctl_op - one get, put, del or scan, on its own or in a txn
 * @type: KVCTL_*
 * @line: its line in a txn script; 0 on the command line
 * @table: the table's name
 * @key: the key (get, put, del)
 * @val: the value (put)
 * @mode: KVC_PUT_* or KVC_DEL_*
 * @expect: the version --cas expects
 * @lo: scan: --from or --after
 * @hi: scan: --to or --through
 * @prefix: scan: --prefix
 * @has_lo: @lo given
 * @has_hi: @hi given
 * @has_prefix: @prefix given
 * @scan_flags: KVC_SCAN_*
 * @limit: scan: --limit (0: none)
 * @keys_only: scan: print keys only
 * @show_version: print versions in human output
 * @raw: get: the value's bytes alone on stdout
 */
struct kvctl_op {
	enum kvctl_op_type type;
	unsigned int line;
	char table[KVC_NAME_LEN];
	struct kvctl_buf key;
	struct kvctl_buf val;
	unsigned int mode;
	uint64_t expect;
	struct kvctl_buf lo;
	struct kvctl_buf hi;
	struct kvctl_buf prefix;
	int has_lo;
	int has_hi;
	int has_prefix;
	unsigned int scan_flags;
	uint64_t limit;
	int keys_only;
	int show_version;
	int raw;
};

extern int kvctl_stdin_taken;

int kvctl_op_parse(enum kvctl_op_type type, int argc, char **argv,
		   struct kvctl_op *op);
int kvctl_op_run(struct kvc_handle *h, struct kvc_txn *txn,
		 struct kvctl_op *op, FILE *out, int *first);
void kvctl_op_explain(struct kvc_handle *h, const struct kvctl_op *op,
		      int err, int in_txn);
void kvctl_op_free(struct kvctl_op *op);
int kvctl_cmd_data(enum kvctl_op_type type, int argc, char **argv);

/* kvctl_txn.c */
int kvctl_cmd_txn(int argc, char **argv);

#endif /* KVCTL_H */
