/**
 * `shardfit/core`: the runtime-free part — data, images, the model, its files, optimizers,
 * losses and metrics. It imports nothing runtime-specific and no tfjs, so it runs in Bun, Deno,
 * workerd, Node and browsers.
 */
export * from "./data/arrays.ts";
export * from "./data/dataset.ts";
export * from "./data/idx.ts";
export * from "./data/plan.ts";
export * from "./data/rng.ts";
export * from "./data/shard.ts";
export * from "./format/base64url.ts";
export * from "./format/checkpoint.ts";
export * from "./format/layers-json.ts";
export * from "./format/topology.ts";
export * from "./image/png.ts";
export * from "./image/preprocess.ts";
export * from "./metric/confusion.ts";
export * from "./model/index.ts";
export * from "./optim/adagrad.ts";
export * from "./optim/adam.ts";
export * from "./optim/optimizer.ts";
export * from "./optim/rmsprop.ts";
export * from "./optim/sgd.ts";
export * from "./optim/spec.ts";
export * from "./run/epoch-metrics.ts";
export * from "./run/events.ts";
