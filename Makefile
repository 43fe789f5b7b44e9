# weir build: clang -target bpf -> bpftool gen object -> bpftool gen skeleton,
# then one userspace binary. Quiet by default; V=1 shows every command.
BUILD    ?= build
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
# Where `make install` puts things; DESTDIR stages them (no root needed).
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/weir
SYSCONFDIR ?= /etc
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
WEIR_VERSION := $(shell sed -n 's/.*define WEIR_VERSION "\(.*\)"/\1/p' user/ctl/ctl.h)
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iuser -I$(BUILD)
# SANITIZE=1 (with its own BUILD=...): AddressSanitizer and UBSan; any
# report ends the program (sanitize-test).
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Iinclude -I$(BUILD)
LDLIBS   := -lxdp -lbpf -lelf -lz -lyaml -ljson-c -lmicrohttpd -lpthread -lm
# weir top only; the controller and tests do without.
CURSES_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)

CORE_SRC := $(wildcard user/core/*.c)
CTL_SRC  := $(wildcard user/ctl/*.c)
CLI_SRC  := $(wildcard user/cli/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
WEIR_OBJ := $(CORE_OBJ) $(CTL_SRC:%.c=$(BUILD)/%.o) $(CLI_SRC:%.c=$(BUILD)/%.o) $(BUILD)/user/main.o
BPF_SRC  := $(wildcard bpf/*.bpf.c)
BPF_OBJ  := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/%.bpf.o)
BPF_HDR  := $(wildcard bpf/lib/*.h) include/weir/abi.h
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
BPFTEST_SRC := $(wildcard tests/bpf/*.c)
CTLTEST_SRC := $(wildcard tests/ctl/*.c)

.PHONY: bench
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/bench/weir-bench
	$(Q)bench/run.sh

.PHONY: all deps test unit-test bpf-test ctl-test top-test metrics-test netns-test package-test demo overload-demo bench clean format format-check tools install uninstall FORCE
.PHONY: fuzz fuzz-smoke fuzz-build sanitize-test
.DEFAULT_GOAL := all

all: $(BUILD)/weir $(BPF_OBJ) tools $(BUILD)/weir.8 $(BUILD)/weir.service

# $(call replace_if_changed,FILE): FILE.tmp becomes FILE only if they
# differ, so that what depends on FILE is rebuilt on a real change only.
replace_if_changed = if cmp -s $(1).tmp $(1); then rm -f $(1).tmp; else mv $(1).tmp $(1); fi

deps:
	$(Q)scripts/deps.sh

$(BUILD)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(BUILD)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.tmp.bpf.o: bpf/%.bpf.c $(BPF_HDR) $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.tmp.bpf.o: bench/%.bpf.c include/weir/abi.h $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.bpf.o: $(BUILD)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/user/%.o: user/%.c $(wildcard user/*/*.h) include/weir/abi.h $(BUILD)/weir.skel.h $(BUILD)/decap.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The upgrade test's "newer build": the same weir with a BPF program that
# differs in its instructions (WEIR_BPF_VARIANT); only the loader, which
# embeds the skeleton, is compiled again.
VARIANT := $(BUILD)/variant
$(VARIANT)/weir.tmp.bpf.o: bpf/weir.bpf.c $(BPF_HDR) $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(VARIANT)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DWEIR_BPF_VARIANT=2 -c $< -o $@

$(VARIANT)/weir.skel.h: $(VARIANT)/weir.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name weir_bpf > $@.tmp && mv $@.tmp $@

