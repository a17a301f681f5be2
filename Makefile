# namae: `make run` starts the daemon on loopback, `make test` runs every test,
# `make install` installs under PREFIX (default /usr/local; DESTDIR honoured).
# All install missing Debian packages first (scripts/deps.sh).
BUILD      ?= build
FUZZ_BUILD ?= build-fuzz
GENERATOR  ?= Ninja
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 30
PREFIX     ?= /usr/local

.PHONY: all deps configure build run test unit system bench fuzz clean install

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The prefix is configured (the systemd unit names $(PREFIX)/sbin/namaed), then
# cmake --install copies programs, man pages, the unit and the examples.
install: configure
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

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
