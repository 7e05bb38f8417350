#!/usr/bin/env bash
# `make test`: the unit tests, then the multi-rank integration tests, then
# one line with the totals. Exit status 0 only when nothing failed.
set -u
cd "$(dirname "$0")/.."
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT
COUNTS=$counts tests/run-unit.sh "$@"
read -r up uf us < "$counts"
echo
COUNTS=$counts tests/integration/run.sh
read -r ip if_ is < "$counts"
echo
echo "$((up + ip)) passed, $((uf + if_)) failed, $((us + is)) skipped"
[ $((uf + if_)) -eq 0 ]
