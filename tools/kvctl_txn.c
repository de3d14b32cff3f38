// SPDX-License-Identifier: GPL-2.0
/*
 * kvctl txn: lines of get, put, del and scan run as one transaction.
 *
 * The transaction begins before the first line is read, so its snapshot
 * is the moment kvctl started; lines are carried out as they arrive and
 * kept, so that a conflict can run them all again (--retry). Results are
 * gathered in memory and printed only once the commit succeeded: what a
 * failed attempt read is never shown.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvctl.h"

#define KVCTL_TXN_MAX_WORDS	64

/**
 * struct kvctl_txn - a txn command being carried out
 * @h: the handle
 * @in: the script
 * @path: its name for messages
 * @eof: all of @in was read
 * @ops: the lines read so far, parsed
 * @nops: how many
 * @cap: room in @ops
 * @line: lines of @in read
 * @fail: index in @ops of the line that failed, or -1 (the commit)
 * @out: results of the current attempt
 * @mem: @out's buffer
 * @memlen: its length
 * @first: no JSON result in @out yet
 */
struct kvctl_txn {
	struct kvc_handle *h;
	FILE *in;
	const char *path;
	int eof;
	struct kvctl_op *ops;
	size_t nops;
	size_t cap;
	unsigned int line;
	long fail;
	FILE *out;
	char *mem;
	size_t memlen;
	int first;
};

static const char kvctl_why_nul[] =
	"\\x00 cannot be in a word: give keys and values with NUL bytes with --hex or --base64";
static const char kvctl_why_escape[] =
	"unknown escape in \"...\" (\\\\, \\\", \\n, \\t, \\r, \\xHH)";

static int kvctl_xdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Split @s in place into words: blanks separate them, "..." quotes with
 * backslash escapes, '...' quotes literally. Return: the number of words,
 * or -1 with *@why set.
 */
static int kvctl_split(char *s, char **words, const char **why)
{
	char *out = s;
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == KVCTL_TXN_MAX_WORDS) {
			*why = "too many words";
			return -1;
		}
		words[n++] = out;
		while (*s && *s != ' ' && *s != '\t') {
			char q = *s;

			if (q != '"' && q != '\'') {
				*out++ = *s++;
				continue;
			}
			for (s++; *s && *s != q; s++) {
				int hi, lo;

				if (q == '\'' || *s != '\\') {
					*out++ = *s;
					continue;
				}
				switch (*++s) {
				case 'n':
					*out++ = '\n';
					break;
				case 't':
					*out++ = '\t';
					break;
				case 'r':
					*out++ = '\r';
					break;
				case '\\':
				case '"':
					*out++ = *s;
					break;
				case 'x':
					hi = kvctl_xdigit(s[1]);
					lo = hi < 0 ? -1 : kvctl_xdigit(s[2]);
					if (lo < 0) {
						*why = "\\x needs two hex digits";
						return -1;
					}
					if (!hi && !lo) {
						*why = kvctl_why_nul;
						return -1;
					}
					*out++ = hi << 4 | lo;
					s += 2;
					break;
				default:
					*why = kvctl_why_escape;
					return -1;
				}
			}
			if (*s != q) {
				*why = q == '"' ? "unterminated \"...\"" :
						  "unterminated '...'";
				return -1;
			}
			s++;
		}
		if (*s)
			s++;
		*out++ = '\0';
	}
}

/* A fresh buffer for an attempt's results. */
static int kvctl_txn_reset_out(struct kvctl_txn *t)
{
	if (t->out)
		fclose(t->out);
	free(t->mem);
	t->mem = NULL;
	t->first = 1;
	t->out = open_memstream(&t->mem, &t->memlen);
	return t->out ? 0 : -ENOMEM;
}

/*
 * Read and parse the next line of the script into a new op. Return: 0 and
 * the op in *@opp (NULL at the end), or an exit status after a message.
 */
