/**
 * `bun bench/update.ts [REPS]` or `deno run -A bench/update.ts [REPS]`: every optimizer's
 * reduce + update, TS loop against its SIMD kernel (bench/update-cost.ts), as a table.
 */
import { flagsOrExit, intFlag } from "../src/cli/args.ts";
import { positionalArgs } from "./positional.ts";
import { table } from "./stats.ts";
import { measureUpdateCosts } from "./update-cost.ts";

const USAGE = `Usage: bun bench/update.ts [REPS]   (or: deno run -A bench/update.ts [REPS])

  REPS         timed repetitions of every variant, interleaved (default 30)
  -h, --help   show this help`;
const args = positionalArgs(USAGE);
const reps = flagsOrExit("bench/update.ts", USAGE, () => intFlag("REPS", args[0] ?? "30", 1, 1000));
const runtime = "Deno" in globalThis ? "deno" : "bun";
const rows = measureUpdateCosts(reps).map((c) => [
  c.optimizer,
  String(c.rows),
  c.elements.toLocaleString("en-US"),
  c.jsNs.toFixed(2),
  c.simdNs.toFixed(2),
  `${(c.jsNs / c.simdNs).toFixed(2)}×`,
]);
console.log(`update (${runtime}, ${reps} interleaved reps, median ns/element)`);
console.log(
  table(
    [["optimizer", "rows", "elements", "js", "wasm simd", "speed-up"], ...rows],
    ["l", "r", "r", "r", "r", "r"],
  ),
);
