// SPDX-License-Identifier: GPL-2.0
/*
 * kvctl: the admin command line of kvstore.
 *
 * Exit status: 0 on success; else the errno of the failing call, so a
 * script can tell EACCES from ENOENT; 64 (EX_USAGE) for a usage error,
 * which as an errno is ENONET, one kvstore never returns.
 *
 * Files: kvctl.c (main, help, errors), kvctl_fmt.c (encodings, JSON),
 * kvctl_table.c (table, stats), kvctl_data.c (get, put, del, scan),
 * kvctl_txn.c (txn). The manual is kvctl.8.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kvctl.h"
#include "../include/uapi/kvstore.h"

const char *kvctl_dev = KVC_DEFAULT_PATH;
int kvctl_json;
enum kvctl_enc kvctl_enc = KVCTL_ENC_TEXT;

/* Where a message comes from, before its text: "txn line 3: " or "". */
char kvctl_where[64];

void kvctl_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "kvctl: %s", kvctl_where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int kvctl_exit_code(int err)
{
	err = err < 0 ? -err : err;
	return err > 125 ? 125 : err;
}

/* ------------------------------------------------------------------------ */
/* Help                                                                     */
/* ------------------------------------------------------------------------ */

#define KVCTL_COMMON_HELP						\
	"Common options (before or after the command):\n"		\
	"  -d, --device PATH  device node (default " KVC_DEFAULT_PATH ")\n" \
	"  -j, --json         machine-readable output: one JSON document\n" \
	"      --hex          keys and values in hex, given and printed\n" \
	"      --base64       keys and values in base64, given and printed\n" \
	"  -h, --help         this text\n"

static const char kvctl_help_main[] =
	"usage: kvctl [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  table create NAME    create a table\n"
	"  table drop NAME      drop a table and all its keys\n"
	"  table list           names of the tables\n"
	"  table info NAME      a table's settings and counters\n"
	"  get TABLE KEY        print a key's value\n"
	"  put TABLE KEY VALUE  write a key\n"
	"  del TABLE KEY        delete a key\n"
	"  scan TABLE           keys of an ordered table in key order\n"
	"  txn [FILE]           operations from FILE or stdin as one transaction\n"
	"  stats                store-wide counters\n"
	"  version              ABI version, features and limits of the loaded module\n"
	"  help [COMMAND]       this text, or a command's\n"
	"\n"
	KVCTL_COMMON_HELP
	"\n"
	"Keys and values are bytes: given as text unless --hex or --base64; text\n"
	"output escapes bytes that are not printable (\\n, \\t, \\\\, \\xHH); JSON has\n"
	"strings, or FIELD_base64 for data that is not UTF-8.\n"
	"\n"
	"Exit status: 0; the errno of what failed (1 EPERM, 2 ENOENT, 7 E2BIG,\n"
	"11 EAGAIN, 13 EACCES, 17 EEXIST, 28 ENOSPC, ...); 64 for a usage error.\n"
	"'kvctl help COMMAND' or 'kvctl COMMAND --help' tells a command's options;\n"
	"man kvctl has it all.\n";

static const char kvctl_help_create[] =
	"usage: kvctl table create [OPTIONS] NAME\n"
	"\n"
	"Create a table owned by the caller. NAME: 1 to 64 of A-Z a-z 0-9 _ . -,\n"
	"not starting with '.'.\n"
	"\n"
	"Options (SIZE: a number, or with a K, M, G suffix):\n"
	"      --ordered           keep an ordered index too, so scan works\n"
	"      --max-key SIZE      largest key (default: the module's max_key_size)\n"
	"      --max-value SIZE    largest value (default: the module's max_value_size)\n"
	"      --max-entries N     most keys at once (default: no limit)\n"
	"      --max-bytes SIZE    most memory (default: the module's max_memory)\n"
	"      --mode MODE         octal permission bits, as for files (default 0600):\n"
	"                          read allows get, scan, info; write put and del\n"
	"      --durability D      volatile (default), async or sync\n"
	"      --owner UID:GID     owner and group (needs CAP_SYS_ADMIN)\n";

static const char kvctl_help_drop[] =
	"usage: kvctl table drop NAME\n"
	"\n"
	"Drop a table and all its keys; only its owner or CAP_SYS_ADMIN may.\n";

static const char kvctl_help_list[] =
	"usage: kvctl table list [-l|--long]\n"
	"\n"
	"Names of all tables, in name order. --long adds each table's index,\n"
	"owner, mode and entries (\"-\" where the caller may not read it).\n";

static const char kvctl_help_info[] =
	"usage: kvctl table info NAME\n"
	"\n"
	"A table's settings and counters (needs read permission).\n";