static int kvctl_txn_read(struct kvctl_txn *t, struct kvctl_op **opp)
{
	static const char *const names[] = { "get", "put", "del", "scan" };
	char *words[KVCTL_TXN_MAX_WORDS];
	char *line = NULL, *p;
	size_t room = 0;
	const char *why;
	int n, type, ret;
	ssize_t len;

	*opp = NULL;
	for (;;) {
		len = getline(&line, &room, t->in);
		if (len < 0) {
			free(line);
			if (ferror(t->in)) {
				kvctl_err("txn: cannot read %s", t->path);
				return EIO;
			}
			t->eof = 1;
			return 0;
		}
		t->line++;
		snprintf(kvctl_where, sizeof(kvctl_where), "txn line %u: ", t->line);
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strlen(line) != (size_t)len) {
			free(line);
			kvctl_err("a NUL byte in the line: give keys and values with NUL bytes with --hex or --base64");
			return KVCTL_EXIT_USAGE;
		}
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '#')
			continue;
		n = kvctl_split(line, words, &why);
		if (n < 0) {
			free(line);
			kvctl_err("%s", why);
			return KVCTL_EXIT_USAGE;
		}
		if (n)
			break;
	}
	for (type = 0; type < 4; type++)
		if (!strcmp(words[0], names[type]))
			break;
	if (type == 4) {
		kvctl_err("unknown operation '%s': get, put, del or scan", words[0]);
		free(line);
		return KVCTL_EXIT_USAGE;
	}
	if (t->nops == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct kvctl_op *ops = realloc(t->ops, cap * sizeof(*ops));

		if (!ops) {
			free(line);
			kvctl_err("out of memory");
			return ENOMEM;
		}
		t->ops = ops;
		t->cap = cap;
	}
	*opp = &t->ops[t->nops];
	memset(*opp, 0, sizeof(**opp));
	(*opp)->line = t->line;
	ret = kvctl_op_parse(type, n, words, *opp);
	free(line);
	if (ret) {
		kvctl_op_free(*opp);
		return ret;
	}
	t->nops++;
	return 0;
}

/* Read the rest of the script, to run it all again. */
static int kvctl_txn_read_rest(struct kvctl_txn *t)
{
	struct kvctl_op *op;
	int ret;

	do
		ret = kvctl_txn_read(t, &op);
	while (!ret && op);
	return ret;
}

/*
 * One attempt: the lines kept, then (the first time) the lines still to
 * come as they arrive. Return: 0 or -errno from an operation (t->fail
 * says which), or an exit status (> 0) for a script error.
 */
static int kvctl_txn_lines(struct kvctl_txn *t, struct kvc_txn *txn)
{
	struct kvctl_op *op;
	int ret = 0;
	size_t i;

	for (i = 0; i < t->nops; i++) {
		snprintf(kvctl_where, sizeof(kvctl_where), "txn line %u: ",
			 t->ops[i].line);
		ret = kvctl_op_run(t->h, txn, &t->ops[i], t->out, &t->first);
		if (ret) {
			t->fail = i;
			return ret;
		}
	}
	while (!t->eof) {
		ret = kvctl_txn_read(t, &op);
		if (ret || !op)
			break;
		ret = kvctl_op_run(t->h, txn, op, t->out, &t->first);
		if (ret) {
			t->fail = op - t->ops;
			return ret;
		}
	}
	return ret;
}

/* Wait before try @attempt: 1 ms doubling to 128 ms, with jitter. */
static void kvctl_backoff(unsigned int attempt, unsigned int *seed)
{
	unsigned int ms = 1u << (attempt < 8 ? attempt - 1 : 7);
	unsigned long ns = (unsigned long)ms * 1000000UL;
	struct timespec ts;

	ns = ns / 2 + (unsigned long)rand_r(seed) % ns;
	ts.tv_sec = ns / 1000000000UL;
	ts.tv_nsec = ns % 1000000000UL;
	nanosleep(&ts, NULL);
}

enum {
	KVCTL_OPT_RETRY = KVCTL_OPT_FIRST_OWN,
	KVCTL_OPT_READ_ONLY,
};

static int kvctl_txn_opts(int argc, char **argv, uint64_t *retries,
			  unsigned int *flags)
{
	static const struct option opts[] = {
		KVCTL_COMMON_OPTS,
		{ "retry", required_argument, NULL, KVCTL_OPT_RETRY },
		{ "read-only", no_argument, NULL, KVCTL_OPT_READ_ONLY },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hjd:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case KVCTL_OPT_HELP:
			kvctl_help("txn", stdout);
			return -1;
		case KVCTL_OPT_RETRY:
			if (kvctl_parse_u64(optarg, retries, 0) || *retries > 1000)
				return kvctl_usage_error("txn", "--retry '%s' is not a number 0..1000",
							 optarg);
			break;
		case KVCTL_OPT_READ_ONLY:
			*flags |= KVC_TXN_RDONLY;
			break;
		default:
			ret = kvctl_common_opt("txn", c, argv);
			if (ret)
				return ret;
		}
	}
	if (argc - optind > 1)
		return kvctl_usage_error("txn", "one script FILE at most");
	return 0;
}

