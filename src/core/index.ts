/**
 * `shardfit/core`: the runtime-free part (data, model math, optimizer, formats). It imports
 * nothing runtime-specific and no tfjs, so it runs in Bun, Deno, workerd and browsers.
 */
export * from "./base64url.ts";
export * from "./checkpoint-format.ts";
export * from "./confusion.ts";
export * from "./dataset.ts";
export * from "./events.ts";
export * from "./idx.ts";
export * from "./metrics.ts";
export * from "./model/index.ts";
export * from "./optim/adagrad.ts";
export * from "./optim/adam.ts";
export * from "./optim/optimizer.ts";
export * from "./optim/rmsprop.ts";
export * from "./optim/sgd.ts";
export * from "./optim/spec.ts";
export * from "./plan.ts";
export * from "./png.ts";
export * from "./preprocess.ts";
export * from "./rng.ts";
export * from "./shard.ts";
