/**
 * The data-parallel reduce + update (`optimizer.update` of one worker's slice) of every
 * optimizer, timed: the TS loop (src/core/optim/) against its wasm SIMD kernel
 * (src/collective/optimizer-simd.ts), in ns per parameter, on the shared plane of the default
 * MLP (407,050 parameters): the whole vector (1 worker) and half of it (a slice of 2 workers),
 * with 1 and 2 gradient rows. Each repetition times every variant once, alternating the order,
 * so all see the same machine load; medians are reported. bench/update.ts prints it alone;
 * `bun run bench` reports it beside the throughput runs.
 */
import { simdOptimizer } from "../src/collective/optimizer-simd.ts";
import {
  allocateSharedPlane,
  SharedMemoryCollective,
  SharedPlane,
} from "../src/collective/shared-memory.ts";
import { type Optimizer, type OptimizerSpec, optimizerFor } from "../src/core/optim/optimizer.ts";
import { KERAS_OPTIMIZERS } from "../src/core/optim/spec.ts";
import { median } from "./stats.ts";

export interface UpdateCost {
  readonly optimizer: string;
  /** Gradient rows summed (workers). */
  readonly rows: number;
  /** Parameters in the slice updated. */
  readonly elements: number;
  /** Median ns per parameter of the TS loop and of the SIMD kernel. */
  readonly jsNs: number;
  readonly simdNs: number;
}

export const UPDATE_PARAMS = 407_050;

export function measureUpdateCosts(reps: number): UpdateCost[] {
  const PARAMS = UPDATE_PARAMS;
  const SPECS: [string, OptimizerSpec][] = [
    ["rmsprop", KERAS_OPTIMIZERS.rmsprop],
    ["adam", KERAS_OPTIMIZERS.adam],
    ["adamw", KERAS_OPTIMIZERS.adamw],
    ["sgd", KERAS_OPTIMIZERS.sgd],
    ["sgd momentum", { ...KERAS_OPTIMIZERS.sgd, momentum: 0.9 }],
    ["adagrad", KERAS_OPTIMIZERS.adagrad],
  ];
  // Room for the most state any optimizer keeps (Adam's two moments).
  const buffers = allocateSharedPlane(2, PARAMS, ["a", "b"]);
  if (!(buffers.memory instanceof WebAssembly.Memory)) throw new Error(buffers.memoryFallback);
  const { memory } = buffers;
  const plane = new SharedPlane(buffers);
  const wave = (phase: number, scale: number) =>
    Float32Array.from({ length: PARAMS }, (_, i) => scale * Math.sin(i * 0.37 + phase));
  plane.load(0, wave(0, 1), [wave(1, 0.01).map(Math.abs), wave(4, 0.01).map(Math.abs)]);
  // The plane's own gradient rows (views of the wasm memory), as the workers write them.
  const gradRows = [0, 1].map(
    (w) => new SharedMemoryCollective(buffers, w, KERAS_OPTIMIZERS.rmsprop).gradient,
  );
  for (const [w, row] of gradRows.entries()) row.set(wave(2 + w, 0.3));

  const variants = SPECS.flatMap(([name, spec]): [string, string, Optimizer][] => [
    [name, "js", optimizerFor(spec)],
    [name, "wasm", simdOptimizer(memory, spec)],
  ]);
  const configs = [1, 2].flatMap((r) => [PARAMS, PARAMS / 2].map((n) => ({ rows: r, n })));

  const nsPerElement = (optimizer: Optimizer, rowCount: number, n: number): number => {
    const k = optimizer.stateNames.length;
    const t0 = performance.now();
    optimizer.update(
      gradRows.slice(0, rowCount),
      plane.params(0),
      plane.state(0).slice(0, k),
      plane.params(1),
      plane.state(1).slice(0, k),
      0,
      n,
      10,
    );
    return ((performance.now() - t0) * 1e6) / n;
  };

  const samples = new Map<string, number[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const { rows: r, n } of configs) {
      const order = rep % 2 ? [...variants].reverse() : variants;
      for (const [name, kind, optimizer] of order) {
        const key = `${name}|${r}|${n}|${kind}`;
        samples.set(key, [...(samples.get(key) ?? []), nsPerElement(optimizer, r, n)]);
      }
    }
  }
  return SPECS.flatMap(([optimizer]) =>
    configs.map(({ rows, n }) => ({
      optimizer,
      rows,
      elements: n,
      jsNs: median(samples.get(`${optimizer}|${rows}|${n}|js`)!),
      simdNs: median(samples.get(`${optimizer}|${rows}|${n}|wasm`)!),
    })),
  );
}
