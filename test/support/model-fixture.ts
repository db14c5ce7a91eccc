import { createHash } from "node:crypto";
import { access, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MODEL_FILE, WEIGHTS_FILE } from "../../src/core/model/layers-json.ts";
import { train } from "../../src/train/train.ts";
import type { TrainOptions } from "../../src/train/types.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Everything that decides the trained weights: the training code and its options. */
const PRODUCERS = ["src/core", "src/tf", "src/collective", "src/worker", "src/train", "workers"];
const OPTIONS = { workers: 2, epochs: 1, trainLimit: 12000 } satisfies TrainOptions;

let cached: Promise<string> | undefined;

/**
 * A small trained 784→512→10 model (1 epoch on 12 000 samples, ~92 % test accuracy), trained
 * once and then reused across test files and runs: real weights make prediction tests
 * meaningful, and training takes seconds rather than minutes. Its directory
 * (test/artifacts/model-<hash>, gitignored) is named by a hash of the training sources and
 * options, so a change to the trainer trains a fresh one instead of reusing a stale model.
 */
export function trainedModelDir(): Promise<string> {
  cached ??= (async () => {
    const dir = join(ROOT, "test/artifacts", `model-${await producerHash()}`);
    try {
      await Promise.all([access(join(dir, MODEL_FILE)), access(join(dir, WEIGHTS_FILE))]);
    } catch {
      // train() writes both files atomically, so a half-written pair is never seen.
      await train({ ...OPTIONS, out: dir, checkpointDir: false });
    }
    return dir;
  })();
  return cached;
}

/** SHA-256 (first 16 hex digits) over the producers' .ts files (path + content) and OPTIONS. */
export async function producerHash(root = ROOT): Promise<string> {
  const hash = createHash("sha256").update(JSON.stringify(OPTIONS));
  for (const folder of PRODUCERS) {
    const files = (await readdir(join(root, folder), { recursive: true, encoding: "utf8" }))
      .filter((f) => f.endsWith(".ts"))
      .sort();
    for (const file of files) {
      hash.update(`${folder}/${file}\0`).update(await readFile(join(root, folder, file)));
    }
  }
  return hash.digest("hex").slice(0, 16);
}
