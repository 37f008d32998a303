# The two commands of the README: `make demo` and `make test`. Everything else helps them.
.PHONY: setup build test demo fuzz clean format bench

JOBS ?= $(shell nproc)

setup:
	@scripts/setup

build: setup
	@[ -f build/build.ninja ] || cmake --preset release
	@cmake --build build -j $(JOBS)

# Every suite through CTest; the libFuzzer targets get a short run when clang is present.
test: build
	@cd build && ctest --output-on-failure -j $(JOBS)
	@if command -v clang++ >/dev/null 2>&1; then $(MAKE) --no-print-directory fuzz; \
	 else echo "clang++ not found: fuzz targets skipped"; fi

fuzz:
	@[ -f build/fuzz/build.ninja ] || cmake --preset fuzz
	@cmake --build build/fuzz -j $(JOBS)
	@cd build/fuzz && ctest --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

bench: build
	@bench/run

clean:
	@rm -rf build
