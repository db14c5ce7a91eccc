import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

let wasmPathsSet = false;

/**
 * Switches tfjs to its WASM backend (in the main thread or a worker).
 *
 * The .wasm files are loaded from the installed `@tensorflow/tfjs-backend-wasm` package so
 * they always match its JS glue. Under Bun and Deno tfjs sees a Node-like platform and reads
 * them with `fs`, which wants a path; a browser fetches them, which wants a URL.
 */
export async function useWasmBackend(): Promise<void> {
  if (!wasmPathsSet) {
    setWasmPaths(bundledWasmPath() ?? installedWasmPath());
    wasmPathsSet = true;
  }
  // Checked on every call: another caller in the same realm may have switched backends.
  if (tf.getBackend() !== "wasm" && !(await tf.setBackend("wasm"))) {
    throw new Error("tfjs: the wasm backend failed to start");
  }
  await tf.ready();
}

function installedWasmPath(): string {
  const dist = new URL("./", import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
  return tf.env().platformName === "node" ? decodeURIComponent(dist.pathname) : dist.href;
}

/**
 * A browser bundle has no package to resolve: it sets `SHARDFIT_WASM_PATH` (the URL prefix its
 * server serves the .wasm files under) before the first model is loaded.
 */
function bundledWasmPath(): string | undefined {
  return (globalThis as { SHARDFIT_WASM_PATH?: string }).SHARDFIT_WASM_PATH;
}

export { tf };