$(VARIANT)/user/ctl/loader.o: user/ctl/loader.c $(wildcard user/*/*.h) $(VARIANT)/weir.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -I$(VARIANT) $(CFLAGS) -c $< -o $@

$(VARIANT)/weir: $(filter-out $(BUILD)/user/ctl/loader.o,$(WEIR_OBJ)) $(VARIANT)/user/ctl/loader.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(CURSES_LIBS)

# The revision in `weir --version` and `weir status`: `git describe` of
# this tree (not of one around an unpacked tarball), else WEIR_REVISION=
# from the command line, else "unknown".
$(BUILD)/weir_revision.h: FORCE
	$(Q)mkdir -p $(BUILD)
	$(Q)r='$(WEIR_REVISION)'; \
	if [ -z "$$r" ] && [ -e .git ]; then r=$$(git describe --always --dirty 2>/dev/null); fi; \
	r=$$(printf '%s' "$$r" | tr -cd 'A-Za-z0-9._+~-'); \
	printf '#define WEIR_REVISION "%s"\n' "$${r:-unknown}" > $@.tmp; \
	$(call replace_if_changed,$@)

$(BUILD)/user/ctl/revision.o: $(BUILD)/weir_revision.h


$(BUILD)/weir: $(WEIR_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(CURSES_LIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(wildcard tests/common/*.h) $(CORE_OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests $(filter-out %.h,$^) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/bpf_test: $(BPFTEST_SRC) $(wildcard tests/bpf/*.h) $(CORE_OBJ) $(BUILD)/weir.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/bpf $(BPFTEST_SRC) $(CORE_OBJ) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/ctl_test: $(CTLTEST_SRC) tests/ctl/fixture.h tests/ctl/tests.h $(CORE_OBJ) $(CTL_SRC:%.c=$(BUILD)/%.o)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/ctl $(CTLTEST_SRC) $(CORE_OBJ) $(CTL_SRC:%.c=$(BUILD)/%.o) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c tests/tools/tool.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lm

tools: $(TOOL_BIN)

BENCH_SRC := $(filter-out %.bpf.c,$(wildcard bench/*.c)) tests/bpf/packet.c
CTL_OBJ   := $(CTL_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/bench/weir-bench: $(BENCH_SRC) bench/bench.h $(CORE_OBJ) $(CTL_OBJ) $(BUILD)/weir.skel.h $(BUILD)/floor.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Ibench -Itests/bpf $(BENCH_SRC) $(CORE_OBJ) $(CTL_OBJ) -o $@ $(LDLIBS) -lcmocka -lm

unit-test: $(UNIT_BIN)
	$(Q)set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

bpf-test: $(BUILD)/tests/bpf_test $(BUILD)/weir.bpf.o
	$(Q)echo "== $<"; $<

ctl-test: $(BUILD)/tests/ctl_test $(BUILD)/weir.bpf.o
	$(Q)echo "== $<"; $<

# weir top in tmux against a controller that attaches nowhere: no namespaces.
top-test: all
	$(Q)echo "== tests/top/test_top.sh"; timeout --kill-after=10 120 tests/top/test_top.sh

# weir run without an interface: /metrics, promtool, Prometheus, statsD,
# the dashboard; no namespace topology.
metrics-test: all
	$(Q)echo "== tests/metrics/run.sh"; tests/metrics/run.sh

netns-test: all $(VARIANT)/weir
	$(Q)tests/netns/run.sh

# libFuzzer harnesses (tests/fuzz/): clang with libFuzzer, ASan and UBSan;
# the code they reach is compiled with the same instrumentation into
# FUZZ_BUILD (the BPF skeleton comes from BUILD).
FUZZ_BUILD    ?= build-fuzz
FUZZ_SECONDS  ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_NAMES    := config expr units api
FUZZ_CFLAGS   := -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iuser -I$(BUILD) \
		 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_CTL_OBJ  := $(CTL_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BIN      := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/user/core/%.o: user/core/%.c $(wildcard user/core/*.h) include/weir/abi.h
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/user/ctl/%.o: user/ctl/%.c $(wildcard user/*/*.h) include/weir/abi.h $(BUILD)/weir.skel.h
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_api: tests/fuzz/fuzz_api.c tests/common/same_config.h $(FUZZ_CORE_OBJ) $(FUZZ_CTL_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Itests -fsanitize=fuzzer $(filter-out %.h,$^) -o $@ $(LDLIBS)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/common/same_config.h $(FUZZ_CORE_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Itests -fsanitize=fuzzer $(filter-out %.h,$^) -o $@ $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

# Each harness for FUZZ_SECONDS on a scratch copy of its corpus.
fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# For make test: the regression inputs, then a few seconds each.
fuzz-smoke: fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

# The unit, BPF and controller tests once more under ASan and UBSan, built
# into build-asan; the first report fails the run.
sanitize-test:
	$(Q)ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(MAKE) --no-print-directory SANITIZE=1 BUILD=build-asan unit-test bpf-test ctl-test

# Install into a temporary DESTDIR and back out; the manual, completion,
# version and unit. No root, no network.
package-test: $(BUILD)/weir $(BUILD)/weir.8 $(BUILD)/weir.service
	$(Q)echo "== tests/package/run.sh"; MAKE="$(MAKE)" BUILD="$(BUILD)" tests/package/run.sh

# The paths the manual and the unit name; rewritten when they change, so
# `make install PREFIX=/usr` after `make` regenerates both.
$(BUILD)/install-paths: FORCE
	$(Q)mkdir -p $(BUILD)
	$(Q)printf '%s\n' '$(SBINDIR)' '$(SYSCONFDIR)' '$(DOCDIR)' '$(SYSTEMD_UNIT_DIR)' > $@.tmp; \
	$(call replace_if_changed,$@)

subst_paths = sed -e 's|@VERSION@|$(WEIR_VERSION)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	-e 's|@SYSTEMD_UNIT_DIR@|$(SYSTEMD_UNIT_DIR)|g'

# weir(8): dist/weir.8.in around the command sections that the binary
# prints from its own tables (weir --man-commands).
$(BUILD)/weir.8: dist/weir.8.in $(BUILD)/weir $(BUILD)/install-paths
	$(call msg,GEN,$@)
	$(Q)$(BUILD)/weir --man-commands > $@.commands
	$(Q)$(subst_paths) -e '/^@COMMANDS@$$/{r $@.commands' -e 'd}' $< > $@.tmp
	$(Q)rm -f $@.commands; mv $@.tmp $@

$(BUILD)/weir.service: dist/weir.service.in $(BUILD)/install-paths
	$(call msg,GEN,$@)
	$(Q)$(subst_paths) $< > $@.tmp && mv $@.tmp $@

install: $(BUILD)/weir $(BUILD)/weir.8 $(BUILD)/weir.service
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BUILD)/weir $(DESTDIR)$(SBINDIR)/weir
	$(Q)install -D -m 0644 $(BUILD)/weir.8 $(DESTDIR)$(MANDIR)/man8/weir.8
	$(Q)install -D -m 0644 dist/weir.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/weir
	$(Q)install -D -m 0644 $(BUILD)/weir.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/weir.service
	$(Q)install -D -m 0644 dist/weir.yaml.example $(DESTDIR)$(DOCDIR)/weir.yaml.example
	$(Q)install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md

# Leaves $(SYSCONFDIR)/weir alone: install never writes there.
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/weir $(DESTDIR)$(MANDIR)/man8/weir.8 \
		$(DESTDIR)$(BASH_COMPLETION_DIR)/weir $(DESTDIR)$(SYSTEMD_UNIT_DIR)/weir.service \
		$(DESTDIR)$(DOCDIR)/weir.yaml.example $(DESTDIR)$(DOCDIR)/README.md
	$(Q)rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

test: deps
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit-test
	$(Q)$(MAKE) --no-print-directory bpf-test
	$(Q)$(MAKE) --no-print-directory ctl-test
	$(Q)$(MAKE) --no-print-directory top-test
	$(Q)$(MAKE) --no-print-directory metrics-test
	$(Q)$(MAKE) --no-print-directory package-test
	$(Q)$(MAKE) --no-print-directory netns-test
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory sanitize-test

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

overload-demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/overload-demo.sh

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	$(Q)rm -rf $(BUILD) $(FUZZ_BUILD) build-asan

.SECONDARY:
