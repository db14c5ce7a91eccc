/**
 * Interleaved A/B of the data-parallel reduce + RMSprop update (`optimizer.update` of one
 * worker's slice): the JS loop (src/core/rmsprop.ts) against the wasm SIMD kernel
 * (src/collective/rmsprop-simd.ts), in ns per parameter, on the shared plane of the default MLP
 * (407,050 parameters): the whole vector (1 worker) and half of it (a slice of 2 workers), with
 * 1 and 2 gradient rows. `bun bench/update.ts [REPS]` or `deno run -A bench/update.ts [REPS]`.
 * Each repetition times every variant once, alternating which goes first, so both see the
 * same machine load; medians are reported.
 */

import { flagsOrExit, intFlag } from "../src/cli/args.ts";
import { simdRmsprop } from "../src/collective/rmsprop-simd.ts";
import {
  allocateSharedPlane,
  SharedMemoryCollective,
  SharedPlane,
} from "../src/collective/shared-memory.ts";
import { type Optimizer, optimizerFor, rmsprop } from "../src/core/optimizer.ts";
import { positionalArgs } from "./positional.ts";
import { median, table } from "./stats.ts";

const USAGE = `Usage: bun bench/update.ts [REPS]   (or: deno run -A bench/update.ts [REPS])

  REPS         timed repetitions of every variant, interleaved (default 30)
  -h, --help   show this help`;
const args = positionalArgs(USAGE);
const reps = flagsOrExit("bench/update.ts", USAGE, () => intFlag("REPS", args[0] ?? "30", 1, 1000));
const PARAMS = 407_050;
const spec = rmsprop();
const buffers = allocateSharedPlane(2, PARAMS, ["meanSquare"]);
if (!(buffers.memory instanceof WebAssembly.Memory)) throw new Error(buffers.memoryFallback);
const plane = new SharedPlane(buffers);
const wave = (phase: number, scale: number) =>
  Float32Array.from({ length: PARAMS }, (_, i) => scale * Math.sin(i * 0.37 + phase));
plane.load(0, wave(0, 1), [wave(1, 0.01).map(Math.abs)]);
// The plane's own gradient rows (views of the wasm memory), as the workers write them.
const gradRows = [0, 1].map((w) => new SharedMemoryCollective(buffers, w, spec).gradient);
for (const [w, row] of gradRows.entries()) row.set(wave(2 + w, 0.3));

const variants: [string, Optimizer][] = [
  ["js", optimizerFor(spec)],
  ["wasm", simdRmsprop(buffers.memory, spec)],
];
const configs = [1, 2].flatMap((r) => [PARAMS, PARAMS / 2].map((n) => ({ rows: r, n })));

function nsPerElement(optimizer: Optimizer, rowCount: number, n: number): number {
  const t0 = performance.now();
  optimizer.update(
    gradRows.slice(0, rowCount),
    plane.params(0),
    plane.state(0),
    plane.params(1),
    plane.state(1),
    0,
    n,
  );
  return ((performance.now() - t0) * 1e6) / n;
}

const samples = new Map<string, number[]>();
for (let rep = 0; rep < reps; rep++) {
  for (const { rows: r, n } of configs) {
    const order = rep % 2 ? [...variants].reverse() : variants;
    for (const [name, optimizer] of order) {
      const key = `${r}|${n}|${name}`;
      samples.set(key, [...(samples.get(key) ?? []), nsPerElement(optimizer, r, n)]);
    }
  }
}

const runtime = "Deno" in globalThis ? "deno" : "bun";
const rowsOut = configs.map(({ rows: r, n }) => {
  const js = median(samples.get(`${r}|${n}|js`)!);
  const wasm = median(samples.get(`${r}|${n}|wasm`)!);
  return [
    String(r),
    n.toLocaleString("en-US"),
    js.toFixed(2),
    wasm.toFixed(2),
    `${(js / wasm).toFixed(2)}×`,
  ];
});
console.log(`update (${runtime}, ${reps} interleaved reps, median ns/element)`);
console.log(
  table(
    [["rows", "elements", "js", "wasm simd", "speed-up"], ...rowsOut],
    ["r", "r", "r", "r", "r"],
  ),
);
