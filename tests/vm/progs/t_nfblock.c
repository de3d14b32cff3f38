// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of tests/vm/tests/60-nfblock.sh, which tests the example module
 * kmod/examples/kvs_nfblock.c: loopback clients and servers with timeouts,
 * and a writer that churns other keys of the table (libkvclient) while
 * traffic flows.
 *
 *   t_nfblock                        as 30-t_nfblock: loopback TCP and UDP,
 *                                    IPv4 and IPv6, work (TAP)
 *   t_nfblock serve PORT             TCP (accept, close) and UDP echo on
 *                                    0.0.0.0 and [::]; forks, prints the pid
 *   t_nfblock connect tcp|udp ADDR PORT MS
 *                                    exit 0: connected (TCP) or echoed (UDP);
 *                                    1: no answer within MS, or EPERM (the
 *                                    packet was dropped on its way out);
 *                                    2: any other error
 *   t_nfblock writer TABLE           until SIGTERM: upsert and delete keys
 *                                    "w:<n>"; prints counts; 1 on an error
 *   t_nfblock flood ADDR PORT        until SIGTERM: TCP connects and UDP
 *                                    sends, 50 ms each; prints counts
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "tap.h"
#include "../../../libkvclient/kvclient.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGTERM ends the loops; no SA_RESTART, so a blocked call returns. */
static void catch_term(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static int parse_addr(const char *addr, unsigned int port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

/* 0: connected or echoed; 1: no answer in @ms, or EPERM; 2: other error. */
static int probe(int udp, const char *addr, unsigned int port, int ms,
		 char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t len, elen;
	char buf[8];
	int fd, err = 0, ret;

	if (parse_addr(addr, port, &ss, &len)) {
		snprintf(why, whylen, "bad address %s", addr);
		return 2;
	}
	fd = socket(ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return 2;
	}
	pfd.fd = fd;
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	if (udp && send(fd, "ping", 4, 0) < 0) {
		err = errno;
		goto out;
	}
	pfd.events = udp ? POLLIN : POLLOUT;
	ret = poll(&pfd, 1, ms);
	if (ret < 0) {
		err = errno;
	} else if (!ret) {
		err = ETIMEDOUT;
	} else if (udp) {
		if (recv(fd, buf, sizeof(buf), 0) != 4)
			err = errno ? errno : EIO;
	} else {
		elen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
			err = errno;
	}
out:
	close(fd);
	snprintf(why, whylen, "%s", err ? strerror(err) : "answered");
	if (!err)
		return 0;
	return err == ETIMEDOUT || err == EPERM ? 1 : 2;
}

static int listen_on(int family, int type, unsigned int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	parse_addr(family == AF_INET ? "0.0.0.0" : "::", port, &ss, &len);
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (type == SOCK_STREAM && listen(fd, 512))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Bind first, then fork: the caller may connect as soon as we return. */
static pid_t serve(unsigned int port)
{
	static const int fam[4] = { AF_INET, AF_INET6, AF_INET, AF_INET6 };
	static const int type[4] = { SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM,
				     SOCK_DGRAM };
	struct sockaddr_storage peer;
	struct pollfd pfd[4];
	socklen_t plen;
	char buf[64];
	ssize_t n;
	pid_t pid;
	int i, fd;

	for (i = 0; i < 4; i++) {
		pfd[i].fd = listen_on(fam[i], type[i], port);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0) {
			fprintf(stderr, "serve: cannot listen on port %u: %s\n",
				port, strerror(errno));
			return -1;
		}
	}
	pid = fork();
	if (pid)
		return pid;
	/* Let "$(t_nfblock serve PORT)" see EOF. */
	fd = open("/dev/null", O_RDWR);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	for (;;) {
		if (poll(pfd, 4, -1) < 0)
			continue;
		for (i = 0; i < 4; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (type[i] == SOCK_STREAM) {
				fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
				if (fd >= 0)
					close(fd);
				continue;
			}
			plen = sizeof(peer);
			n = recvfrom(pfd[i].fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&peer, &plen);
			if (n > 0)
				sendto(pfd[i].fd, buf, n, 0,
				       (struct sockaddr *)&peer, plen);
		}
	}
}

static int kv_open(struct kvc_handle **h)
{
	int ret = kvc_open(NULL, h);

	if (ret)
		fprintf(stderr, "kvc_open: %s\n", kvc_strerror(ret));
	return ret;
}

/* Churn keys of @table that never match a packet. */
static int cmd_writer(const char *table)
{
	unsigned long writes = 0, errors = 0, i;
	struct kvc_handle *h;
	char key[32], val[32];
	int ret;

	if (kv_open(&h))
		return 1;
	catch_term();
	for (i = 0; !stop; i++) {
		snprintf(key, sizeof(key), "w:%lu", i % 200);
		snprintf(val, sizeof(val), "%lu", i);
		if (i % 3 == 2) {
			ret = kvc_del(h, NULL, table, key, strlen(key),
				      KVC_DEL_ANY, 0);
			if (ret == -ENOENT)
				ret = 0;
		} else {
			ret = kvc_put(h, NULL, table, key, strlen(key), val,
				      strlen(val), KVC_PUT_UPSERT, 0, NULL);
		}
		writes++;
		if (ret) {
			if (!errors)
				fprintf(stderr, "writer: %s: %s\n", key,
					kvc_strerror(ret));
			errors++;
		}
	}
	kvc_close(h);
	printf("writer: %lu writes, %lu errors\n", writes, errors);
	return errors || !writes;
}

static int cmd_flood(const char *addr, unsigned int port)
{
	unsigned long tries = 0, answered = 0;
	char why[64];

	catch_term();
	while (!stop) {
		answered += !probe(0, addr, port, 50, why, sizeof(why));
		answered += !probe(1, addr, port, 50, why, sizeof(why));
		tries += 2;
	}
	printf("flood: %lu probes, %lu answered\n", tries, answered);
	return 0;
}

/* As 30-t_nfblock: what 60-nfblock.sh takes for granted works. */
static int baseline(void)
{
	static const char *const addrs[] = { "127.0.0.1", "::1" };
	unsigned int port = 7101;
	char why[64];
	pid_t pid;
	int i, udp;

	pid = serve(port);
	if (!tap_ok(pid > 0, "servers on port %u", port))
		return tap_done();
	for (i = 0; i < 2; i++) {
		for (udp = 0; udp < 2; udp++) {
			tap_ok(!probe(udp, addrs[i], port, 5000, why, sizeof(why)),
			       "loopback %s to %s port %u: %s",
			       udp ? "UDP" : "TCP", addrs[i], port, why);
		}
	}
	tap_ok(probe(0, "127.0.0.1", port + 1, 5000, why, sizeof(why)) == 2,
	       "TCP to a closed port is refused: %s", why);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return tap_done();
}

static int usage(void)
{
	fprintf(stderr, "usage: t_nfblock [serve PORT | connect tcp|udp ADDR PORT MS |\n"
		"       writer TABLE | flood ADDR PORT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	char why[64];
	pid_t pid;
	int ret;

	if (!cmd)
		return baseline();
	if (!strcmp(cmd, "serve") && argc == 3) {
		pid = serve(atoi(argv[2]));
		if (pid < 0)
			return 1;
		printf("%d\n", (int)pid);
		return 0;
	}
	if (!strcmp(cmd, "connect") && argc == 6) {
		ret = probe(!strcmp(argv[2], "udp"), argv[3], atoi(argv[4]),
			    atoi(argv[5]), why, sizeof(why));
		printf("%s %s port %s: %s\n", argv[2], argv[3], argv[4], why);
		return ret;
	}
	if (!strcmp(cmd, "writer") && argc == 3)
		return cmd_writer(argv[2]);
	if (!strcmp(cmd, "flood") && argc == 4)
		return cmd_flood(argv[2], atoi(argv[3]));
	return usage();
}
