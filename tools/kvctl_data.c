// SPDX-License-Identifier: GPL-2.0
/*
 * kvctl: get, put, del and scan - on their own, or as the lines of a txn
 * (kvctl_txn.c parses each line with kvctl_op_parse() and runs it with
 * kvctl_op_run() inside its transaction).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kvctl.h"

/* stdin is the txn script: a value cannot come from it too. */
int kvctl_stdin_taken;

static const char *const kvctl_op_names[] = {
	[KVCTL_GET] = "get",
	[KVCTL_PUT] = "put",
	[KVCTL_DEL] = "del",
	[KVCTL_SCAN] = "scan",
};

enum {
	KVCTL_OPT_INSERT = KVCTL_OPT_FIRST_OWN,
	KVCTL_OPT_REPLACE,
	KVCTL_OPT_CAS,
	KVCTL_OPT_FROM,
	KVCTL_OPT_AFTER,
	KVCTL_OPT_TO,
	KVCTL_OPT_THROUGH,
};

static const struct option kvctl_get_opts[] = {
	KVCTL_COMMON_OPTS,
	{ "raw", no_argument, NULL, 'r' },
	{ "show-version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const struct option kvctl_put_opts[] = {
	KVCTL_COMMON_OPTS,
	{ "insert", no_argument, NULL, KVCTL_OPT_INSERT },
	{ "replace", no_argument, NULL, KVCTL_OPT_REPLACE },
	{ "cas", required_argument, NULL, KVCTL_OPT_CAS },
	{ "value-file", required_argument, NULL, 'f' },
	{ "show-version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const struct option kvctl_del_opts[] = {
	KVCTL_COMMON_OPTS,
	{ "cas", required_argument, NULL, KVCTL_OPT_CAS },
	{ NULL, 0, NULL, 0 },
};

static const struct option kvctl_scan_opts[] = {
	KVCTL_COMMON_OPTS,
	{ "prefix", required_argument, NULL, 'p' },
	{ "from", required_argument, NULL, KVCTL_OPT_FROM },
	{ "after", required_argument, NULL, KVCTL_OPT_AFTER },
	{ "to", required_argument, NULL, KVCTL_OPT_TO },
	{ "through", required_argument, NULL, KVCTL_OPT_THROUGH },
	{ "reverse", no_argument, NULL, 'r' },
	{ "limit", required_argument, NULL, 'n' },
	{ "keys-only", no_argument, NULL, 'k' },
	{ "show-version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const struct option *opts;
	const char *shortopts;
	int nargs;		/* positional arguments */
} kvctl_op_syntax[] = {
	[KVCTL_GET] = { kvctl_get_opts, ":hjd:rV", 2 },
	[KVCTL_PUT] = { kvctl_put_opts, ":hjd:f:V", 3 },
	[KVCTL_DEL] = { kvctl_del_opts, ":hjd:", 2 },
	[KVCTL_SCAN] = { kvctl_scan_opts, ":hjd:p:rn:kV", 1 },
};

void kvctl_op_free(struct kvctl_op *op)
{
	kvctl_buf_free(&op->key);
	kvctl_buf_free(&op->val);
	kvctl_buf_free(&op->lo);
	kvctl_buf_free(&op->hi);
	kvctl_buf_free(&op->prefix);
}

/* A scan bound: one of two options that exclude each other. */
static int kvctl_bound_opt(const char *cmd, const char **arg, int *has)
{
	if (*has)
		return kvctl_usage_error(cmd, "give one of --from and --after, and one of --to and --through");
	*has = 1;
	*arg = optarg;
	return 0;
}

static int kvctl_cas_opt(const char *cmd, struct kvctl_op *op)
{
	if (op->mode)
		return kvctl_usage_error(cmd, "give one of --insert, --replace and --cas");
	if (kvctl_parse_u64(optarg, &op->expect, 0))
		return kvctl_usage_error(cmd, "--cas '%s' is not a version (a number)",
					 optarg);
	op->mode = op->type == KVCTL_PUT ? KVC_PUT_CAS : KVC_DEL_CAS;
	return 0;
}

/*
 * kvctl_op_parse() - the arguments of get, put, del or scan (@argv[0]
 * is the command's name) into @op, which the caller zeroed and frees with
 * kvctl_op_free(). Return: 0; -1 after printing the help; else an exit
 * status after a message.
 */
int kvctl_op_parse(enum kvctl_op_type type, int argc, char **argv,
		   struct kvctl_op *op)
{
	const char *lo = NULL, *hi = NULL, *prefix = NULL;
	const char *cmd = kvctl_op_names[type];
	const char *value_file = NULL;
	int c, ret = 0, nargs;

	op->type = type;
	optind = 0;
	opterr = 0;
	while (!ret && (c = getopt_long(argc, argv,
					kvctl_op_syntax[type].shortopts,
					kvctl_op_syntax[type].opts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case KVCTL_OPT_HELP:
			if (kvctl_in_txn)
				return kvctl_usage_error(cmd, "--help is not a txn line");
			kvctl_help(cmd, stdout);
			return -1;
		case 'r':
			if (type == KVCTL_GET)
				op->raw = 1;
			else
				op->scan_flags |= KVC_SCAN_REVERSE;
			break;
		case 'V':
			op->show_version = 1;
			break;
		case 'k':
			op->keys_only = 1;
			break;
		case KVCTL_OPT_INSERT:
		case KVCTL_OPT_REPLACE:
			if (op->mode)
				return kvctl_usage_error(cmd, "give one of --insert, --replace and --cas");
			op->mode = c == KVCTL_OPT_INSERT ? KVC_PUT_INSERT :
				   KVC_PUT_REPLACE;
			break;
		case KVCTL_OPT_CAS:
			ret = kvctl_cas_opt(cmd, op);
			break;
		case 'f':
			value_file = optarg;
			break;
		case 'p':
			if (op->has_prefix)
				return kvctl_usage_error(cmd, "one --prefix, please");
			op->has_prefix = 1;
			prefix = optarg;
			break;
		case KVCTL_OPT_FROM:
		case KVCTL_OPT_AFTER:
			ret = kvctl_bound_opt(cmd, &lo, &op->has_lo);
			if (c == KVCTL_OPT_AFTER)
				op->scan_flags |= KVC_SCAN_LO_EXCL;
			break;
		case KVCTL_OPT_TO:
		case KVCTL_OPT_THROUGH:
			ret = kvctl_bound_opt(cmd, &hi, &op->has_hi);
			if (c == KVCTL_OPT_THROUGH)
				op->scan_flags |= KVC_SCAN_HI_INCL;
			break;
		case 'n':
			if (kvctl_parse_u64(optarg, &op->limit, 0) || !op->limit)
				return kvctl_usage_error(cmd, "--limit '%s' is not a number of keys (1 or more)",
							 optarg);
			break;
		default:
			ret = kvctl_common_opt(cmd, c, argv);
		}
	}
	if (ret)
		return ret;

	nargs = kvctl_op_syntax[type].nargs - (value_file ? 1 : 0);
	if (argc - optind != nargs) {
		static const char *const want[] = {
			[KVCTL_GET] = "TABLE KEY",
			[KVCTL_PUT] = "TABLE KEY VALUE",
			[KVCTL_DEL] = "TABLE KEY",
			[KVCTL_SCAN] = "TABLE",
		};

		if (value_file)
			return kvctl_usage_error(cmd, "takes TABLE KEY with --value-file");
		return kvctl_usage_error(cmd, "takes %s, %s %d argument%s",
					 want[type], argc - optind > nargs ?
					 "not" : "got", argc - optind,
					 argc - optind == 1 ? "" : "s");
	}
	ret = kvctl_check_table_name(argv[optind]);
	if (ret)
		return ret;
	strcpy(op->table, argv[optind]);
	/* Decoded only now: --hex or --base64 may come after them. */
	if (type == KVCTL_SCAN)
		return (prefix ? kvctl_decode(prefix, &op->prefix, "prefix") : 0) ?:
		       (lo ? kvctl_decode(lo, &op->lo, "scan bound") : 0) ?:
		       (hi ? kvctl_decode(hi, &op->hi, "scan bound") : 0);
	ret = kvctl_decode(argv[optind + 1], &op->key, "key");
	if (ret)
		return ret;
	if (!op->key.len) {
		kvctl_err("the key is empty: a key is 1 byte or more");
		return EINVAL;
	}
	if (type != KVCTL_PUT)
		return 0;
	if (!value_file && strcmp(argv[optind + 2], "-"))
		return kvctl_decode(argv[optind + 2], &op->val, "value");
	if (!value_file)
		value_file = "-";
	if (!strcmp(value_file, "-") && kvctl_stdin_taken)
		return kvctl_usage_error(cmd, "the value cannot come from stdin: it holds the txn lines");
	return kvctl_read_file(value_file, &op->val);
}

/* ------------------------------------------------------------------------ */
/* Output                                                                   */
/* ------------------------------------------------------------------------ */

/* The start of a JSON result: in a txn with its line and operation. */
static void kvctl_json_head(FILE *out, const struct kvctl_op *op, int *first)
{
	if (first && !*first)
		fputc(',', out);
	if (first)
		*first = 0;
	fputc('{', out);
	if (op->line)
		fprintf(out, "\"line\":%u,\"op\":\"%s\",", op->line,
			kvctl_op_names[op->type]);
	fprintf(out, "\"table\":");
	kvctl_json_str(out, op->table);
	if (op->type != KVCTL_SCAN) {
		fputc(',', out);
		kvctl_json_data(out, "key", op->key.p, op->key.len);
	}
}

/* A txn line's human result starts "N: OP TABLE KEY". */
static void kvctl_human_head(FILE *out, const struct kvctl_op *op)
{
	fprintf(out, "%u: %s %s", op->line, kvctl_op_names[op->type],
		op->table);
	if (op->type != KVCTL_SCAN) {
		fputc(' ', out);
		kvctl_print_data(out, op->key.p, op->key.len);
	}
}

static int kvctl_run_get(struct kvc_handle *h, struct kvc_txn *txn,
			 struct kvctl_op *op, FILE *out, int *first)
{
	size_t room = 4096, vlen;
	unsigned char *buf = NULL, *p;
	uint64_t ver = 0;
	int ret;

	for (;;) {
		p = realloc(buf, room ? room : 1);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		buf = p;
		vlen = room;
		ret = kvc_get(h, txn, op->table, op->key.p, op->key.len, buf,
			      &vlen, &ver);
		/* Too small: again with the size it had (it may change). */
		if (ret != -ENOBUFS)
			break;
		room = vlen;
	}
	if (ret)
		goto out;
	if (kvctl_json) {
		kvctl_json_head(out, op, first);
		fputc(',', out);
		kvctl_json_data(out, "value", buf, vlen);
		fprintf(out, ",\"version\":%llu}", (unsigned long long)ver);
		if (!op->line)
			fputc('\n', out);
	} else if (op->line) {
		kvctl_human_head(out, op);
		fputs(": ", out);
		kvctl_print_data(out, buf, vlen);
		if (op->show_version)
			fprintf(out, " (version %llu)", (unsigned long long)ver);
		fputc('\n', out);
	} else if (op->raw) {
		fwrite(buf, 1, vlen, out);
	} else {
		if (op->show_version)
			fprintf(out, "version %llu\n", (unsigned long long)ver);
		kvctl_print_data(out, buf, vlen);
		fputc('\n', out);
	}
out:
	free(buf);
	return ret;
}

static int kvctl_run_write(struct kvc_handle *h, struct kvc_txn *txn,
			   struct kvctl_op *op, FILE *out, int *first)
{
	uint64_t ver = 0;
	int ret;

	if (op->type == KVCTL_PUT)
		ret = kvc_put(h, txn, op->table, op->key.p, op->key.len,
			      op->val.p, op->val.len, op->mode, op->expect,
			      &ver);
	else
		ret = kvc_del(h, txn, op->table, op->key.p, op->key.len,
			      op->mode, op->expect);
	if (ret)
		return ret;
	if (kvctl_json) {
		kvctl_json_head(out, op, first);
		/* Inside a transaction the version is the commit's. */
		if (op->type == KVCTL_PUT && !txn)
			fprintf(out, ",\"version\":%llu", (unsigned long long)ver);
		if (op->type == KVCTL_DEL)
			fprintf(out, ",\"deleted\":true");
		fputc('}', out);
		if (!op->line)
			fputc('\n', out);
	} else if (op->line) {
		kvctl_human_head(out, op);
		fputs(": ok\n", out);
	} else if (op->show_version) {
		fprintf(out, "version %llu\n", (unsigned long long)ver);
	}
	return 0;
}

static int kvctl_run_scan(struct kvc_handle *h, struct kvc_txn *txn,
			  struct kvctl_op *op, FILE *out, int *first)
{
	struct kvc_scan_opts o = {
		.sz = sizeof(o),
		.flags = op->scan_flags,
		.limit = op->limit,
	};
	const void *key, *val;
	size_t klen, vlen;
	struct kvc_scan *s;
	uint64_t ver, n = 0;
	FILE *body = out;
	char *mem = NULL;
	size_t memlen;
	int ret;

	/* Empty bounds bound nothing. */
	if (op->lo.len) {
		o.lo = op->lo.p;
		o.lo_len = op->lo.len;
	}
	if (op->hi.len) {
		o.hi = op->hi.p;
		o.hi_len = op->hi.len;
	}
	if (op->prefix.len) {
		o.prefix = op->prefix.p;
		o.prefix_len = op->prefix.len;
	}
	ret = kvc_scan_open(h, txn, op->table, &o, &s);
	if (ret)
		return ret;
	/* A txn's human result counts the keys before listing them. */
	if (op->line && !kvctl_json) {
		body = open_memstream(&mem, &memlen);
		if (!body) {
			kvc_scan_close(s);
			return -ENOMEM;
		}
	}
	if (kvctl_json) {
		kvctl_json_head(out, op, first);
		fprintf(out, ",\"entries\":[");
	}
	while ((ret = kvc_scan_next(s, &key, &klen, &val, &vlen, &ver)) > 0) {
		if (kvctl_json) {
			fprintf(out, "%s{", n ? "," : "");
			kvctl_json_data(out, "key", key, klen);
			if (!op->keys_only) {
				fputc(',', out);
				kvctl_json_data(out, "value", val, vlen);
			}
			fprintf(out, ",\"version\":%llu}",
				(unsigned long long)ver);
		} else {
			if (op->line)
				fputc('\t', body);
			kvctl_print_data(body, key, klen);
			if (!op->keys_only) {
				fputc('\t', body);
				kvctl_print_data(body, val, vlen);
			}
			if (op->show_version)
				fprintf(body, "\t%llu", (unsigned long long)ver);
			fputc('\n', body);
		}
		n++;
	}
	kvc_scan_close(s);
	if (kvctl_json) {
		fprintf(out, "],\"count\":%llu}", (unsigned long long)n);
		if (!op->line)
			fputc('\n', out);
	}
	if (body != out) {
		fclose(body);
		if (!ret) {
			kvctl_human_head(out, op);
			fprintf(out, ": %llu key%s\n", (unsigned long long)n,
				n == 1 ? "" : "s");
			fwrite(mem, 1, memlen, out);
		}
		free(mem);
	}
	return ret;
}

/*
 * kvctl_op_run() - carry out @op in @txn (NULL: on its own) and print its
 * result to @out; in a txn, *@first says whether it is the first JSON
 * result (else NULL). Return: 0 or -errno (nothing printed for a get or
 * write; a scan's output may have begun).
 */
int kvctl_op_run(struct kvc_handle *h, struct kvc_txn *txn,
		 struct kvctl_op *op, FILE *out, int *first)
{
	switch (op->type) {
	case KVCTL_GET:
		return kvctl_run_get(h, txn, op, out, first);
	case KVCTL_SCAN:
		return kvctl_run_scan(h, txn, op, out, first);
	default:
		return kvctl_run_write(h, txn, op, out, first);
	}
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* Which of @op's byte strings is longer than @max_key or @max_value? */
static int kvctl_too_big(const struct kvctl_op *op, uint32_t max_key,
			 uint32_t max_value, const char *whose)
{
	const struct kvctl_buf *b[] = { &op->key, &op->lo, &op->hi, &op->prefix };
	static const char *const what[] = { "key", "scan bound", "scan bound",
					    "prefix" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (b[i]->len > max_key) {
			kvctl_err("%s is %zu bytes; %s limit is %u", what[i],
				  b[i]->len, whose, max_key);
			return 1;
		}
	}
	if (op->type == KVCTL_PUT && op->val.len > max_value) {
		kvctl_err("value is %zu bytes; %s limit is %u", op->val.len,
			  whose, max_value);
		return 1;
	}
	return 0;
}

static void kvctl_explain_e2big(struct kvc_handle *h, const struct kvctl_op *op,
				int in_txn)
{
	struct kvc_table_info info;
	struct kvc_version v;

	if (!kvc_table_info(h, op->table, &info) &&
	    kvctl_too_big(op, info.max_key_size, info.max_value_size,
			  "the table's"))
		return;
	if (!kvc_version(h, &v) &&
	    kvctl_too_big(op, v.max_key_size, v.max_value_size, "the module's"))
		return;
	if (in_txn)
		kvctl_err("too many operations in one transaction");
	else
		kvctl_err("key or value too large for table '%s'", op->table);
}

static void kvctl_explain_enospc(struct kvc_handle *h, const struct kvctl_op *op)
{
	struct kvc_table_info info;

	if (!kvc_table_info(h, op->table, &info)) {
		if (info.max_entries && info.entries >= info.max_entries) {
			kvctl_err("table '%s' is full: it has %llu entries, its limit (--max-entries)",
				  op->table, (unsigned long long)info.max_entries);
			return;
		}
		if (info.max_bytes) {
			kvctl_err("table '%s' is full: it uses %llu bytes of its %llu (--max-bytes), or the store's memory is full",
				  op->table, (unsigned long long)info.bytes,
				  (unsigned long long)info.max_bytes);
			return;
		}
	}
	kvctl_err("no room: table '%s' or the store's memory (the module's max_memory) is full",
		  op->table);
}

/*
 * kvctl_op_explain() - say why @op failed with @err, in the words of the
 * command line: which table, key or limit.
 */
void kvctl_op_explain(struct kvc_handle *h, const struct kvctl_op *op,
		      int err, int in_txn)
{
	const char *key = kvctl_show(op->key.p, op->key.len);
	const char *t = op->table;

	switch (-err) {
	case ENOENT:
		if (op->type == KVCTL_SCAN || kvctl_table_missing(h, t))
			kvctl_err("table '%s' does not exist", t);
		else
			kvctl_err("key '%s' does not exist in table '%s'", key, t);
		return;
	case EEXIST:
		kvctl_err("key '%s' already exists in table '%s'", key, t);
		return;
	case EAGAIN:
		if ((op->type == KVCTL_PUT && op->mode == KVC_PUT_CAS) ||
		    (op->type == KVCTL_DEL && op->mode == KVC_DEL_CAS))
			kvctl_err("key '%s' in table '%s' is not at version %llu: it changed",
				  key, t, (unsigned long long)op->expect);
		else
			kvctl_err("%s in table '%s': conflict with another transaction",
				  kvctl_op_names[op->type], t);
		return;
	case EACCES:
		kvctl_err("no permission to %s table '%s'",
			  op->type == KVCTL_GET || op->type == KVCTL_SCAN ?
			  "read" : "write", t);
		return;
	case E2BIG:
		kvctl_explain_e2big(h, op, in_txn);
		return;
	case ENOSPC:
		kvctl_explain_enospc(h, op);
		return;
	case EOPNOTSUPP:
		kvctl_err("table '%s' is not ordered: only a table created with --ordered can be scanned",
			  t);
		return;
	case EROFS:
		kvctl_err("%s in a read-only transaction (--read-only)",
			  kvctl_op_names[op->type]);
		return;
	default:
		kvctl_err("%s in table '%s': %s", kvctl_op_names[op->type], t,
			  kvc_strerror(err));
	}
}

/* kvctl get, put, del, scan */
int kvctl_cmd_data(enum kvctl_op_type type, int argc, char **argv)
{
	struct kvctl_op op = { 0 };
	struct kvc_handle *h;
	int ret;

	ret = kvctl_op_parse(type, argc, argv, &op);
	if (ret) {
		kvctl_op_free(&op);
		return ret < 0 ? 0 : ret;
	}
	ret = kvctl_open(&h);
	if (!ret) {
		ret = kvctl_op_run(h, NULL, &op, stdout, NULL);
		if (ret)
			kvctl_op_explain(h, &op, ret, 0);
		kvc_close(h);
	}
	kvctl_op_free(&op);
	return kvctl_exit_code(ret);
}
