// SPDX-License-Identifier: GPL-2.0
/*
 * kvctl: table create, drop, list and info; stats.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kvctl.h"

static const char *const kvctl_durability[] = { "volatile", "async", "sync" };

static const char *kvctl_durability_name(uint32_t d)
{
	return d < 3 ? kvctl_durability[d] : "unknown";
}

enum {
	KVCTL_OPT_ORDERED = KVCTL_OPT_FIRST_OWN,
	KVCTL_OPT_MAX_KEY,
	KVCTL_OPT_MAX_VALUE,
	KVCTL_OPT_MAX_ENTRIES,
	KVCTL_OPT_MAX_BYTES,
	KVCTL_OPT_MODE,
	KVCTL_OPT_DURABILITY,
	KVCTL_OPT_OWNER,
	KVCTL_OPT_LONG,
};

/* A size option into a u32 field; 0 and too large are refused. */
static int kvctl_size_opt(const char *cmd, const char *opt, const char *arg,
			  uint64_t max, uint64_t *v)
{
	int ret = kvctl_parse_u64(arg, v, 1);

	if (ret == -EINVAL)
		return kvctl_usage_error(cmd, "%s '%s' is not a number (a suffix K, M or G may follow)",
					 opt, arg);
	if (ret || *v > max)
		return kvctl_usage_error(cmd, "%s '%s' is too large", opt, arg);
	if (!*v)
		return kvctl_usage_error(cmd, "%s must be at least 1", opt);
	return 0;
}

/* Parse "UID:GID" (numbers). */
static int kvctl_owner_opt(const char *arg, struct kvc_table_opts *o)
{
	const char *colon = strchr(arg, ':');
	uint64_t uid, gid;
	char *u;
	int ret;

	if (!colon)
		return -EINVAL;
	u = strndup(arg, colon - arg);
	if (!u)
		return -ENOMEM;
	ret = kvctl_parse_u64(u, &uid, 0) ?: kvctl_parse_u64(colon + 1, &gid, 0);
	free(u);
	if (ret || uid >= UINT32_MAX || gid >= UINT32_MAX)
		return -EINVAL;
	o->set_owner = 1;
	o->uid = uid;
	o->gid = gid;
	return 0;
}

/* Why did creating @name fail? */
static void kvctl_create_explain(struct kvc_handle *h, const char *name,
				 const struct kvc_table_opts *o, int err)
{
	struct kvc_version v;

	switch (-err) {
	case EEXIST:
		kvctl_err("table '%s' already exists", name);
		return;
	case EPERM:
		kvctl_err("only an admin (CAP_SYS_ADMIN) may create a table for another owner (--owner)");
		return;
	case ENOSPC:
		kvctl_err("cannot create table '%s': the store's memory is full (the module's max_memory)",
			  name);
		return;
	case EINVAL:
		if (!kvc_version(h, &v)) {
			if (o->max_key_size > v.max_key_size) {
				kvctl_err("--max-key %u is more than the module's max_key_size %u",
					  o->max_key_size, v.max_key_size);
				return;
			}
			if (o->max_value_size > v.max_value_size) {
				kvctl_err("--max-value %u is more than the module's max_value_size %u",
					  o->max_value_size, v.max_value_size);
				return;
			}
		}
		break;
	}
	kvctl_err("cannot create table '%s': %s", name, kvc_strerror(err));
}

