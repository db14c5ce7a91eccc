/** shardfit's one model type, a Keras-style Sequential: spec, layout, init, forward, files. */

export * from "./describe.ts";
export * from "./dropout.ts";
export * from "./forward.ts";
export * from "./init.ts";
export * from "./initializers.ts";
export * from "./layers-json.ts";
export * from "./presets.ts";
export * from "./sequential.ts";
export * from "./topology.ts";
