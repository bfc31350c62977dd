# shellcheck shell=bash
# rules-10k: flowgate's rule classifier (pipeline rules.classify.ChainClassifier) against DPDK's ACL library
# (dpdk-test-acl, from Debian's dpdk-dev) on the same 10,000 rules and the same trace, on the same core.
#
# Files (written once per run into the results directory, in dpdk-test-acl's ClassBench formats):
#   rules.txt   RULES10K_RULES ClassBench-style IPv4 5-tuple rules (io.flowgate.pipeline.rules.ClassBench:
#               prefixes from shared blocks so they nest and overlap, exact/range/wildcard ports, TCP/UDP/any)
#   trace.txt   RULES10K_PACKETS headers: 90% inside a uniformly chosen rule, 10% random
# Both tools read these two files. DPDK gives rule i (line i) priority MAX - i, so its highest-priority match is
# the first matching line; flowgate builds one chain, rule i = line i (accept/drop alternating), first match wins.
#
# Check: dpdk-test-acl --verbose=3 prints its result for every trace packet (the 0-based line, 4294967295 for
# none); flowgate's Rules10k compares its own first matching rule per packet with that list and with its linear
# reference; any difference fails the run (no result line).
#
# Rate: classifications per second of the whole trace, repeated, on core BENCH_FWD_CORE (taskset, and the EAL
# lcore for DPDK): dpdk-test-acl's own "pkt/sec" over RULES10K_DPDK_ITER passes (runcat 1, its default
# algorithm: the widest SIMD the CPU has; the scalar algorithm is measured too and printed on its own line);
# flowgate's Rules10k over RULES10K_SECONDS after a second of warm-up, bursts of 32 (ChainClassifier.classify).
# BENCH_ROUNDS interleaved rounds (dpdk, dpdk scalar, flowgate); medians.
#
# Output: per round `rules-10k round=R tool=T mpps=X`, then
#   rules-10k-scalar ratio=R flowgate=X reference=Y unit=Mpps reference_name=dpdk-acl-scalar
#   rules-10k ratio=R flowgate=X reference=Y unit=Mpps reference_name=dpdk-acl

: "${RULES10K_RULES:=10000}"
: "${RULES10K_PACKETS:=65536}"
: "${RULES10K_SEED:=1}"
: "${RULES10K_DPDK_ITER:=2000}"
: "${RULES10K_SECONDS:=4}"

rules10k_need() {
    if ! command -v dpdk-test-acl >/dev/null 2>&1; then
        bench_log "dpdk-test-acl missing: apt-get install -y dpdk-dev"
        timeout 600 apt-get install -y dpdk-dev >"$BENCH_DIR/apt.log" 2>&1 \
            || bench_die "apt-get install dpdk-dev failed (see $BENCH_DIR/apt.log)"
    fi
    bench_need_perf_jar
    RULES10K_JAR=$BENCH_PERF_JAR
    RULES10K_JAVA=(timeout -k 5 120 taskset -c "$BENCH_FWD_CORE" "$JAVA_HOME/bin/java" -Xmx2g
                   -cp "$RULES10K_JAR" io.flowgate.pipeline.rules.Rules10k)
}

# rules10k_acl LOG ITER [ALG]: runs dpdk-test-acl on the files; sets RULES10K_PPS from its pkt/sec line
rules10k_acl() {
    local log=$1 iter=$2 alg=${3:-} prefix
    prefix=$(bench_prefix "acl$RANDOM")
    bench_eal_args "$prefix" "$BENCH_FWD_CORE"
    timeout -k 5 120 taskset -c "$BENCH_FWD_CORE" dpdk-test-acl "${BENCH_EAL[@]}" -- \
        --rulesf="$BENCH_DIR/rules.txt" --tracef="$BENCH_DIR/trace.txt" --rulenum="$RULES10K_RULES" \
        --tracenum="$RULES10K_PACKETS" --bldcat=1 --runcat=1 --iter="$iter" --verbose="${RULES10K_VERBOSE:-1}" \
        ${alg:+--alg=$alg} >"$log" 2>&1 || bench_die "dpdk-test-acl failed (see $log)"
    RULES10K_PPS=$(grep -o '[0-9.]* pkt/sec' "$log" | tail -1 | cut -d' ' -f1)
    [[ -n $RULES10K_PPS ]] || bench_die "no rate in $log"
}

bench_main() {
    rules10k_need
    bench_log "generating $RULES10K_RULES rules and $RULES10K_PACKETS packets"
    "${RULES10K_JAVA[@]}" gen "$BENCH_DIR/rules.txt" "$BENCH_DIR/trace.txt" "$RULES10K_RULES" "$RULES10K_PACKETS" \
        "$RULES10K_SEED" >"$BENCH_DIR/gen.log" 2>&1 || bench_die "generation failed (see $BENCH_DIR/gen.log)"

    bench_log "reference results (dpdk-test-acl --verbose=3)"
    RULES10K_VERBOSE=3 rules10k_acl "$BENCH_DIR/acl-results.log" 1
    grep -o 'result: [0-9]*' "$BENCH_DIR/acl-results.log" \
        | awk '{ print ($2 == 4294967295 ? -1 : $2) }' >"$BENCH_DIR/expected.txt"
    [[ $(wc -l <"$BENCH_DIR/expected.txt") -eq $RULES10K_PACKETS ]] \
        || bench_die "dpdk-test-acl printed $(wc -l <"$BENCH_DIR/expected.txt") results for $RULES10K_PACKETS packets"
    grep -m1 ' alg=' "$BENCH_DIR/acl-results.log" | sed 's/^ */dpdk default /' >&2

    local r dpdk=() scalar=() flowgate=() x
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        rules10k_acl "$BENCH_DIR/acl-$r.log" "$RULES10K_DPDK_ITER"
        x=$(bench_pps_to_mpps "$RULES10K_PPS"); dpdk+=("$x")
        echo "rules-10k round=$r tool=dpdk-acl mpps=$x"
        rules10k_acl "$BENCH_DIR/acl-scalar-$r.log" "$((RULES10K_DPDK_ITER / 2))" scalar
        x=$(bench_pps_to_mpps "$RULES10K_PPS"); scalar+=("$x")
        echo "rules-10k round=$r tool=dpdk-acl-scalar mpps=$x"
        "${RULES10K_JAVA[@]}" run "$BENCH_DIR/rules.txt" "$BENCH_DIR/trace.txt" "$RULES10K_SECONDS" \
            "$BENCH_DIR/expected.txt" >"$BENCH_DIR/flowgate-$r.log" 2>&1 \
            || bench_die "flowgate run failed or differs from dpdk-test-acl (see $BENCH_DIR/flowgate-$r.log)"
        grep -h 'flowgate_checked' "$BENCH_DIR/flowgate-$r.log" >&2
        x=$(sed -n 's/^flowgate_mpps=//p' "$BENCH_DIR/flowgate-$r.log"); flowgate+=("$x")
        echo "rules-10k round=$r tool=flowgate mpps=$x"
    done
    local f d s
    f=$(bench_median "${flowgate[@]}"); d=$(bench_median "${dpdk[@]}"); s=$(bench_median "${scalar[@]}")
    bench_result rules-10k-scalar "$(bench_ratio "$f" "$s")" "$f" "$s" Mpps dpdk-acl-scalar
    bench_result rules-10k "$(bench_ratio "$f" "$d")" "$f" "$d" Mpps dpdk-acl
}
