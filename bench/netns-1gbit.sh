#!/usr/bin/env bash
# bench/netns-1gbit.sh: a networked training run (coordinator + worker processes) over a
# simulated switched LAN, one Linux network namespace per host, to compare checkouts.
#
# Topology: a bridge in the root namespace is the switch; each host (coordinator "c", workers
# "w1".."wN") is a namespace with one veth to it, 10.77.0.1 (coordinator), 10.77.0.2… (workers).
# Each veth is shaped on both ends with `tc qdisc … tbf rate $RATE burst 256kb latency 50ms`:
# the host's end limits what it sends, the bridge's end what it receives, so the coordinator's
# one link carries all weights frames down and all gradient frames up, as a 1 Gbit/s NIC would.
#
# Needs root, iproute2 (ip, tc) and Linux with veth, bridge and tbf.
#
# Usage (as root):
#   bench/netns-1gbit.sh up [WORKERS]          create the namespaces, bridge and qdiscs (default 2)
#   bench/netns-1gbit.sh run CHECKOUT [LABEL]  one run of CHECKOUT (a shardfit worktree); prints
#                                              one line: LABEL samples/s trainSeconds, bytes
#                                              per step (all, gradients up), mean compute and
#                                              exchange ms per step of a worker, reduce ms,
#                                              test accuracy
#                                              (the coordinator's --json line is kept in
#                                              $OUT/LABEL-N.json, its stderr beside it)
#   bench/netns-1gbit.sh ab BEFORE AFTER [N]   up, then N (default 3) alternating runs
#                                              BEFORE AFTER BEFORE AFTER …, medians, ratio, down
#   bench/netns-1gbit.sh down                  delete the namespaces, bridge and qdiscs
#
# Measured (2026-12-07, 2 cores, EPOCHS=2, 4 rounds; samples/s over both epochs):
#   bench/netns-1gbit.sh ab <checkout of 4a2ca99> <checkout of netbench> 4
#   dense frames (4a2ca99) median 2,310, row-masked (netbench) 2,875: 1.24×; bytes per step at
#   the coordinator 6,520,000 → 5,332,927; a worker's exchange 50 → 41 ms a step.
#
# Environment: WORKERS (2), EPOCHS (1), RATE (1gbit), OUT (/tmp/netns-1gbit),
# BUN (/work/main/node_modules/.bin/bun, else bun on PATH). Every run trains the default MNIST
# MLP, batch 128, one thread per worker, the same command line in every checkout:
#   coordinator: train --listen 10.77.0.1:8790 --expect-workers N --token T --epochs E --json --out DIR
#   each worker: worker --join ws://10.77.0.1:8790/join --token T --threads 1
set -euo pipefail

P=nb1g
WORKERS=${WORKERS:-2}
EPOCHS=${EPOCHS:-1}
RATE=${RATE:-1gbit}
OUT=${OUT:-/tmp/netns-1gbit}
BUN=${BUN:-$(command -v /work/main/node_modules/.bin/bun || command -v bun)}
TOKEN=netns-bench-token-0123456789
PORT=8790
COORD=10.77.0.1

shape() { tc qdisc replace dev "$1" root tbf rate "$RATE" burst 256kb latency 50ms; }

host_up() { # NAME ADDRESS
  ip netns add "$P-$1"
  ip link add "$P-$1" type veth peer name eth0 netns "$P-$1"
  ip link set "$P-$1" master "$P-br" up
  shape "$P-$1"
  ip -n "$P-$1" link set lo up
  ip -n "$P-$1" addr add "$2/24" dev eth0
  ip -n "$P-$1" link set eth0 up
  ip netns exec "$P-$1" tc qdisc replace dev eth0 root tbf rate "$RATE" burst 256kb latency 50ms
}

up() {
  local n=${1:-$WORKERS}
  ip link add "$P-br" type bridge
  ip link set "$P-br" up
  host_up c "$COORD"
  for i in $(seq 1 "$n"); do host_up "w$i" "10.77.0.$((i + 1))"; done
  echo "up: $P-c ($COORD) + $n workers, $RATE each way on every link" >&2
}

