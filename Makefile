# moontls -- GNU make. `make test` and `make run` set up everything on a fresh
# Debian machine (see README.md); `make` alone only builds.

LUA_VERSION := 5.4
PREFIX      ?= /usr/local
LUA_LIBDIR  ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
LUA_DIR     ?= $(PREFIX)/share/lua/$(LUA_VERSION)
BINDIR      ?= $(PREFIX)/bin
LUA         ?= lua$(LUA_VERSION)
BUSTED      ?= /usr/bin/busted

CC       ?= cc
CFLAGS   ?= -O2 -g
LIBFLAG  ?= -shared
BUILD    ?= build
RUN_PORT ?= 8443

# Lua headers: LuaRocks passes LUA_INCDIR; otherwise pkg-config knows them.
ifdef LUA_INCDIR
LUA_CFLAGS = -I$(LUA_INCDIR)
else
LUA_CFLAGS = $(shell pkg-config --cflags lua$(LUA_VERSION))
endif
CRYPTO_CFLAGS = $(shell pkg-config --cflags nettle hogweed gmp)
CRYPTO_LIBS   = $(shell pkg-config --libs nettle hogweed gmp) -lpthread

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
MT_FLAGS = -std=c99 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARN) $(CRYPTO_CFLAGS)
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(SAN),1)
MT_FLAGS += $(SAN_FLAGS)
SAN_LDFLAGS = $(SAN_FLAGS)
endif

CORE_SRC = $(filter-out csrc/lua_%.c,$(wildcard csrc/*.c))
LUA_SRC  = $(wildcard csrc/lua_*.c)
TEST_SRC = $(wildcard csrc/test/test_*.c)
HEADERS  = $(wildcard csrc/*.h csrc/test/*.h)

CORE_OBJ = $(CORE_SRC:csrc/%.c=$(BUILD)/obj/%.o)
LUA_OBJ  = $(LUA_SRC:csrc/%.c=$(BUILD)/obj/%.o)
TESTS    = $(TEST_SRC:csrc/test/%.c=$(BUILD)/test/%)
MODULE   = $(BUILD)/moontls/core.so

.PHONY: all module deps test check asan valgrind install uninstall clean run tests-c fuzz bench

all: module tests-c

module: $(MODULE)

tests-c: $(TESTS)

$(BUILD)/obj/%.o: csrc/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MT_FLAGS) $(LUA_CFLAGS) -c $< -o $@

$(BUILD)/libmtcore.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(MODULE): $(LUA_OBJ) $(BUILD)/libmtcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LIBFLAG) $(SAN_LDFLAGS) -o $@ $(LUA_OBJ) $(BUILD)/libmtcore.a $(CRYPTO_LIBS)

$(BUILD)/test/%: csrc/test/%.c $(BUILD)/libmtcore.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MT_FLAGS) $(SAN_LDFLAGS) -o $@ $< $(BUILD)/libmtcore.a $(CRYPTO_LIBS)

# Installs with apt-get whatever Debian packages are missing; quiet when all are there.
deps:
	@sh tools/deps

# Everything, from a fresh machine: packages, build, C tests, specs, lint, format.
test: deps
	@$(MAKE) --no-print-directory check

# Benchmarks of issue 6 (not part of `make test`): one table, bench/results/latest.json.
# QUICK=1 runs smaller rounds (under two minutes); the full run takes some minutes.
bench: deps module
	@$(LUA) bench/run.lua $(if $(QUICK),--quick)

check: all
	@BUILD=$(BUILD) LUA=$(LUA) BUSTED=$(BUSTED) SAN_PRELOAD="$(SAN_PRELOAD)" \
		C_TESTS="$(TESTS)" sh tools/run-tests

# The same tests with AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 CFLAGS="-O1 -g" \
		SAN_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" check

# The C unit tests under valgrind's memcheck (leaks and invalid accesses fail the run).
valgrind: all
	@for t in $(TESTS); do \
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
			--error-exitcode=9 $$t > $$t.valgrind 2>&1 \
			&& echo "ok - valgrind $$t" || { echo "not ok - valgrind $$t"; cat $$t.valgrind; exit 1; }; \
	done

run: deps
	@$(MAKE) --no-print-directory module
	@echo "moontls: demo HTTPS server on https://127.0.0.1:$(RUN_PORT)/ (throwaway certificate; Ctrl-C stops it)"
	@echo "  try:  curl -k https://127.0.0.1:$(RUN_PORT)/"
	@echo "        $(LUA) bin/moontls client 127.0.0.1:$(RUN_PORT) --insecure"
	@echo "        openssl s_client -connect 127.0.0.1:$(RUN_PORT)"
	@MOONTLS_BUILD=$(BUILD) $(LUA) bin/moontls server --www --host 127.0.0.1 --port $(RUN_PORT) --alpn http/1.1

# libFuzzer (clang) with ASan/UBSan over the server's ClientHello handling and the records
# after it; FUZZ_SECONDS of fuzzing from seeds made by real moontls clients.
FUZZ_SECONDS ?= 60
fuzz: deps module
	@sh tools/deps clang
	@mkdir -p build-fuzz/corpus build-fuzz/seeds
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c99 -D_GNU_SOURCE $(CRYPTO_CFLAGS) \
		tools/fuzz/fuzz_hello.c $(CORE_SRC) -o build-fuzz/fuzz_hello $(CRYPTO_LIBS)
	MOONTLS_BUILD=$(BUILD) $(LUA) tools/fuzz/mkseeds.lua build-fuzz/seeds
	build-fuzz/fuzz_hello -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		build-fuzz/corpus build-fuzz/seeds

install: module
	install -d $(DESTDIR)$(LUA_LIBDIR)/moontls $(DESTDIR)$(LUA_DIR)/moontls $(DESTDIR)$(BINDIR)
	install -m 755 $(MODULE) $(DESTDIR)$(LUA_LIBDIR)/moontls/core.so
	install -m 644 lua/moontls/*.lua $(DESTDIR)$(LUA_DIR)/moontls/
	install -d $(DESTDIR)$(LUA_DIR)/moontls/cli
	install -m 644 lua/moontls/cli/*.lua $(DESTDIR)$(LUA_DIR)/moontls/cli/
	install -m 755 bin/moontls $(DESTDIR)$(BINDIR)/moontls

uninstall:
	rm -rf $(DESTDIR)$(LUA_LIBDIR)/moontls $(DESTDIR)$(LUA_DIR)/moontls
	rm -f $(DESTDIR)$(BINDIR)/moontls

clean:
	rm -rf build build-asan build-fuzz