static int kvctl_table_create(int argc, char **argv)
{
	static const char cmd[] = "table create";
	static const struct option opts[] = {
		KVCTL_COMMON_OPTS,
		{ "ordered", no_argument, NULL, KVCTL_OPT_ORDERED },
		{ "max-key", required_argument, NULL, KVCTL_OPT_MAX_KEY },
		{ "max-value", required_argument, NULL, KVCTL_OPT_MAX_VALUE },
		{ "max-entries", required_argument, NULL, KVCTL_OPT_MAX_ENTRIES },
		{ "max-bytes", required_argument, NULL, KVCTL_OPT_MAX_BYTES },
		{ "mode", required_argument, NULL, KVCTL_OPT_MODE },
		{ "durability", required_argument, NULL, KVCTL_OPT_DURABILITY },
		{ "owner", required_argument, NULL, KVCTL_OPT_OWNER },
		{ NULL, 0, NULL, 0 },
	};
	struct kvc_table_opts o = { .sz = sizeof(o) };
	struct kvc_handle *h;
	const char *name;
	unsigned long mode;
	uint64_t v;
	char *end;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hjd:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case KVCTL_OPT_HELP:
			return kvctl_help(cmd, stdout);
		case KVCTL_OPT_ORDERED:
			o.flags |= KVC_TABLE_ORDERED;
			break;
		case KVCTL_OPT_MAX_KEY:
			ret = kvctl_size_opt(cmd, "--max-key", optarg, UINT32_MAX, &v);
			if (ret)
				return ret;
			o.max_key_size = v;
			break;
		case KVCTL_OPT_MAX_VALUE:
			ret = kvctl_size_opt(cmd, "--max-value", optarg, UINT32_MAX, &v);
			if (ret)
				return ret;
			o.max_value_size = v;
			break;
		case KVCTL_OPT_MAX_ENTRIES:
			ret = kvctl_size_opt(cmd, "--max-entries", optarg, UINT64_MAX,
					     &o.max_entries);
			if (ret)
				return ret;
			break;
		case KVCTL_OPT_MAX_BYTES:
			ret = kvctl_size_opt(cmd, "--max-bytes", optarg, UINT64_MAX,
					     &o.max_bytes);
			if (ret)
				return ret;
			break;
		case KVCTL_OPT_MODE:
			errno = 0;
			mode = strtoul(optarg, &end, 8);
			if (errno || *end || !*optarg || *optarg == '-' || mode > 0777)
				return kvctl_usage_error(cmd, "--mode '%s' is not an octal mode 0..0777",
							 optarg);
			/* The library takes 0 for "the default, 0600". */
			if (!mode)
				return kvctl_usage_error(cmd, "--mode 0 is not supported: the owner needs some access");
			o.mode = mode;
			break;
		case KVCTL_OPT_DURABILITY:
			for (o.durability = 0; o.durability < 3; o.durability++)
				if (!strcmp(optarg, kvctl_durability[o.durability]))
					break;
			if (o.durability == 3)
				return kvctl_usage_error(cmd, "--durability '%s': volatile, async or sync",
							 optarg);
			break;
		case KVCTL_OPT_OWNER:
			if (kvctl_owner_opt(optarg, &o))
				return kvctl_usage_error(cmd, "--owner '%s' is not UID:GID (numbers)",
							 optarg);
			break;
		default:
			ret = kvctl_common_opt(cmd, c, argv);
			if (ret)
				return ret;
		}
	}
	if (argc - optind != 1)
		return kvctl_usage_error(cmd, argc - optind ? "one table name, please" :
					 "which table? a NAME is needed");
	name = argv[optind];
	ret = kvctl_check_table_name(name);
	if (ret)
		return ret;
	ret = kvctl_open(&h);
	if (ret)
		return kvctl_exit_code(ret);
	ret = kvc_table_create(h, name, &o);
	if (ret)
		kvctl_create_explain(h, name, &o, ret);
	kvc_close(h);
	if (ret)
		return kvctl_exit_code(ret);
	if (kvctl_json) {
		printf("{\"table\":");
		kvctl_json_str(stdout, name);
		printf(",\"created\":true}\n");
	}
	return 0;
}

/* Options of commands that take no options of their own but -l. */
static int kvctl_simple_opts(const char *cmd, int argc, char **argv,
			     int *long_fmt)
{
	static const struct option opts[] = {
		KVCTL_COMMON_OPTS,
		{ "long", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, long_fmt ? ":hjd:l" : ":hjd:",
				opts, NULL)) != -1) {
		if (c == 'h' || c == KVCTL_OPT_HELP) {
			kvctl_help(cmd, stdout);
			return -1;
		}
		if (c == 'l' && long_fmt) {
			*long_fmt = 1;
			continue;
		}
		if (c == 'l')
			c = '?';
		ret = kvctl_common_opt(cmd, c, argv);
		if (ret)
			return ret;
	}
	return 0;
}

/* A command's single NAME argument. Return: 0 or an exit status. */
static int kvctl_name_arg(const char *cmd, int argc, char **argv,
			  const char **name)
{
	int ret = kvctl_simple_opts(cmd, argc, argv, NULL);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (argc - optind != 1)
		return kvctl_usage_error(cmd, argc - optind ? "one table name, please" :
					 "which table? a NAME is needed");
	*name = argv[optind];
	return kvctl_check_table_name(*name);
}

