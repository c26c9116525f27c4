#!/usr/bin/env bash
# Runs the gateway's benchmarks as BENCHMARKS.md reports them and prints
# the median of every figure over the runs. Raw `go test` output goes to
# $OUT (default: a file in a new temporary directory). Takes about 30
# minutes; run it on an otherwise idle machine.
#
#   bash scripts/bench-gateway.sh            # everything
#   COUNT=3 bash scripts/bench-gateway.sh    # fewer runs
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
count="${COUNT:-5}"
out="${OUT:-$(mktemp -d)/gateway-bench.txt}"

bench() { # pattern benchtime
	go test -run '^$' -bench "$1" -benchtime="$2" -count="$count" -timeout 60m \
		./gateway/ | tee -a "$out"
}

: >"$out"
{
	echo "# $(date -u +%FT%TZ) $(go version)"
	echo "# nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null || true)"
	echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)"
} | tee -a "$out"
bench '^BenchmarkGatewayVsDirect$' 20000x
bench '^BenchmarkGatewayVsDirectModelUpstream$/^clients=(16|128)$' 8192x
bench '^BenchmarkGatewayVsDirectModelUpstream$/^clients=1$' 512x
bench '^BenchmarkPinnedGatewayVsDirect$' 20000x
bench '^BenchmarkPinnedGatewayVsDirectModelUpstream$/^clients=(16|128)$' 8192x
bench '^BenchmarkCharge' 50000x

echo
echo "Medians over $count runs (raw output: $out):"
# Each result line is: name N ns/op value unit value unit ...
awk '/^Benchmark/ { for (i = 5; i < NF; i += 2) print $1, $(i + 1), $i }' "$out" |
	sort -k1,1 -k2,2 -k3,3g |
	awk '{ key = $1 " " $2; v[key] = v[key] " " $3 }
	     END { for (k in v) { n = split(v[k], a, " ");
	           m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2;
	           printf "%-60s %14.1f\n", k, m } }' |
	sort
