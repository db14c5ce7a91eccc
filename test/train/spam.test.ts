import { expect, test } from "bun:test";
import { train } from "../../src/train/train.ts";
import type { TrainEvent } from "../../src/train/types.ts";
import { loadSpamMessages, spamArrays } from "../support/spam.ts";

/**
 * The book's IMDB recipe on SpamAssassin (spam vs ham): 10,000-word multi-hot inputs,
 * Dense(16, relu) → Dense(16, relu) → Dense(1, sigmoid), binary cross-entropy, RMSprop — here
 * on 1,000 messages so CI stays small (the inputs alone are 40 MB of float32).
 */
test("spam vs ham, the IMDB recipe: a binary classifier that learns (test accuracy ≥ 0.9)", async () => {
  const data = spamArrays(await loadSpamMessages(), { seed: 7, vocabulary: 10_000, count: 1000 });
  expect(data.train.x.shape).toEqual([800, 10_000]);
  const events: TrainEvent[] = [];
  const result = await train({
    data,
    hidden: [16, 16],
    epochs: 4,
    batchSize: 64,
    workers: 2,
    out: false,
    onProgress: (e) => events.push(e),
  });
  expect(events.find((e) => e.type === "training")).toMatchObject({
    loss: "binary_crossentropy",
  });
  expect(result.spec.layers.at(-1)).toMatchObject({ units: 1, activation: "sigmoid" });
  const last = result.history.at(-1)!;
  console.log(`spam vs ham (1,000 messages): test accuracy ${last.testAccuracy}`);
  expect(last.test).toEqual({ loss: last.testLoss, accuracy: last.testAccuracy });
  expect(last.testAccuracy).toBeGreaterThanOrEqual(0.9);
  // It learned: the loss fell from where it started (log 2 for an untrained sigmoid).
  expect(result.kerasHistory.loss[3]).toBeLessThan(result.kerasHistory.loss[0]);
}, 300_000);
