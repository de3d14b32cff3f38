// SPDX-License-Identifier: GPL-2.0
/*
 * kvctl: the admin command line of kvstore.
 *
 * Exit status: 0 on success; else the errno of the failing call, so a
 * script can tell EACCES from ENOENT; 64 (EX_USAGE) for a usage error,
 * which as an errno is ENONET, one kvstore never returns.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../libkvclient/kvclient.h"
#include "../include/uapi/kvstore.h"

#define KVCTL_EXIT_USAGE 64	/* EX_USAGE; no errno kvstore returns */

static const char *kvctl_dev = KVC_DEFAULT_PATH;
static int kvctl_json;

static void kvctl_usage(FILE *f)
{
	fprintf(f,
		"usage: kvctl [--device PATH] [--json] COMMAND [ARGS]\n"
		"\n"
		"Commands:\n"
		"  version        ABI version, features and limits of the loaded module\n"
		"  help           this text\n"
		"\n"
		"Options:\n"
		"  -d, --device PATH  device node (default %s)\n"
		"  -j, --json         machine-readable output\n"
		"  -h, --help         this text\n",
		KVC_DEFAULT_PATH);
}

static int kvctl_exit_code(int err)
{
	err = err < 0 ? -err : err;
	return err > 125 ? 125 : err;
}

static int kvctl_open(struct kvc_handle **h)
{
	struct kvc_open_opts o = { .sz = sizeof(o), .path = kvctl_dev };
	int ret = kvc_open(&o, h);

	if (ret == -ENOENT)
		fprintf(stderr, "kvctl: %s does not exist: is the kvstore module loaded?\n",
			kvctl_dev);
	else if (ret == -EACCES)
		fprintf(stderr, "kvctl: no permission to open %s\n", kvctl_dev);
	else if (ret)
		fprintf(stderr, "kvctl: cannot open %s: %s\n", kvctl_dev,
			kvc_strerror(ret));
	return ret;
}

/* Returns the process exit status, as every command function does. */
static int kvctl_version(int argc, char **argv)
{
	struct kvc_handle *h;
	struct kvc_version v;
	int ret;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "kvctl: version takes no arguments\n");
		return KVCTL_EXIT_USAGE;
	}
	ret = kvctl_open(&h);
	if (ret)
		return kvctl_exit_code(ret);
	ret = kvc_version(h, &v);
	kvc_close(h);
	if (ret) {
		fprintf(stderr, "kvctl: version: %s\n", kvc_strerror(ret));
		return kvctl_exit_code(ret);
	}
	if (kvctl_json)
		printf("{\"abi_major\":%u,\"abi_minor\":%u,\"features\":%llu,"
		       "\"max_key_size\":%u,\"max_value_size\":%u,"
		       "\"module_version\":\"%s\"}\n",
		       v.abi_major, v.abi_minor, (unsigned long long)v.features,
		       v.max_key_size, v.max_value_size, v.module_version);
	else
		printf("kvstore module %s, ABI %u.%u (kvctl built for %u.%u)\n"
		       "features:       %#llx\n"
		       "max key size:   %u bytes\n"
		       "max value size: %u bytes\n",
		       v.module_version, v.abi_major, v.abi_minor, KVS_ABI_MAJOR,
		       KVS_ABI_MINOR, (unsigned long long)v.features,
		       v.max_key_size, v.max_value_size);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+d:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			kvctl_dev = optarg;
			break;
		case 'j':
			kvctl_json = 1;
			break;
		case 'h':
			kvctl_usage(stdout);
			return 0;
		default:
			kvctl_usage(stderr);
			return KVCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		kvctl_usage(stderr);
		return KVCTL_EXIT_USAGE;
	}
	cmd = argv[optind];
	if (!strcmp(cmd, "help")) {
		kvctl_usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "version"))
		return kvctl_version(argc - optind, argv + optind);
	fprintf(stderr, "kvctl: unknown command '%s' (try 'kvctl --help')\n", cmd);
	return KVCTL_EXIT_USAGE;
}