static const char kvctl_help_get[] =
	"usage: kvctl get [OPTIONS] TABLE KEY\n"
	"\n"
	"Print KEY's value (needs read permission). Exit status 2 (ENOENT) when\n"
	"the key or the table does not exist.\n"
	"\n"
	"Options:\n"
	"  -r, --raw           the value's bytes as they are, no newline\n"
	"  -V, --show-version  a line \"version N\" before the value\n";

static const char kvctl_help_put[] =
	"usage: kvctl put [OPTIONS] TABLE KEY VALUE\n"
	"       kvctl put [OPTIONS] TABLE KEY -          (the value from stdin)\n"
	"       kvctl put [OPTIONS] --value-file FILE TABLE KEY\n"
	"\n"
	"Write KEY's value (needs write permission).\n"
	"\n"
	"Options:\n"
	"      --insert          only if KEY is absent, else exit 17 (EEXIST)\n"
	"      --replace         only if KEY is present, else exit 2 (ENOENT)\n"
	"      --cas VERSION     only if KEY's version is VERSION (0: absent),\n"
	"                        else exit 11 (EAGAIN)\n"
	"  -f, --value-file F    the value is the bytes of F ('-': stdin)\n"
	"  -V, --show-version    print \"version N\", the new version\n"
	"\n"
	"A value from a file or stdin is taken as it is, whatever the encoding.\n"
	"Put -- before a key or value that starts with '-'.\n";

static const char kvctl_help_del[] =
	"usage: kvctl del [OPTIONS] TABLE KEY\n"
	"\n"
	"Delete KEY (needs write permission); exit 2 (ENOENT) if it is absent.\n"
	"\n"
	"Options:\n"
	"      --cas VERSION   only if KEY's version is VERSION, else exit 11 (EAGAIN)\n";

static const char kvctl_help_scan[] =
	"usage: kvctl scan [OPTIONS] TABLE\n"
	"\n"
	"Keys and values of an ordered table (created with --ordered), in key\n"
	"order (bytes compared as unsigned), one \"KEY<tab>VALUE\" line each.\n"
	"\n"
	"Options:\n"
	"  -p, --prefix P      only keys that start with P\n"
	"      --from K        from K on (K included)\n"
	"      --after K       after K (K excluded)\n"
	"      --to K          up to K (K excluded)\n"
	"      --through K     up to K (K included)\n"
	"  -r, --reverse       from the high end down\n"
	"  -n, --limit N       at most N keys\n"
	"  -k, --keys-only     print keys only\n"
	"  -V, --show-version  a third column: the version\n"
	"\n"
	"Outside a transaction, each page of keys read is a snapshot of its own.\n";

static const char kvctl_help_txn[] =
	"usage: kvctl txn [OPTIONS] [FILE]\n"
	"\n"
	"Read operations, one a line, from FILE (default, or '-': stdin) and\n"
	"run them as one serializable transaction, committed at the end of the\n"
	"input. Lines are carried out as they are read, from a snapshot taken\n"
	"before the first; their results are printed after the commit. Any\n"
	"failure aborts the transaction (nothing is applied) and names its line.\n"
	"\n"
	"Lines (blank lines and lines starting with # are skipped):\n"
	"  get TABLE KEY\n"
	"  put [--insert|--replace|--cas VERSION] TABLE KEY VALUE\n"
	"  del [--cas VERSION] TABLE KEY\n"
	"  scan TABLE [--prefix P] [--from K|--after K] [--to K|--through K]\n"
	"             [--reverse] [--limit N] [--keys-only]\n"
	"Words are split at blanks; \"...\" quotes with \\\\, \\\", \\n, \\t, \\r and \\xHH\n"
	"escapes, '...' quotes literally. Keys and values are in the encoding of\n"
	"--hex or --base64 given to txn. A get of an absent key is a failure.\n"
	"\n"
	"Options:\n"
	"      --retry N     on a conflict (exit 11, EAGAIN) run the transaction\n"
	"                    again, up to N more times, with back-off\n"
	"      --read-only   a read-only transaction (puts and dels fail)\n";

static const char kvctl_help_stats[] =
	"usage: kvctl stats\n"
	"\n"
	"Store-wide counters: tables, memory used and the limit, snapshots open.\n";

static const char kvctl_help_version[] =
	"usage: kvctl version\n"
	"\n"
	"ABI version, features and limits of the loaded module.\n";

static const struct {
	const char *name;
	const char *text;
} kvctl_helps[] = {
	{ "table create", kvctl_help_create },
	{ "table drop", kvctl_help_drop },
	{ "table list", kvctl_help_list },
	{ "table info", kvctl_help_info },
	{ "get", kvctl_help_get },
	{ "put", kvctl_help_put },
	{ "del", kvctl_help_del },
	{ "scan", kvctl_help_scan },
	{ "txn", kvctl_help_txn },
	{ "stats", kvctl_help_stats },
	{ "version", kvctl_help_version },
};

