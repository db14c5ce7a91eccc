import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

let ready: Promise<void> | undefined;

/**
 * Switches tfjs to its WASM backend, once per realm (main thread or worker).
 *
 * The .wasm files are loaded from the installed `@tensorflow/tfjs-backend-wasm` package so
 * they always match its JS glue. Under Bun and Deno tfjs sees a Node-like platform and reads
 * them with `fs`, which wants a path; a browser fetches them, which wants a URL.
 */
export function useWasmBackend(): Promise<void> {
  ready ??= (async () => {
    const dist = new URL("./", import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
    setWasmPaths(tf.env().platformName === "node" ? decodeURIComponent(dist.pathname) : dist.href);
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the wasm backend failed to start");
    await tf.ready();
  })();
  return ready;
}

export { tf };
