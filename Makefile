# SPDX-License-Identifier: GPL-2.0
#
# kvstore: top-level Makefile. Kernel code is built by kbuild through the
# Kbuild file (one copy of the sources per kernel, under build/); this file
# drives it and builds the user-space parts, the tests and the benchmarks.
#
#   make            module for $(KDIR), libkvclient, kvctl
#   make run        build, load the module (here, or in a VM) and use it
#   make check      every test: lint, unit, VM suite on 6.1 and debug kernel
#   make help       all targets

KDIR		?= $(shell scripts/kdir.sh)
KERNEL		?= 6.1
BUILD		?= build
PREFIX		?= /usr/local
DESTDIR		?=
VERSION		:= 0.1.0
# udev rules of the local admin (Debian: packages use /lib/udev/rules.d)
UDEVRULESDIR	?= /etc/udev/rules.d

CC		?= gcc
CFLAGS		?= -O2 -g
USER_CFLAGS	:= $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude

LIB_SRCS	:= libkvclient/kvclient.c
LIB_OBJS	:= $(patsubst libkvclient/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
LIB_PIC_OBJS	:= $(patsubst libkvclient/%.c,$(BUILD)/user/%.pic.o,$(LIB_SRCS))

KVCTL_SRCS	:= tools/kvctl.c tools/kvctl_fmt.c tools/kvctl_table.c \
		   tools/kvctl_data.c tools/kvctl_txn.c
KVCTL_DEPS	:= $(KVCTL_SRCS) tools/kvctl.h libkvclient/kvclient.h include/uapi/kvstore.h

.PHONY: all modules user lib kvctl deps check check-all lint unit vmtest vm \
	run install clean help vm-progs bench-kmod

all: modules user

help:
	@sed -n 's/^#   //p' Makefile
	@echo "  make modules     kvstore.ko for KDIR=$(KDIR)"
	@echo "  make user        libkvclient (shared, static) and kvctl"
	@echo "  make deps        install every Debian package the build and tests need"
	@echo "  make lint        checkpatch --strict, sparse, W=1, kernel-doc"
	@echo "  make unit        user-space unit tests (cmocka, ASan, UBSan)"
	@echo "  make vmtest      VM suite on KERNEL=$(KERNEL) (6.1 6.1-rt 6.12 6.12-rt debug);"
	@echo "                   EXTRA=dir adds tests (scripts or *.c) of your own"
	@echo "  make vm          shell in a VM with the module loaded (KERNEL=...)"
	@echo "  make check-all   make check, then the VM suite on 6.1-rt, 6.12, 6.12-rt"
	@echo "  make bench-kmod  in-kernel benchmark against rhashtable in a VM (KERNEL=...,"
	@echo "                   MEM=2G, ARGS=\"entries=1000000 reps=5\"); bench/kmod/README.md"
	@echo "  make bench-ioctl user-space benchmark in a VM: ioctl GET/BATCH against bpf() on a"
	@echo "                   BPF hash map (KERNEL=..., MEM=2G, ARGS=\"--icount entries=1000000\");"
	@echo "                   bench/ioctl/README.md"
	@echo "  make bench-trace exact instruction profile of one H_GET, H_MGET, bpf lookup in a VM"
	@echo "                   (gdb single-steps it; KERNEL=..., ARGS=\"--listing h_get\"); bench/trace/README.md"
	@echo "  make install     kvstore.ko (extra/), libkvclient and its man page, kvctl and"
	@echo "                   kvctl.8 into PREFIX; the udev rule into UDEVRULESDIR"
	@echo "                   ($(UDEVRULESDIR)) and, without DESTDIR, the group kvstore"

modules:
	@scripts/build-kmod.sh $(KDIR)

# --- user space ---------------------------------------------------------
user: lib kvctl

lib: $(BUILD)/user/libkvclient.a $(BUILD)/user/libkvclient.so $(BUILD)/user/libkvclient.pc

$(BUILD)/user/%.o: libkvclient/%.c libkvclient/kvclient.h include/uapi/kvstore.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c -o $@ $<

$(BUILD)/user/%.pic.o: libkvclient/%.c libkvclient/kvclient.h include/uapi/kvstore.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -fPIC -fvisibility=default -c -o $@ $<

$(BUILD)/user/libkvclient.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/user/libkvclient.so: $(LIB_PIC_OBJS)
	$(CC) -shared -Wl,-soname,libkvclient.so.0 -o $@ $^

$(BUILD)/user/libkvclient.pc: libkvclient/kvclient.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

kvctl: $(BUILD)/user/kvctl

$(BUILD)/user/kvctl: $(KVCTL_DEPS) $(BUILD)/user/libkvclient.a
	$(CC) $(USER_CFLAGS) -o $@ $(KVCTL_SRCS) $(BUILD)/user/libkvclient.a

# Static programs for the VM's initramfs: kvctl and the test programs,
# each linked with the library's sources (test programs find kvclient.h
# and tap.h on the include path).
VM_PROGS := $(patsubst tests/vm/progs/%.c,$(BUILD)/vm-progs/%,$(wildcard tests/vm/progs/t_*.c))

# The ABI tests again as 32-bit programs: the compat ioctl path.
VM_PROGS += $(BUILD)/vm-progs/t_abi32 $(BUILD)/vm-progs/t_client32

vm-progs: $(BUILD)/vm-progs/kvctl $(VM_PROGS)

$(BUILD)/vm-progs/kvctl: $(KVCTL_DEPS) $(LIB_SRCS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -static -o $@ $(KVCTL_SRCS) $(LIB_SRCS)

$(BUILD)/vm-progs/t_%: tests/vm/progs/t_%.c tests/vm/progs/tap.h include/uapi/kvstore.h \
		$(LIB_SRCS) libkvclient/kvclient.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Ilibkvclient -Itests/vm/progs -static -o $@ $< $(LIB_SRCS)

$(BUILD)/vm-progs/t_%32: tests/vm/progs/t_%.c tests/vm/progs/tap.h include/uapi/kvstore.h \
		$(LIB_SRCS) libkvclient/kvclient.h
	@mkdir -p $(@D)
	$(CC) -m32 $(USER_CFLAGS) -Ilibkvclient -Itests/vm/progs -static -o $@ $< $(LIB_SRCS)

# --- tests --------------------------------------------------------------
deps:
	scripts/deps.sh

unit:
	$(MAKE) -C tests/unit check

lint:
	scripts/lint.sh

vmtest: vm-progs
	tests/vm/run.sh --kernel $(KERNEL) $(if $(EXTRA),--extra $(EXTRA))

vm: vm-progs
	tests/vm/run.sh --kernel $(KERNEL) --shell

run:
	scripts/run.sh

check:
	scripts/check.sh

check-all:
	scripts/check.sh --all

# --- benchmarks ---------------------------------------------------------
bench-kmod:
	$(MAKE) -C bench/kmod run KERNEL=$(KERNEL) $(if $(MEM),MEM=$(MEM)) $(if $(ARGS),ARGS="$(ARGS)")

.PHONY: bench-ioctl
bench-ioctl:
	$(MAKE) -C bench/ioctl run KERNEL=$(KERNEL) $(if $(MEM),MEM=$(MEM)) $(if $(ARGS),ARGS="$(ARGS)")

.PHONY: bench-trace
bench-trace:
	bench/trace/trace.sh --kernel $(KERNEL) $(ARGS)

# --- install ------------------------------------------------------------
# Installing into the running system (no DESTDIR) also creates the udev
# rule's group and has udev apply the rule to a module already loaded.
install: modules user
	krel=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$$/\1/p' $(KDIR)/include/generated/utsrelease.h) && \
	install -D -m 0644 $(BUILD)/$$krel/src/kmod/kvstore.ko \
		$(DESTDIR)/lib/modules/$$krel/extra/kvstore.ko && \
	if [ -z "$(DESTDIR)" ]; then depmod -a $$krel; fi
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/kvstore \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 0644 $(BUILD)/user/libkvclient.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(BUILD)/user/libkvclient.so $(DESTDIR)$(PREFIX)/lib/libkvclient.so.0
	ln -sf libkvclient.so.0 $(DESTDIR)$(PREFIX)/lib/libkvclient.so
	install -m 0644 $(BUILD)/user/libkvclient.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 0644 libkvclient/kvclient.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 include/uapi/kvstore.h $(DESTDIR)$(PREFIX)/include/kvstore/
	install -m 0755 $(BUILD)/user/kvctl $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(UDEVRULESDIR)
	install -m 0644 tools/kvctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 tools/60-kvstore.rules $(DESTDIR)$(UDEVRULESDIR)/
	if [ -z "$(DESTDIR)" ]; then \
		getent group kvstore >/dev/null || groupadd --system kvstore; \
		udevadm control --reload 2>/dev/null || true; \
		udevadm trigger --subsystem-match=misc --sysname-match=kvstore 2>/dev/null || true; \
	fi
	install -m 0644 libkvclient/libkvclient.3 $(DESTDIR)$(PREFIX)/share/man/man3/

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C tests/unit clean
