# Aviary: `make run` (the demo) and `make test` (the suite) on a fresh Debian machine as root.
# Both install what is missing first: Debian packages, then a virtualenv with the project.

SHELL := /bin/bash
# Debian's own python3 when there is one, even if another python3 comes first on PATH: it is the
# one python3-venv serves and a fresh Debian machine (CI) runs, and its optimised build serves
# 15-20 % more calls than a default build of the same version (pyenv's), so tests and benchmarks
# here describe what users on Debian get.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)

# Real peers and components the tests use: ZooKeeper, Apache Thrift's compiler and Java
# library, a JDK to compile the Java client, Chromium for the pages, wrk for the benchmarks
# (libssl-dev: bench/thrift_load.c speaks TLS; openssl: the bench's throwaway certificates).
APT_PACKAGES := zookeeper libthrift-java thrift-compiler default-jdk-headless libslf4j-java \
                gcc make wrk chromium chromium-driver python3-venv libssl-dev openssl
# Apache's Java cross-test client speaks HTTP through Apache HttpClient (its THttpClient).
APT_PACKAGES += libhttpclient-java libhttpcore-java libcommons-logging-java
# systemd-analyze verifies deploy/systemd's unit (the tests run it; systemd need not be init).
APT_PACKAGES += systemd

.PHONY: run test fuzz bench bundle docs deps system-deps clean

# echo, eventlog and mock in one process with an embedded ZooKeeper; prints where to look.
# Ctrl-C drains and stops it all. Flags: make run ARGS="--http-port 8080" (aviary dev --help).
run: deps
	$(BIN)/aviary dev $(ARGS)

# lint-imports first: an import that runs back up a layer fails at once (pyproject.toml's contracts).
test: deps
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

# The decoders' fuzz targets (tests/fuzz), long and randomized; `make test` runs them bounded.
# A crash it finds goes into tests/fuzz/regressions.py.
FUZZ_EXAMPLES ?= 20000
fuzz: deps
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider --timeout 0 tests/fuzz

# The docs site (docs/, mkdocs.yml) into build/site, strictly: a broken link or reference, or a
# setting the reference pages cannot describe, fails the build. Open build/site/index.html.
docs: deps
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site  # (the variable: no banner about MkDocs 2)

bench: deps
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/run.py
	$(BIN)/python bench/mux.py
	$(BIN)/python bench/dialects.py
	$(BIN)/python bench/discovery.py
	$(BIN)/python bench/eventlog.py
	$(BIN)/python bench/telemetry_cost.py

# dist/aviary-offline-<version>-<platform>.tar.gz: Aviary and every runtime dependency as wheels
# for this platform and $(PYTHON), with install.sh DEST (no network, no root). README: "Offline".
bundle: $(STAMP)
	$(BIN)/python deploy/offline/build.py

deps: system-deps $(STAMP)

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages: $$missing (run as root, or: sudo apt-get install $$missing)"; exit 1; fi; \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info bench/out tests/artifacts .pytest_cache