down() {
  for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do ip netns del "$ns"; done
  ip link del "$P-br" 2>/dev/null || true
  # A namespace's veth goes away asynchronously: wait, or `up` right after finds it still there.
  for _ in $(seq 1 50); do ip -br link show | grep -q "^$P-" || return 0; sleep 0.1; done
  echo "down: links $P-* still present" >&2
  return 1
}

# One run of CHECKOUT: the coordinator in $P-c, worker i in $P-wi; prints the summary line.
run() {
  local dir=$1 label=${2:-$(basename "$1")}
  mkdir -p "$OUT"
  local n=1
  while [[ -e "$OUT/$label-$n.json" ]]; do n=$((n + 1)); done
  local base="$OUT/$label-$n"
  local workers
  workers=$(ip netns list | awk '{print $1}' | grep -c "^$P-w" || true)
  [[ $workers -ge 1 ]] || { echo "no worker namespaces: run '$0 up' first" >&2; exit 1; }
  (cd "$dir" && exec ip netns exec "$P-c" "$BUN" src/cli/train.ts --listen "$COORD:$PORT" \
    --expect-workers "$workers" --token "$TOKEN" --epochs "$EPOCHS" --json \
    --out "$OUT/model-$label-$n") >"$base.json" 2>"$base.err" &
  local coord=$!
  # Workers join once the coordinator listens (it says so on stderr).
  for _ in $(seq 1 300); do grep -q "waiting for" "$base.err" 2>/dev/null && break; sleep 0.1; done
  local pids=()
  for i in $(seq 1 "$workers"); do
    (cd "$dir" && exec ip netns exec "$P-w$i" "$BUN" src/cli/worker.ts \
      --join "ws://$COORD:$PORT/join" --token "$TOKEN" --threads 1) >"$base.w$i.log" 2>&1 &
    pids+=($!)
  done
  local rc=0
  wait "$coord" || rc=$?
  # Workers leave when the run ends; after a failed coordinator they may still be waiting.
  if [[ $rc -ne 0 ]]; then kill "${pids[@]}" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  rm -rf "$OUT/model-$label-$n" "$OUT/model-$label-$n.checkpoint"
  if [[ $rc -ne 0 ]]; then
    echo "$label-$n: coordinator exit $rc (see $base.err)" >&2
    return "$rc"
  fi
  "$BUN" -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").pop());
    const n = r.network ?? { participants: [] };
    const mean = (f) => n.participants.reduce((a, p) => a + f(p), 0) / n.participants.length;
    console.log([process.argv[2], r.samplesPerSecond.toFixed(1), r.trainSeconds.toFixed(2),
      Math.round(n.bytesInPerStep + n.bytesOutPerStep), Math.round(n.bytesInPerStep),
      mean((p) => p.computeMs).toFixed(2), mean((p) => p.exchangeMs).toFixed(2), n.reduceMs?.toFixed(2),
      r.testAccuracy?.toFixed(4)].join("\t"));
  ' "$base.json" "$label-$n"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

ab() {
  local before=$1 after=$2 rounds=${3:-3}
  down
  up "$WORKERS"
  trap down EXIT
  echo -e "run\tsamples/s\ttrainSeconds\tbytes/step\tgradient bytes/step\tcompute ms\texchange ms\treduce ms\ttestAccuracy"
  local results=()
  for r in $(seq 1 "$rounds"); do
    results+=("$(run "$before" before)")
    echo "${results[-1]}"
    results+=("$(run "$after" after)")
    echo "${results[-1]}"
  done
  local mb ma
  mb=$(printf '%s\n' "${results[@]}" | grep '^before' | cut -f2 | median)
  ma=$(printf '%s\n' "${results[@]}" | grep '^after' | cut -f2 | median)
  echo "median samples/s: before $mb, after $ma, after/before $(awk "BEGIN {printf \"%.3f\", $ma / $mb}")"
}

case ${1:-} in
  up) up "${2:-$WORKERS}" ;;
  down) down ;;
  run) run "${2:?CHECKOUT}" "${3:-}" ;;
  ab) ab "${2:?BEFORE}" "${3:?AFTER}" "${4:-3}" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
