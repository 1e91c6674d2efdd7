# esmtp-rs: build, install and test the drop-in libesmtp.so.6.

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR    ?=
CARGO      ?= cargo
CC         ?= cc

VERSION    := 1.1.0
SOVERSION  := 6.2.0
SONAME     := libesmtp.so.6
BUILD      := build
LIBOUT     := $(BUILD)/lib
RUSTLIB    := target/release/libesmtp.a
EXPORTS    := capi-tests/abi/exports.txt
MAP        := include/libesmtp.map
NATIVE_LIBS := -lssl -lcrypto -lpthread -ldl -lm -lc -lgcc_s
UNDEFS     = $(foreach s,$(shell cat $(EXPORTS)),-Wl,--undefined=$(s))

FORCE:

.PHONY: FORCE all lib cargo-build install uninstall check check-rust check-abi check-unit \
        check-tls check-diff check-hardening check-interop check-mem matrix demo bench bench-short deb clean fmt lint

all: lib

lib: $(LIBOUT)/libesmtp.so.$(SOVERSION) $(LIBOUT)/libesmtp.a

cargo-build:
	$(CARGO) build --release --lib


# The shared object is linked from the staticlib so that the C shim's
# variadic entry points are exported too; the version script keeps every
# other symbol local and the --undefined list pulls in exactly the exports.
$(LIBOUT)/libesmtp.so.$(SOVERSION): cargo-build $(EXPORTS) $(MAP)
	@mkdir -p $(LIBOUT)
	@echo "  LINK    $@"
	@$(CC) -shared -o $@ -Wl,-soname,$(SONAME) -Wl,--version-script=$(MAP) \
	  $(UNDEFS) -Wl,--gc-sections -Wl,-z,relro,-z,now $(RUSTLIB) $(NATIVE_LIBS)
	ln -sf libesmtp.so.$(SOVERSION) $(LIBOUT)/$(SONAME)
	ln -sf $(SONAME) $(LIBOUT)/libesmtp.so

$(LIBOUT)/libesmtp.a: cargo-build
	@mkdir -p $(LIBOUT)
	cp $(RUSTLIB) $@

$(BUILD)/libesmtp-1.0.pc: pkgconfig/libesmtp-1.0.pc.in FORCE
	@mkdir -p $(BUILD)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

install: lib $(BUILD)/libesmtp-1.0.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 $(LIBOUT)/libesmtp.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libesmtp.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libesmtp.so
	install -m 0644 $(LIBOUT)/libesmtp.a $(DESTDIR)$(LIBDIR)/
	install -m 0644 include/libesmtp.h include/auth-client.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 $(BUILD)/libesmtp-1.0.pc $(DESTDIR)$(PKGCONFIGDIR)/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libesmtp.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libesmtp.so $(DESTDIR)$(LIBDIR)/libesmtp.a \
	      $(DESTDIR)$(INCLUDEDIR)/libesmtp.h $(DESTDIR)$(INCLUDEDIR)/auth-client.h \
	      $(DESTDIR)$(PKGCONFIGDIR)/libesmtp-1.0.pc

# ---- tests ---------------------------------------------------------------

check: lib check-rust check-abi check-unit check-mem check-tls check-diff check-hardening check-interop bench-short
	@echo "make check: all suites passed"

check-rust:
	$(CARGO) test --release

check-abi: lib
	bash capi-tests/abi/check.sh $(CURDIR)/$(LIBOUT) $(CURDIR)

check-unit: lib
	bash capi-tests/unit/run.sh $(CURDIR)/$(LIBOUT)
	bash capi-tests/auth/run.sh $(CURDIR)/$(LIBOUT)

check-tls: lib
	bash capi-tests/tls/run.sh $(CURDIR)/$(LIBOUT)

check-diff: lib
	LIB_UNDER_TEST=$(CURDIR)/$(LIBOUT) INCLUDE_UNDER_TEST=$(CURDIR)/include \
	  bash capi-tests/diff/run.sh

check-hardening: lib
	bash capi-tests/hardening.sh $(CURDIR)/$(LIBOUT)

check-interop: lib
	ESMTP_LIB_DIR=$(CURDIR)/$(LIBOUT) bash tests/interop/all.sh

check-mem: lib
	bash capi-tests/unit/run.sh $(CURDIR)/$(LIBOUT) --valgrind
	bash capi-tests/auth/run.sh $(CURDIR)/$(LIBOUT) --valgrind

matrix: lib
	python3 tools/matrix.py

demo: lib
	ESMTP_LIB_DIR=$(CURDIR)/$(LIBOUT) bash examples/demo.sh

bench: lib
	ESMTP_LIB_DIR=$(CURDIR)/$(LIBOUT) bash bench/run.sh

bench-short: lib
	ESMTP_LIB_DIR=$(CURDIR)/$(LIBOUT) bash bench/run.sh --short

deb: lib
	bash packaging/make-deb.sh

fmt:
	$(CARGO) fmt

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf $(BUILD) capi-tests/out
