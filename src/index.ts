/**
 * shardfit: train an MLP or a convnet data-parallel on tfjs-wasm workers (`train`), load real
 * MNIST (`loadIdxDataset`), and serve the result with one Hono app (`createApp`).
 */

export { defaultMnistDir, loadIdxDataset } from "./adapter/fs/mnist.ts";
export { loadModelDir } from "./adapter/fs/model-files.ts";
export type { Collective } from "./collective/collective.ts";
export * from "./core/index.ts";
export { type AppOptions, createApp } from "./server/app.ts";
export { ConfigError, DEFAULTS } from "./train/config.ts";
export { TrainingStopped } from "./train/recovery.ts";
export { train } from "./train/train.ts";
export type {
  EpochMetrics,
  StepProfile,
  TrainEvent,
  TrainOptions,
  TrainResult,
} from "./train/types.ts";
export type {
  EvalResult,
  GradientResult,
  ShardSource,
  TrainerWorker,
} from "./worker/trainer.ts";
