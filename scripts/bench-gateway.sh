#!/usr/bin/env bash
# Runs the gateway's benchmarks as BENCHMARKS.md reports them and prints,
# for every figure, its median, minimum and maximum over the runs. Raw
# `go test` output goes to $OUT (default: a file in a new temporary
# directory). Takes about 25 minutes; run it on an otherwise idle machine.
#
#   bash scripts/bench-gateway.sh            # 5 runs of each (3 for one client)
#   COUNT=3 bash scripts/bench-gateway.sh    # fewer runs
set -uo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}" LC_ALL=C
count="${COUNT:-5}"
out="${OUT:-$(mktemp -d)/gateway-bench.txt}"
failed=0

bench() { # pattern benchtime [count]
	go test -run '^$' -bench "$1" -benchtime="$2" -count="${3:-$count}" \
		-timeout 60m ./gateway/ | tee -a "$out"
	[ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
}

: >"$out"
{
	dirty=""
	git diff --quiet HEAD 2>/dev/null || dirty=" (with uncommitted changes)"
	echo "# $(date -u +%FT%TZ) $(go version), commit $(git rev-parse --short HEAD)$dirty"
	echo "# nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null || true)"
	echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)"
} | tee -a "$out"
bench '^BenchmarkGatewayVsDirect$' 20000x
bench '^BenchmarkGatewayVsDirectModelUpstream$/^clients=(16|128)$' 8192x
bench '^BenchmarkGatewayVsDirectModelUpstream$/^clients=1$' 1024x "$(( count < 3 ? count : 3 ))"
bench '^BenchmarkCharge' 50000x

echo
echo "Figures over the runs: median (min .. max), n runs. Raw output: $out"
# A result line is: name N value unit value unit ...
awk '/^Benchmark/ && NF % 2 == 0 { for (i = 3; i < NF; i += 2) print $1, $(i + 1), $i }' "$out" |
	grep -v ' ns/op ' |
	sort -k1,1 -k2,2 -k3,3g |
	awk '{ key = $1 " " $2; v[key] = v[key] " " $3 }
	     END { for (k in v) { n = split(v[k], a, " ");
	           m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2;
	           printf "%-58s %12.1f  (%.1f .. %.1f)  n=%d\n", k, m, a[1], a[n], n } }' |
	sort
if [ "$failed" -ne 0 ]; then
	echo "some benchmarks failed; see $out" >&2
	exit 1
fi
