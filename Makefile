# The two commands of the README: `make demo` and `make test`. Everything else helps them.
.PHONY: setup build test demo fuzz fuzz-long asan clean format tidy bench package package-check docs

JOBS ?= $(shell nproc)

setup:
	@scripts/setup

build: setup
	@[ -f build/build.ninja ] || cmake --preset release
	@cmake --build build -j $(JOBS)

# Every suite through CTest (the installed package and the README's examples among
# them); triplex as a shared-library subproject; clang-tidy; the libFuzzer targets get a short run
# when clang is present.
test: build
	@cd build && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory package-check
	@$(MAKE) --no-print-directory tidy
	@$(MAKE) --no-print-directory asan
	@if command -v clang++ >/dev/null 2>&1; then $(MAKE) --no-print-directory fuzz; \
	 else echo "clang++ not found: fuzz targets skipped"; fi

fuzz:
	@[ -f build/fuzz/build.ninja ] || cmake --preset fuzz
	@cmake --build build/fuzz -j $(JOBS)
	@cd build/fuzz && ctest --output-on-failure -j $(JOBS)

# Every fuzz target for FUZZ_SECONDS each, in turn: the tests' own command
# lines with a longer time. New inputs stay in build/fuzz/tests/fuzz/corpus/,
# crash reproducers in build/fuzz/; the targets that failed are listed last.
FUZZ_SECONDS ?= 3600
fuzz-long:
	@[ -f build/fuzz/build.ninja ] || cmake --preset fuzz
	@cmake --build build/fuzz -j $(JOBS)
	@cd build/fuzz && failed=""; \
	 ctest -N -V -R '^fuzz_' | sed -n 's/^[0-9]*: Test command: //p' > fuzz-long.cmds; \
	 while read -r cmd; do \
	   name=$$(echo "$$cmd" | sed 's|^[^ ]*/\([a-z0-9_]*\)_fuzz .*|\1|'); \
	   echo "== $$name: $(FUZZ_SECONDS) s"; \
	   eval "$$(echo "$$cmd" | sed 's/-max_total_time=[0-9]*/-max_total_time=$(FUZZ_SECONDS)/')" \
	     < /dev/null || failed="$$failed $$name"; \
	 done < fuzz-long.cmds; \
	 rm -f fuzz-long.cmds; \
	 if [ -n "$$failed" ]; then echo "fuzz-long: failed:$$failed"; exit 1; fi

# AddressSanitizer and UBSan over the suites that feed the server hostile input
# (HTTP/3 bad input, misbehaving HTTP/2 clients), the HTTP/3 unit tests and the
# gateway end to end.
asan: setup
	@[ -f build/asan/build.ninja ] || cmake --preset asan
	@cmake --build build/asan -j $(JOBS) --target triplex-interop-server h3_tests gateway_tests
	@cd build/asan && ctest --output-on-failure -j $(JOBS) \
	  -R '^(h3_bad_input|h2_misbehaving|Http3|QuicRetry|UdpIo|GatewayTest|TranscodingTest)'

# triplex built by another project with add_subdirectory, as a shared library.
package-check: setup
	@tests/package/check_subproject.sh . $$(sed -n 's/^project(triplex VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

# The Debian package, in build/.
package: build
	@cd build && cpack -G DEB

# The API reference from the public headers, in build/docs/html.
docs: setup
	@mkdir -p build/docs
	@doxygen docs/Doxyfile

demo: build
	@scripts/demo

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

# clang-tidy's bugprone and performance checks (.clang-tidy) over src/ and
# include/; any finding fails. The full report is kept in build/tidy.log.
tidy: build
	@echo "clang-tidy over src/ (about 5 minutes on 2 cores)"
	@run-clang-tidy -j $(JOBS) -p build -quiet "$(CURDIR)/src/" > build/tidy.log 2>&1 || \
	  { sed -E 's/\x1b\[[0-9;]*m//g' build/tidy.log | grep -E '(error|warning): ' | sort -u; \
	    echo "clang-tidy: findings above (build/tidy.log)"; exit 1; }
	@echo "clang-tidy: clean"

bench: build
	@bench/run

clean:
	@rm -rf build
