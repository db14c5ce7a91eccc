/** For tests only: `train()` with hooks that fix the batches or inject worker faults. */
export type { TestHooks } from "./hooks.ts";
export { trainWithHooks } from "./train.ts";
