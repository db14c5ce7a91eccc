/**
 * shardfit: train a Dense stack data-parallel on tfjs-wasm workers (`train`), load real
 * MNIST (`loadIdxDataset`), and serve the result with one Hono app (`createApp`).
 */

export type {
  EvalResult,
  GradientResult,
  ShardSource,
  TrainerWorker,
} from "../workers/trainer-core.ts";
export { defaultMnistDir, loadIdxDataset } from "./adapter/mnist.ts";
export { loadModelDir } from "./adapter/model-files.ts";
export * from "./core/index.ts";
export { type AppOptions, createApp } from "./server/app.ts";
export { CheckpointError } from "./train/checkpoint.ts";
export {
  DEFAULTS,
  type EpochMetrics,
  type StepProfile,
  type TrainEvent,
  type TrainOptions,
  type TrainResult,
  train,
} from "./train/train.ts";