#define KVCTL_NHELPS	(sizeof(kvctl_helps) / sizeof(kvctl_helps[0]))

/*
 * kvctl_help() - print @cmd's help ("put", "table create"; "table": all
 * table commands; NULL: the main text). Return: 0, or 64 if unknown.
 */
int kvctl_help(const char *cmd, FILE *f)
{
	size_t i;
	int found = 0;

	if (!cmd) {
		fputs(kvctl_help_main, f);
		return 0;
	}
	for (i = 0; i < KVCTL_NHELPS; i++) {
		if (strcmp(kvctl_helps[i].name, cmd) &&
		    (strcmp(cmd, "table") || strncmp(kvctl_helps[i].name, "table ", 6)))
			continue;
		if (found++)
			fputc('\n', f);
		fputs(kvctl_helps[i].text, f);
	}
	if (!found) {
		kvctl_err("no command '%s' (try 'kvctl --help')", cmd);
		return KVCTL_EXIT_USAGE;
	}
	if (f == stdout)
		fputs("\n" KVCTL_COMMON_HELP, f);
	return 0;
}

/* kvctl_usage_error() - "kvctl: CMD: message (try ...)"; returns 64. */
int kvctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (!cmd)	/* main's own options */
		fprintf(stderr, "kvctl: ");
	else
		fprintf(stderr, "kvctl: %s%s: ", kvctl_where, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (!cmd)
		fprintf(stderr, " (try 'kvctl --help')\n");
	else
		fprintf(stderr, " (try 'kvctl help %s')\n",
			kvctl_where[0] ? "txn" : cmd);
	return KVCTL_EXIT_USAGE;
}

/* Inside a txn script the common options belong to txn, not to a line. */
int kvctl_in_txn;

/*
 * kvctl_common_opt() - an option of every command (c from getopt_long,
 * its opterr off, optstring starting with ':'). Return: 0 if it was one,
 * else an exit status after a message.
 */
int kvctl_common_opt(const char *cmd, int c, char **argv)
{
	char shortopt[3] = { '-', (char)optopt, 0 };
	const char *optname = argv[optind - 1];

	/* An unknown or incomplete short option is in optopt. */
	if ((c == '?' || c == ':') && optopt)
		optname = shortopt;
	if (kvctl_in_txn && c != '?' && c != ':')
		return kvctl_usage_error(cmd, "%s is an option of txn itself, not of a line",
					 optname);
	switch (c) {
	case KVCTL_OPT_JSON:
	case 'j':
		kvctl_json = 1;
		return 0;
	case KVCTL_OPT_HEX:
		kvctl_enc = KVCTL_ENC_HEX;
		return 0;
	case KVCTL_OPT_BASE64:
		kvctl_enc = KVCTL_ENC_BASE64;
		return 0;
	case 'd':
		kvctl_dev = optarg;
		return 0;
	case ':':
		return kvctl_usage_error(cmd, "option '%s' needs an argument", optname);
	default:
		return kvctl_usage_error(cmd, "unknown option '%s'", optname);
	}
}

/* ------------------------------------------------------------------------ */
/* The device and tables                                                    */
/* ------------------------------------------------------------------------ */

int kvctl_open(struct kvc_handle **h)
{
	struct kvc_open_opts o = { .sz = sizeof(o), .path = kvctl_dev };
	int ret = kvc_open(&o, h);

	if (ret == -ENOENT)
		kvctl_err("%s does not exist: is the kvstore module loaded?",
			  kvctl_dev);
	else if (ret == -EACCES)
		kvctl_err("no permission to open %s (its users are root and the group kvstore)",
			  kvctl_dev);
	else if (ret)
		kvctl_err("cannot open %s: %s", kvctl_dev, kvc_strerror(ret));
	return ret;
}

/*
 * kvctl_check_table_name() - the kernel's rule, checked here for a clear
 * message. Return: 0, or an exit status (EINVAL, ENAMETOOLONG).
 */
int kvctl_check_table_name(const char *name)
{
	size_t len = strlen(name);
	const char *c;

	for (c = name; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' ||
		    (*c == '.' && c != name))
			continue;
		break;
	}
	if (!len || *c) {
		kvctl_err("invalid table name '%s': 1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.'",
			  name);
		return EINVAL;
	}
	if (len > KVCTL_NAME_MAX) {
		kvctl_err("table name '%.20s...' is %zu characters; the limit is 64",
			  name, len);
		return ENAMETOOLONG;
	}
	return 0;
}

/*
 * kvctl_table_missing() - does the table not exist? For telling an absent
 * table from an absent key, which are both -ENOENT. Return: 1 or 0.
 */
