import { access } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MODEL_FILE, WEIGHTS_FILE } from "../../src/core/layers-format.ts";
import { train } from "../../src/train/train.ts";

/** Where the shared test model lives (test/artifacts/ is gitignored). */
export const FIXTURE_MODEL_DIR = fileURLToPath(
  new URL("../artifacts/model-fixture", import.meta.url),
);

let cached: Promise<string> | undefined;

/**
 * A small trained 784→512→10 model (1 epoch on 12 000 samples, ~92 % test accuracy), trained
 * once and then reused across test files and runs: real weights make prediction tests
 * meaningful, and training takes seconds rather than minutes.
 */
export function trainedModelDir(): Promise<string> {
  cached ??= (async () => {
    const dir = FIXTURE_MODEL_DIR;
    try {
      await Promise.all([access(join(dir, MODEL_FILE)), access(join(dir, WEIGHTS_FILE))]);
      return dir;
    } catch {
      // Not trained yet: train() writes both files atomically, so a half-written pair is never seen.
      await train({ workers: 2, epochs: 1, trainLimit: 12000, out: dir });
      return dir;
    }
  })();
  return cached;
}
