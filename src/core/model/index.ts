/** General Sequential models (conv, pooling, dense, dropout, reshape): spec, layout, files. */

export * from "./describe.ts";
export * from "./dropout.ts";
export * from "./forward.ts";
export * from "./init.ts";
export * from "./initializers.ts";
export * from "./layers-json.ts";
export * from "./presets.ts";
export * from "./sequential.ts";
export * from "./topology.ts";
