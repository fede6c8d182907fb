# secds build and test entry points. `make test` is what CI runs.
GO      ?= go
PKGS    := ./...
# Fuzz budgets are execution counts, not durations: a duration races Go
# 1.26's fuzz coordinator at the deadline (golang/go#75804) and fails with
# "context deadline exceeded" on a busy machine. Each is about 10 s here.
FUZZTIME ?= 60000x
FUZZTIME_SLOW ?= 40000x

# End-to-end tests that need an external tool skip locally when it is
# missing; under make test a skip of that kind is a failure.
export SECDS_REQUIRE_E2E := 1

# Ory Hydra for the end-to-end tests, built by `make tools` from its own
# module (tools/hydra) into a git-ignored folder and reused between runs.
# Chromium and gcc come from Debian: `make deps` installs them when missing
# (as root).
export SECDS_HYDRA_BIN := $(CURDIR)/.tools/bin/hydra
# kustomize, which configs/kubernetes's tests render the overlay with, the
# same way from tools/kustomize (pure Go: about a minute on a fresh machine).
export SECDS_KUSTOMIZE_BIN := $(CURDIR)/.tools/bin/kustomize

.PHONY: test deps fmt-check vet tools kustomize iamsim axe unit e2e fuzz build build-dev run bench clean

# make test ends with one line: tests passed, failed and skipped (named),
# and whether the browser suite ran; unit saves it (internal/testsummary).
TEST_SUMMARY := $(CURDIR)/.cache/test-summary.txt

test: fmt-check vet deps tools iamsim axe unit fuzz
	@echo; echo "make test: every step passed; $$(cat $(TEST_SUMMARY))"

deps:
	tools/system-deps.sh

# Each rebuilds only when its binary is missing or its tool module's go.mod
# or go.sum changed (the script keeps a hash of them beside the binary).
tools: deps kustomize
	tools/hydra/build.sh

kustomize:
	tools/kustomize/build.sh

# @cloud-copilot/iam-simulate, the independent IAM evaluator iameval's
# cross-check runs, installed with npm ci from tools/iamsim's lock file into
# .tools/iamsim (git-ignored); reinstalled only when the lock changes.
export SECDS_IAMSIM_DIR := $(CURDIR)/.tools/iamsim

iamsim: deps
	tools/iamsim/install.sh

# axe-core, the accessibility audit the browser tests run on every page
# (internal/e2e/a11y.go), installed the same way into .tools/axe.
export SECDS_AXE_DIR := $(CURDIR)/.tools/axe

axe: deps
	tools/axe/install.sh

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)
	$(GO) vet -tags release ./cmd/secds-broker

# The end-to-end tests (internal/e2e: Hydra, Chromium, broker replicas) run
# here too, under the race detector: the brokers they start are the real
# code under real concurrency, and the whole package takes well under a
# minute. internal/testsummary runs go test -json, prints go test's usual
# output and closes with the summary line; it fails when go test does.
unit: tools iamsim axe
	$(GO) run ./internal/testsummary -go $(GO) -o $(TEST_SUMMARY) -- -race -count=1 -timeout 15m $(PKGS)

# Only the end-to-end tests, for a quick look while working on them.
e2e: tools axe
	$(GO) test -race -count=1 -timeout 10m -v ./internal/e2e/...

# Each fuzz target runs for a short fixed time; crashers land in testdata/fuzz
# and are committed as regression cases.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzSafeNext$$' -fuzztime $(FUZZTIME) ./auth
	$(GO) test -run '^$$' -fuzz '^FuzzCodecOpen$$' -fuzztime $(FUZZTIME) ./auth
	$(GO) test -run '^$$' -fuzz '^FuzzIdentityFromClaims$$' -fuzztime $(FUZZTIME) ./auth
	$(GO) test -run '^$$' -fuzz '^FuzzParseToken$$' -fuzztime $(FUZZTIME) ./auth
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME_SLOW) ./abac
	$(GO) test -run '^$$' -fuzz '^FuzzEvaluate$$' -fuzztime $(FUZZTIME) ./abac
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/iameval

# Release binaries: -tags release leaves the dev stack (AWS emulator, dev
# identity provider, demo config) out of secds-broker; `--dev` on them says
# so. cmd/secds-broker's TestReleaseBuildLinksNoDevPackage checks the list.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags release -o bin/ ./cmd/secds-broker ./cmd/secds

# The AWS emulator on its own, for trying a real broker config against it.
build-dev:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/secds-awsemu

run:
	$(GO) run ./cmd/secds-broker --dev

# The load harness (cmd/secds-bench, BENCHMARKS.md): the broker and the AWS
# emulator on loopback, each scenario beside the floors B and C. A few
# minutes; BENCH_FLAGS passes flags, e.g. BENCH_FLAGS='-rounds 1 -duration 2s'.
BENCH_FLAGS ?=
bench:
	$(GO) build -o bin/secds-bench ./cmd/secds-bench
	bin/secds-bench $(BENCH_FLAGS)

clean:
	rm -rf bin