int kvctl_table_missing(struct kvc_handle *h, const char *name)
{
	struct kvc_table_info info;

	return kvc_table_info(h, name, &info) == -ENOENT;
}

/* ------------------------------------------------------------------------ */
/* version                                                                  */
/* ------------------------------------------------------------------------ */

static int kvctl_cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {
		KVCTL_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct kvc_handle *h;
	struct kvc_version v;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hjd:", opts, NULL)) != -1) {
		if (c == 'h' || c == KVCTL_OPT_HELP)
			return kvctl_help("version", stdout);
		ret = kvctl_common_opt("version", c, argv);
		if (ret)
			return ret;
	}
	if (optind < argc) {
		kvctl_err("version takes no arguments");
		return KVCTL_EXIT_USAGE;
	}
	ret = kvctl_open(&h);
	if (ret)
		return kvctl_exit_code(ret);
	ret = kvc_version(h, &v);
	kvc_close(h);
	if (ret) {
		kvctl_err("version: %s", kvc_strerror(ret));
		return kvctl_exit_code(ret);
	}
	if (kvctl_json) {
		printf("{\"abi_major\":%u,\"abi_minor\":%u,\"features\":%llu,"
		       "\"max_key_size\":%u,\"max_value_size\":%u,"
		       "\"module_version\":",
		       v.abi_major, v.abi_minor, (unsigned long long)v.features,
		       v.max_key_size, v.max_value_size);
		kvctl_json_str(stdout, v.module_version);
		printf("}\n");
	} else {
		printf("kvstore module %s, ABI %u.%u (kvctl built for %u.%u)\n"
		       "features:       %#llx\n"
		       "max key size:   %u bytes\n"
		       "max value size: %u bytes\n",
		       v.module_version, v.abi_major, v.abi_minor, KVS_ABI_MAJOR,
		       KVS_ABI_MINOR, (unsigned long long)v.features,
		       v.max_key_size, v.max_value_size);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

static int kvctl_cmd_help(int argc, char **argv)
{
	char name[64];

	if (argc < 2)
		return kvctl_help(NULL, stdout);
	if (argc > 3 || (argc == 3 && strcmp(argv[1], "table"))) {
		kvctl_err("help: too many arguments (try 'kvctl help COMMAND')");
		return KVCTL_EXIT_USAGE;
	}
	snprintf(name, sizeof(name), "%s%s%s", argv[1], argc == 3 ? " " : "",
		 argc == 3 ? argv[2] : "");
	return kvctl_help(name, stdout);
}

static int kvctl_data_get(int argc, char **argv)
{
	return kvctl_cmd_data(KVCTL_GET, argc, argv);
}

static int kvctl_data_put(int argc, char **argv)
{
	return kvctl_cmd_data(KVCTL_PUT, argc, argv);
}

static int kvctl_data_del(int argc, char **argv)
{
	return kvctl_cmd_data(KVCTL_DEL, argc, argv);
}

static int kvctl_data_scan(int argc, char **argv)
{
	return kvctl_cmd_data(KVCTL_SCAN, argc, argv);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} kvctl_cmds[] = {
	{ "table", kvctl_cmd_table },
	{ "get", kvctl_data_get },
	{ "put", kvctl_data_put },
	{ "del", kvctl_data_del },
	{ "scan", kvctl_data_scan },
	{ "txn", kvctl_cmd_txn },
	{ "stats", kvctl_cmd_stats },
	{ "version", kvctl_cmd_version },
	{ "help", kvctl_cmd_help },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "hex", no_argument, NULL, KVCTL_OPT_HEX },
		{ "base64", no_argument, NULL, KVCTL_OPT_BASE64 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	size_t i;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:d:jh", opts, NULL)) != -1) {
		if (c == 'h') {
			kvctl_help(NULL, stdout);
			return 0;
		}
		ret = kvctl_common_opt(NULL, c, argv);
		if (ret)
			return ret;
	}
	if (optind >= argc) {
		kvctl_help(NULL, stderr);
		return KVCTL_EXIT_USAGE;
	}
	cmd = argv[optind];
	for (i = 0; i < sizeof(kvctl_cmds) / sizeof(kvctl_cmds[0]); i++) {
		if (!strcmp(cmd, kvctl_cmds[i].name)) {
			ret = kvctl_cmds[i].fn(argc - optind, argv + optind);
			if (fflush(stdout) && !ret) {
				kvctl_err("cannot write the output: %s", strerror(errno));
				ret = kvctl_exit_code(errno);
			}
			return ret;
		}
	}
	kvctl_err("unknown command '%s' (try 'kvctl --help')", cmd);
	return KVCTL_EXIT_USAGE;
}
