// Run by `deno test -A test/deno/` (npm test runs it): the shared plane's wasm memory crosses
// into Deno workers, whose SIMD update equals the JS loop bit for bit.
import assert from "node:assert/strict";
import { stepOnWorkers } from "../support/plane-workers.ts";

// The type checker runs with bun-types; Deno's own test API is all this file needs.
declare const Deno: { test(name: string, fn: () => Promise<void>): void };

Deno.test("3 Deno workers update a shared WebAssembly.Memory plane with the SIMD kernel", async () => {
  assert.deepEqual(await stepOnWorkers(3, 1001), {
    memory: "Memory",
    kernels: ["wasm-simd", "wasm-simd", "wasm-simd"],
    stepsDone: 1,
    identical: true,
  });
});
