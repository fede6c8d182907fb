#!/usr/bin/env bash
# Installs the system packages the end-to-end tests need, when missing:
# Debian's Chromium (driven headless through chromedp), a C compiler
# (Hydra's in-memory database is sqlite, built with cgo) and Node.js with npm
# (iam-simulate, the IAM evaluator's cross-check). It needs root for
# apt-get; without root it says what to install and leaves the decision to
# the tests (they fail under make test when a tool is missing).
set -euo pipefail
# moto_server (Python moto) stands in for DynamoDB in the shared-store tests;
# it comes with the machine, not from apt. Say so early when it is missing.
if ! command -v moto_server >/dev/null 2>&1; then
	echo "moto_server is missing: pip install 'moto[server]==5.2.1' (the shared-store tests need it)" >&2
fi
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "missing system packages: ${missing[*]} (install them with apt-get as root)" >&2
	exit 0
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