static int kvctl_table_drop(int argc, char **argv)
{
	const char *name = NULL;
	struct kvc_handle *h;
	int ret;

	ret = kvctl_name_arg("table drop", argc, argv, &name);
	if (ret || !name)
		return ret;
	ret = kvctl_open(&h);
	if (ret)
		return kvctl_exit_code(ret);
	ret = kvc_table_drop(h, name);
	kvc_close(h);
	if (ret == -ENOENT)
		kvctl_err("table '%s' does not exist", name);
	else if (ret == -EPERM)
		kvctl_err("no permission to drop table '%s': only its owner or an admin (CAP_SYS_ADMIN) may",
			  name);
	else if (ret)
		kvctl_err("cannot drop table '%s': %s", name, kvc_strerror(ret));
	if (ret)
		return kvctl_exit_code(ret);
	if (kvctl_json) {
		printf("{\"table\":");
		kvctl_json_str(stdout, name);
		printf(",\"dropped\":true}\n");
	}
	return 0;
}

static void kvctl_info_json(FILE *f, const struct kvc_table_info *i)
{
	fprintf(f, "{\"name\":");
	kvctl_json_str(f, i->name);
	fprintf(f, ",\"ordered\":%s,\"durability\":\"%s\",\"uid\":%u,"
		"\"gid\":%u,\"mode\":\"%04o\",\"max_key_size\":%u,"
		"\"max_value_size\":%u,\"max_entries\":%llu,\"max_bytes\":%llu,"
		"\"entries\":%llu,\"bytes\":%llu,\"records\":%llu,"
		"\"retained_versions\":%llu}",
		i->flags & KVC_TABLE_ORDERED ? "true" : "false",
		kvctl_durability_name(i->durability), i->uid, i->gid, i->mode,
		i->max_key_size, i->max_value_size,
		(unsigned long long)i->max_entries,
		(unsigned long long)i->max_bytes,
		(unsigned long long)i->entries, (unsigned long long)i->bytes,
		(unsigned long long)i->records,
		(unsigned long long)i->retained_versions);
}

static void kvctl_info_human(const struct kvc_table_info *i)
{
	printf("table:             %s\n", i->name);
	printf("index:             %s\n",
	       i->flags & KVC_TABLE_ORDERED ? "hash and ordered" : "hash");
	printf("owner:             uid %u, gid %u\n", i->uid, i->gid);
	printf("mode:              %04o\n", i->mode);
	printf("durability:        %s\n", kvctl_durability_name(i->durability));
	printf("max key size:      %u bytes\n", i->max_key_size);
	printf("max value size:    %u bytes\n", i->max_value_size);
	if (i->max_entries)
		printf("max entries:       %llu\n",
		       (unsigned long long)i->max_entries);
	else
		printf("max entries:       no limit\n");
	if (i->max_bytes)
		printf("max bytes:         %llu\n",
		       (unsigned long long)i->max_bytes);
	else
		printf("max bytes:         the module's max_memory\n");
	printf("entries:           %llu\n", (unsigned long long)i->entries);
	printf("bytes:             %llu\n", (unsigned long long)i->bytes);
	printf("records:           %llu\n", (unsigned long long)i->records);
	printf("retained versions: %llu\n",
	       (unsigned long long)i->retained_versions);
}

static int kvctl_table_info(int argc, char **argv)
{
	struct kvc_table_info info;
	const char *name = NULL;
	struct kvc_handle *h;
	int ret;

	ret = kvctl_name_arg("table info", argc, argv, &name);
	if (ret || !name)
		return ret;
	ret = kvctl_open(&h);
	if (ret)
		return kvctl_exit_code(ret);
	ret = kvc_table_info(h, name, &info);
	kvc_close(h);
	if (ret == -ENOENT)
		kvctl_err("table '%s' does not exist", name);
	else if (ret == -EACCES)
		kvctl_err("no permission to read table '%s'", name);
	else if (ret)
		kvctl_err("cannot read table '%s': %s", name, kvc_strerror(ret));
	if (ret)
		return kvctl_exit_code(ret);
	if (kvctl_json) {
		kvctl_info_json(stdout, &info);
		putchar('\n');
	} else {
		kvctl_info_human(&info);
	}
	return 0;
}

#define KVCTL_LIST_PAGE	256

