# secds build and test entry points. `make test` is what CI runs.
GO      ?= go
PKGS    := ./...
FUZZTIME ?= 10s

# End-to-end tests that need an external tool skip locally when it is
# missing; under make test a skip of that kind is a failure.
export SECDS_REQUIRE_E2E := 1

.PHONY: test fmt-check vet unit fuzz build run clean

test: fmt-check vet unit fuzz

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

# Each fuzz target runs for a short fixed time; crashers land in testdata/fuzz
# and are committed as regression cases.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzSafeNext$$' -fuzztime $(FUZZTIME) ./auth
	$(GO) test -run '^$$' -fuzz '^FuzzCodecOpen$$' -fuzztime $(FUZZTIME) ./auth
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./abac
	$(GO) test -run '^$$' -fuzz '^FuzzEvaluate$$' -fuzztime $(FUZZTIME) ./abac

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/...

run:
	$(GO) run ./cmd/secds-broker --dev

clean:
	rm -rf bin