/* Say why the attempt failed with @err; the caller aborted it. */
static void kvctl_txn_explain(struct kvctl_txn *t, int err, uint64_t retries,
			      unsigned int tries)
{
	if (t->fail >= 0) {
		snprintf(kvctl_where, sizeof(kvctl_where), "txn line %u: ",
			 t->ops[t->fail].line);
		kvctl_op_explain(t->h, &t->ops[t->fail], err, 1);
	} else {
		snprintf(kvctl_where, sizeof(kvctl_where), "txn: ");
		if (err == -EAGAIN && !retries)
			kvctl_err("the commit conflicted with another transaction (--retry N runs it again)");
		else if (err == -EAGAIN)
			kvctl_err("the commit conflicted with another transaction, %u times",
				  tries);
		else if (err == -ENOSPC)
			kvctl_err("the commit found no room: a table's --max-entries or --max-bytes, or the store's memory, is full");
		else
			kvctl_err("the commit failed: %s", kvc_strerror(err));
	}
	snprintf(kvctl_where, sizeof(kvctl_where), "txn: ");
	kvctl_err("aborted; nothing was applied");
}

int kvctl_cmd_txn(int argc, char **argv)
{
	struct kvctl_txn t = { .fail = -1 };
	unsigned int flags = 0, attempt, seed;
	uint64_t retries = 0, ver = 0;
	struct kvc_txn *txn;
	size_t i;
	int ret;

	ret = kvctl_txn_opts(argc, argv, &retries, &flags);
	if (ret)
		return ret < 0 ? 0 : ret;
	t.path = optind < argc ? argv[optind] : "-";
	if (strcmp(t.path, "-")) {
		t.in = fopen(t.path, "r");
		if (!t.in) {
			ret = errno;
			kvctl_err("txn: cannot open %s: %s", t.path, strerror(ret));
			return kvctl_exit_code(ret);
		}
	} else {
		t.in = stdin;
		t.path = "stdin";
		kvctl_stdin_taken = 1;
	}
	ret = kvctl_open(&t.h);
	if (ret) {
		ret = kvctl_exit_code(ret);
		goto out;
	}
	kvctl_in_txn = 1;
	seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	for (attempt = 0;; attempt++) {
		if (attempt)
			kvctl_backoff(attempt, &seed);
		ret = kvctl_txn_reset_out(&t);
		if (!ret)
			ret = kvc_txn_begin(t.h, flags, &txn);
		if (ret) {
			kvctl_where[0] = '\0';
			kvctl_err("txn: cannot begin a transaction: %s",
				  kvc_strerror(ret));
			ret = kvctl_exit_code(ret);
			goto out;
		}
		t.fail = -1;
		ret = kvctl_txn_lines(&t, txn);
		if (ret > 0) {
			/* The script is wrong: its message is out. */
			kvc_txn_abort(txn);
			snprintf(kvctl_where, sizeof(kvctl_where), "txn: ");
			kvctl_err("aborted; nothing was applied");
			goto out;
		}
		if (ret) {
			kvc_txn_abort(txn);
		} else {
			fflush(t.out);
			ret = kvc_txn_commit(txn, &ver);
		}
		if (ret != -EAGAIN || attempt >= retries)
			break;
		/* Again: from the whole script. */
		ret = kvctl_txn_read_rest(&t);
		if (ret) {
			snprintf(kvctl_where, sizeof(kvctl_where), "txn: ");
			kvctl_err("aborted; nothing was applied");
			goto out;
		}
	}
	if (ret) {
		kvctl_txn_explain(&t, ret, retries, attempt + 1);
		ret = kvctl_exit_code(ret);
		goto out;
	}
	fclose(t.out);
	t.out = NULL;
	if (kvctl_json) {
		printf("{\"results\":[");
		fwrite(t.mem, 1, t.memlen, stdout);
		printf("],\"version\":%llu}\n", (unsigned long long)ver);
	} else {
		fwrite(t.mem, 1, t.memlen, stdout);
		printf("committed: version %llu\n", (unsigned long long)ver);
	}
out:
	kvc_close(t.h);
	if (t.out)
		fclose(t.out);
	free(t.mem);
	for (i = 0; i < t.nops; i++)
		kvctl_op_free(&t.ops[i]);
	free(t.ops);
	if (t.in != stdin)
		fclose(t.in);
	return ret;
}
