# SPDX-License-Identifier: GPL-2.0
#
# Rules every user-space benchmark shares. A benchmark's Makefile sets
# NAME (its program, NAME.c beside the Makefile) and CORE_SRCS (the engine
# sources it links), then includes this file.

ROOT := $(abspath $(CURDIR)/../..)
CORE := $(ROOT)/kmod/core
O ?= $(CURDIR)/build

CC ?= gcc
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -D_LGPL_SOURCE \
	  -I$(CORE) -I$(ROOT)/bench/common $(EXTRA_CFLAGS)
LDLIBS := -lurcu-cds -lurcu-memb -lurcu-common -lpthread

SRCS := $(CURDIR)/$(NAME).c $(CORE_SRCS)
BIN := $(O)/$(NAME)
ARGS ?=

.PHONY: all run clean

all: $(BIN)

$(BIN): $(SRCS) $(wildcard $(CORE)/*.h) $(ROOT)/include/linux/kvstore.h \
	$(ROOT)/bench/common/bench.h
	@mkdir -p $(O)
	$(CC) $(CFLAGS) -o $@ $(SRCS) $(LDLIBS)

run: $(BIN)
	$(BIN) $(ARGS)

clean:
	rm -rf $(O)
