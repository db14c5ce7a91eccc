import { fileURLToPath } from "node:url";
import { moduleUrl } from "../module-url.ts";

/** {@link moduleUrl} as a file path (for bundlers and readFile). */
export function modulePath(path: string, base: string): string {
  // From the URL's text: Deno's URL type and Bun's types for node:url's differ.
  return fileURLToPath(moduleUrl(path, base).href);
}