static int kvctl_table_list(int argc, char **argv)
{
	char (*names)[KVC_NAME_LEN];
	char after[KVC_NAME_LEN] = "";
	struct kvc_table_info info;
	uint32_t count, total = 0, i, n = 0;
	struct kvc_handle *h;
	int long_fmt = 0, ret;

	ret = kvctl_simple_opts("table list", argc, argv, &long_fmt);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (optind < argc)
		return kvctl_usage_error("table list", "takes no arguments");
	names = calloc(KVCTL_LIST_PAGE, KVC_NAME_LEN);
	if (!names) {
		kvctl_err("out of memory");
		return ENOMEM;
	}
	ret = kvctl_open(&h);
	if (ret) {
		free(names);
		return kvctl_exit_code(ret);
	}
	if (kvctl_json)
		printf("{\"tables\":[");
	else if (long_fmt)
		printf("%-24s %-8s %-11s %-5s %10s %12s\n", "NAME", "INDEX",
		       "OWNER", "MODE", "ENTRIES", "BYTES");
	do {
		ret = kvc_table_list(h, after, names, KVCTL_LIST_PAGE, &count,
				     &total);
		if (ret)
			break;
		for (i = 0; i < count; i++, n++) {
			int readable = long_fmt &&
				       !kvc_table_info(h, names[i], &info);

			if (kvctl_json) {
				if (n)
					putchar(',');
				if (readable) {
					kvctl_info_json(stdout, &info);
				} else if (long_fmt) {
					printf("{\"name\":");
					kvctl_json_str(stdout, names[i]);
					putchar('}');
				} else {
					kvctl_json_str(stdout, names[i]);
				}
			} else if (readable) {
				char owner[24];

				snprintf(owner, sizeof(owner), "%u:%u",
					 info.uid, info.gid);
				printf("%-24s %-8s %-11s %04o %10llu %12llu\n",
				       names[i], info.flags & KVC_TABLE_ORDERED ?
				       "ordered" : "hash", owner, info.mode,
				       (unsigned long long)info.entries,
				       (unsigned long long)info.bytes);
			} else if (long_fmt) {
				printf("%-24s %-8s %-11s %-5s %10s %12s\n",
				       names[i], "-", "-", "-", "-", "-");
			} else {
				printf("%s\n", names[i]);
			}
		}
		if (count)
			memcpy(after, names[count - 1], KVC_NAME_LEN);
	} while (count == KVCTL_LIST_PAGE);
	kvc_close(h);
	free(names);
	if (kvctl_json && !ret)
		printf("],\"total\":%u}\n", total);
	if (ret) {
		if (kvctl_json)
			putchar('\n');
		kvctl_err("cannot list the tables: %s", kvc_strerror(ret));
		return kvctl_exit_code(ret);
	}
	return 0;
}

int kvctl_cmd_table(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return kvctl_usage_error("table", "which one: create, drop, list or info?");
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h"))
		return kvctl_help("table", stdout);
	if (!strcmp(sub, "create"))
		return kvctl_table_create(argc - 1, argv + 1);
	if (!strcmp(sub, "drop"))
		return kvctl_table_drop(argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return kvctl_table_list(argc - 1, argv + 1);
	if (!strcmp(sub, "info"))
		return kvctl_table_info(argc - 1, argv + 1);
	return kvctl_usage_error("table", "unknown command 'table %s': create, drop, list or info",
				 sub);
}

int kvctl_cmd_stats(int argc, char **argv)
{
	struct kvc_handle *h;
	struct kvc_stats st;
	int ret;

	ret = kvctl_simple_opts("stats", argc, argv, NULL);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (optind < argc)
		return kvctl_usage_error("stats", "takes no arguments");
	ret = kvctl_open(&h);
	if (ret)
		return kvctl_exit_code(ret);
	ret = kvc_stats(h, &st);
	kvc_close(h);
	if (ret) {
		kvctl_err("stats: %s", kvc_strerror(ret));
		return kvctl_exit_code(ret);
	}
	if (kvctl_json)
		printf("{\"tables\":%llu,\"bytes\":%llu,\"max_bytes\":%llu,"
		       "\"snapshots\":%llu}\n", (unsigned long long)st.tables,
		       (unsigned long long)st.bytes,
		       (unsigned long long)st.max_bytes,
		       (unsigned long long)st.snapshots);
	else
		printf("tables:    %llu\n"
		       "bytes:     %llu\n"
		       "max bytes: %llu\n"
		       "snapshots: %llu\n", (unsigned long long)st.tables,
		       (unsigned long long)st.bytes,
		       (unsigned long long)st.max_bytes,
		       (unsigned long long)st.snapshots);
	return 0;
}
