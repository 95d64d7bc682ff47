# SPDX-License-Identifier: GPL-2.0-only
#
# Out-of-tree VFIO + mdev stack. `make` builds every module against $(KDIR);
# `make check` runs every suite in the test VM; `make demo` runs the vGPU demo.

TOP := $(CURDIR)
CACHE ?= $(TOP)/.cache
OUT ?= $(TOP)/out
HOST_KDIR := /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(wildcard $(HOST_KDIR)/Makefile),$(HOST_KDIR),$(CACHE)/kernel/build)
KSRC ?= $(CACHE)/kernel/source
DEPMOD ?= /sbin/depmod
INSTALL_MOD_DIR ?= updates
VM ?= $(TOP)/tools/testing/vm/run

export TOP CACHE OUT KDIR KSRC

.PHONY: all modules stock-samples tools deps check demo bench checkpatch modules_install clean help

all: modules stock-samples tools

# deps only when the fetched kernel is what KDIR points at
DEPS_STAMP := $(if $(filter $(CACHE)/%,$(KDIR)),$(CACHE)/kernel/release)

$(CACHE)/kernel/release:
	@$(TOP)/scripts/deps.sh

deps:
	@$(TOP)/scripts/deps.sh

modules: $(DEPS_STAMP)
	$(MAKE) -C $(KDIR) M=$(TOP) modules

# The kernel's own mdev samples (mtty, mdpy, mdpy-fb, mbochs), built from Debian's source
# against the same headers: the test suites use them as stock-built vendor drivers.
STOCK_SAMPLES := $(OUT)/stock-samples
STOCK_SAMPLE_SRC := mtty.c mdpy.c mdpy-fb.c mdpy-defs.h mbochs.c
stock-samples: $(DEPS_STAMP)
	@mkdir -p $(STOCK_SAMPLES)
	@for f in $(STOCK_SAMPLE_SRC); do ln -sf $(KSRC)/samples/vfio-mdev/$$f $(STOCK_SAMPLES)/$$f; done
	@echo 'obj-m := mtty.o mdpy.o mdpy-fb.o mbochs.o' > $(STOCK_SAMPLES)/Kbuild
	$(MAKE) -C $(KDIR) M=$(STOCK_SAMPLES) modules

tools: $(DEPS_STAMP)
	$(MAKE) -C tools

modules_install: modules
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install

check: deps
	@$(MAKE) --no-print-directory all
	@$(TOP)/tools/testing/check $(SUITES)

demo: deps
	@$(MAKE) --no-print-directory all
	@$(TOP)/tools/demo/run

bench: deps
	@$(MAKE) --no-print-directory all
	@$(TOP)/tools/testing/bench/run

CHECKPATCH := $(KSRC)/scripts/checkpatch.pl
CHECKPATCH_FLAGS := --no-tree --show-types $(if $(CHECKPATCH_STRICT),--strict) --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,LINUX_VERSION_CODE
FILES ?= $(shell git -C $(TOP) ls-files '*.c' '*.h' ':!:*/selftests/*')
# more options for one run, e.g. the style suite's documented userspace --ignore list
CHECKPATCH_EXTRA ?=
checkpatch: $(DEPS_STAMP)
	@perl $(CHECKPATCH) $(CHECKPATCH_FLAGS) $(CHECKPATCH_EXTRA) --terse -f $(FILES)

clean:
	$(MAKE) -C $(KDIR) M=$(TOP) clean
	$(MAKE) -C tools clean
	rm -rf $(OUT)

help:
	@echo 'make            build every module (KDIR=$(KDIR)) and the tools'
	@echo 'make deps       fetch the test kernel and install host packages (idempotent)'
	@echo 'make check      run every test suite in the test VM [SUITES="a b"]'
	@echo 'make demo       the vGPU demo: a nested KVM guest draws, the host takes a PNG'
	@echo 'make bench      benchmarks side by side with the stock stack'
	@echo 'make checkpatch run checkpatch.pl [FILES=...]'
	@echo 'make modules_install  install into /lib/modules/$$(uname -r)/$(INSTALL_MOD_DIR)'
