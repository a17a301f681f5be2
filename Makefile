# namae: `make run` starts the daemon on loopback, `make test` runs every test.
# Both install missing Debian packages first (scripts/deps.sh).
BUILD      ?= build
FUZZ_BUILD ?= build-fuzz
GENERATOR  ?= Ninja
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 30

.PHONY: all deps configure build run test unit system bench fuzz clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/run.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
ifeq ($(CI),true)
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
endif

bench: build
	bash bench/run.sh $(BUILD)

fuzz: deps
	CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DNAMAE_FUZZ=ON -DNAMAE_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
