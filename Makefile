# setgen — typed, Redis-backed sets for Go.
#
#   make test    install redis-server, valkey-server and python3-msgpack if missing, vet, run every
#                test with -race against Redis, then the integration suite again against Valkey
#   make test-short  the unit tests only, in seconds (no servers)
#   make demo    run the examples end to end (REDIS_URL, else a redis-server it starts, else miniredis)
#   make bench   run the benchmarks against a real redis-server

GO      ?= go
TIMEOUT ?= 25m

.PHONY: test test-floor test-short demo bench bench-pairs generate check-fmt redis-server

# The packages whose tests talk to a server, run again against Valkey.
SERVER_PKGS = ./runtime/... ./internal/testtypes ./examples/...

# The oldest Go the module supports (its go line): make test also vets and
# runs the unit tests with it, fetched through the module proxy.
GO_FLOOR = go1.25.0

test: redis-server check-fmt test-floor
	$(GO) vet ./...
	cd $(DEMO) && $(GO) vet ./... && $(GO) build -o /dev/null .
	@echo "== every package against $$(redis-server --version | cut -d' ' -f1-3)"
	$(GO) test -race -count=1 -timeout $(TIMEOUT) ./...
	@echo "== the integration suite against $$(valkey-server --version | cut -d' ' -f1-3)"
	SETGEN_TEST_SERVER=valkey-server $(GO) test -race -count=1 -timeout $(TIMEOUT) $(SERVER_PKGS)

test-floor:
	@echo "== go vet and the unit tests with $(GO_FLOOR), the oldest Go setgen supports"
	GOTOOLCHAIN=$(GO_FLOOR) $(GO) vet ./...
	GOTOOLCHAIN=$(GO_FLOOR) $(GO) test -short -count=1 ./...

# The fast tier: unit tests only (no redis-server, no generated module).
test-short: check-fmt
	$(GO) vet ./...
	$(GO) test -short -count=1 ./...

# The demo is a module of its own (examples/cmd/demo/go.mod), so that its
# fallback server, miniredis, is not a requirement of setgen's module.
DEMO = examples/cmd/demo

demo:
	cd $(DEMO) && $(GO) run .

# Benchmarks: the runtime against raw rueidis, the generated codec against
# msgpack reflection, and (in its own module, to keep go-redis out of ours)
# setgen against go-redis. Results: BENCHMARKS.md.
bench: redis-server
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./runtime/ ./examples/users/
	cd internal/bench && $(GO) test -run '^$$' -bench . -benchmem -count 5 .

# Paired comparisons for BENCHMARKS.md: the bench binary is built once and
# run N times with -test.count 1, so each run holds every variant side by
# side; benchstat summarizes.
PAIRS ?= 8
bench-pairs: redis-server
	cd internal/bench && $(GO) test -c -o /tmp/setgen-bench.test . && \
	for i in $$(seq $(PAIRS)); do /tmp/setgen-bench.test -test.run '^$$' -test.bench 'Codec|Set|Contains32' -test.benchmem -test.count 1; done | tee results/pairs-codec-set.txt

generate:
	$(GO) generate ./...

check-fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# redis-server, redis-cli and redis-sentinel, and Python's msgpack and
# redis modules (for the interop test of the README's Python snippet), come
# from Debian's packages; valkey-server 8 from bookworm-backports, which
# this target adds as a package source when it is missing.
DEB_PACKAGES = redis-server redis-tools redis-sentinel python3 python3-msgpack python3-redis
BACKPORTS_PACKAGES = valkey-server valkey-tools
BACKPORTS_SOURCE = /etc/apt/sources.list.d/setgen-bookworm-backports.sources

redis-server:
	@if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1 || \
		! command -v redis-sentinel >/dev/null 2>&1 || ! command -v valkey-server >/dev/null 2>&1 || \
		! /usr/bin/python3 -c 'import msgpack, redis' >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing $(DEB_PACKAGES) and, from bookworm-backports, $(BACKPORTS_PACKAGES) (apt-get)"; \
			if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then \
				printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > $(BACKPORTS_SOURCE); \
			fi; \
			apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES) >/dev/null && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports $(BACKPORTS_PACKAGES) >/dev/null; \
		else \
			echo "missing test dependencies: install them (sudo apt-get install -y $(DEB_PACKAGES); valkey-server 8 from bookworm-backports) and run make test again"; exit 1; \
		fi; \
	fi
	@redis-server --version
	@valkey-server --version
