import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { WASM_KERNELS, wasmModuleText } from "../../src/cli/build-wasm.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("committed wasm kernels", () => {
  test.each(WASM_KERNELS)("$module is what npm run build:wasm makes of $wat", async (k) => {
    expect(readFileSync(ROOT + k.module, "utf8")).toBe(await wasmModuleText(k.wat, k.features));
  });
});
