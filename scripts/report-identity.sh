#!/usr/bin/env bash
# Checks that two builds of mailtrace write the same reports, byte for byte:
# `analyze --offline` of every .eml and .mbox file under the given paths (default:
# testdata/ and ../shared/corpus), one file at a time, as JSON and text, with
# and without --header-only, and as JSON with --attached. The exit status
# and standard output must match; standard error (timings) is not compared.
#   scripts/report-identity.sh OLD_BINARY NEW_BINARY [PATH...]
set -euo pipefail
old=$1 new=$2
shift 2
[ $# -gt 0 ] || set -- testdata ../shared/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=0 runs=0 diffs=0
while IFS= read -r -d '' f; do
	files=$((files + 1))
	for flags in "-f json" "-f json --header-only" "-f text" "-f text --header-only" "-f json --attached"; do
		for b in old new; do
			bin=${!b}
			# shellcheck disable=SC2086 # flags are words
			code=0
			"$bin" analyze --offline --now 2026-01-01T00:00:00Z $flags "$f" >"$work/$b" 2>/dev/null || code=$?
			echo "exit $code" >>"$work/$b"
		done
		runs=$((runs + 1))
		if ! cmp -s "$work/old" "$work/new"; then
			diffs=$((diffs + 1))
			echo "DIFFERENT: $flags $f"
		fi
	done
done < <(find "$@" -type f \( -name '*.eml' -o -name '*.mbox' \) -print0 | sort -z)
echo "report-identity: $files files, $runs runs, $diffs differences"
[ "$diffs" = 0 ]
