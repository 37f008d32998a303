# The two commands of the README: `make demo` and `make test`. Everything else helps them.
.PHONY: setup build test demo fuzz asan clean format bench package package-check docs

JOBS ?= $(shell nproc)

setup:
	@scripts/setup

build: setup
	@[ -f build/build.ninja ] || cmake --preset release
	@cmake --build build -j $(JOBS)

# Every suite through CTest (the installed package and the README's examples among
# them); triplex as a shared-library subproject; the libFuzzer targets get a short run
# when clang is present.
test: build
	@cd build && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory package-check
	@$(MAKE) --no-print-directory asan
	@if command -v clang++ >/dev/null 2>&1; then $(MAKE) --no-print-directory fuzz; \
	 else echo "clang++ not found: fuzz targets skipped"; fi

fuzz:
	@[ -f build/fuzz/build.ninja ] || cmake --preset fuzz
	@cmake --build build/fuzz -j $(JOBS)
	@cd build/fuzz && ctest --output-on-failure -j $(JOBS)

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

bench: build
	@bench/run

clean:
	@rm -rf build
