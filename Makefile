# setgen — typed, Redis-backed sets for Go.
#
#   make test    install redis-server if missing, vet, run every test with -race
#   make demo    run the examples end to end (REDIS_URL, or an embedded Redis)
#   make bench   run the benchmarks against a real redis-server

GO      ?= go
TIMEOUT ?= 25m

.PHONY: test demo bench generate check-fmt redis-server

test: redis-server check-fmt
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout $(TIMEOUT) ./...

demo:
	$(GO) run ./examples/cmd/demo

# Benchmarks: the runtime against raw rueidis, the generated codec against
# msgpack reflection, and (in its own module, to keep go-redis out of ours)
# setgen against go-redis. Results: BENCHMARKS.md.
bench: redis-server
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./runtime/ ./examples/users/
	cd internal/bench && $(GO) test -run '^$$' -bench . -benchmem -count 5 .

generate:
	$(GO) generate ./...

check-fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# redis-server (and redis-cli) come from Debian's packages.
redis-server:
	@if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing redis-server (apt-get)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null; \
		else \
			echo "redis-server is missing: install it (sudo apt-get install -y redis-server) and run make test again"; exit 1; \
		fi; \
	fi
	@redis-server --version
