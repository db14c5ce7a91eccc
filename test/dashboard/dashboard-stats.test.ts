/**
 * The dashboard's pure helpers against independent references: the EMA against its closed
 * form (a normalised weighted sum), the confusion summaries against brute-force counting and a
 * full sort.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  confidentMistakes,
  confusionMatrix,
  matrixTotals,
  mostConfidentMistakes,
  perClassAccuracy,
} from "../../src/core/metric/confusion.ts";
import { Ema, ema, etaSeconds, formatDuration } from "../../src/dashboard/curves.ts";

/** s_n = Σ_i w^(n-i)(1-w) v_i / (1 - w^n): the debiased EMA written out, O(n²). */
function emaClosedForm(values: number[], w: number): number[] {
  return values.map((_, n) => {
    let sum = 0;
    for (let i = 0; i <= n; i++) sum += w ** (n - i) * (1 - w) * values[i];
    return sum / (1 - w ** (n + 1));
  });
}

describe("ema", () => {
  test("equals the closed-form debiased weighted average", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        (values, w) => {
          const got = ema(values, w);
          const want = emaClosedForm(values, w);
          for (const [i, g] of got.entries()) expect(g as number).toBeCloseTo(want[i], 9);
        },
      ),
    );
  });

  test("a constant series stays constant from the first point (debiased)", () => {
    expect(ema([0.5, 0.5, 0.5], 0.9)).toEqual([0.5, 0.5, 0.5].map((v) => expect.closeTo(v, 12)));
  });

  test("weight 0 returns the values; NaN passes as null and does not poison later points", () => {
    expect(ema([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const smoothed = ema([1, Number.NaN, 1], 0.5);
    expect(smoothed[1]).toBeNull();
    expect(smoothed[2]).toBeCloseTo(1, 12);
  });

  test("a weight outside [0, 1) is refused by name", () => {
    expect(() => new Ema(1)).toThrow("Ema: weight must be in [0, 1), got 1");
    expect(() => new Ema(-0.1)).toThrow("got -0.1");
  });
});

describe("etaSeconds", () => {
  test("remaining work at the average rate since the first point", () => {
    // 100 steps in 20 s → 5 steps/s; 300 left → 60 s.
    expect(etaSeconds({ time: 10, done: 50 }, { time: 30, done: 150 }, 450)).toBe(60);
  });

  test("null before there is a rate; never negative", () => {
    expect(etaSeconds({ time: 0, done: 0 }, { time: 0, done: 0 }, 10)).toBeNull();
    expect(etaSeconds({ time: 0, done: 5 }, { time: 3, done: 5 }, 10)).toBeNull();
    expect(etaSeconds({ time: 0, done: 0 }, { time: 1, done: 12 }, 10)).toBe(0);
  });
});

test("formatDuration", () => {
  expect(formatDuration(42.4)).toBe("42 s");
  expect(formatDuration(187)).toBe("3 min 07 s");
  expect(formatDuration(3720)).toBe("1 h 02 min");
  expect(formatDuration(-3)).toBe("0 s");
});

const labelled = (classes: number) =>
  fc
    .integer({ min: 0, max: 200 })
    .chain((n) =>
      fc.tuple(
        fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: n, maxLength: n }),
        fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: n, maxLength: n }),
      ),
    );

describe("confusionMatrix / perClassAccuracy", () => {
  test("each cell counts its (true, predicted) pairs; totals and per-class accuracy agree", () => {
    fc.assert(
      fc.property(labelled(10), ([labels, predicted]) => {
        const m = confusionMatrix(labels, predicted, 10);
        for (let t = 0; t < 10; t++) {
          for (let p = 0; p < 10; p++) {
            const pairs = labels.filter((l, i) => l === t && predicted[i] === p).length;
            expect(m[t][p]).toBe(pairs);
          }
        }
        const correct = labels.filter((l, i) => l === predicted[i]).length;
        expect(matrixTotals(m)).toEqual({ count: labels.length, correct });
        for (const c of perClassAccuracy(m)) {
          const ofClass = labels.filter((l) => l === c.label).length;
          const right = labels.filter((l, i) => l === c.label && predicted[i] === l).length;
          expect(c.count).toBe(ofClass);
          expect(c.correct).toBe(right);
          expect(c.accuracy).toBe(ofClass ? right / ofClass : null);
        }
      }),
    );
  });

  test("bad input names what is wrong", () => {
    expect(() => confusionMatrix([1, 2], [1], 10)).toThrow("2 labels but 1 predictions");
    expect(() => confusionMatrix([1, 10], [1, 1], 10)).toThrow(
      "labels[1]: expected an integer in 0..9, got 10",
    );
    expect(() => confusionMatrix([1], [0.5], 10)).toThrow("predicted[0]");
    expect(() => perClassAccuracy([[1, 2], [3]])).toThrow("row 1: expected 2 cells, got 1");
  });
});

describe("mostConfidentMistakes", () => {
  /** Every wrong prediction, fully sorted: the reference for the bounded selection. */
  function allMistakesSorted(labels: number[], probs: number[], classes: number) {
    const out = [];
    for (let i = 0; i < labels.length; i++) {
      const row = probs.slice(i * classes, (i + 1) * classes);
      const predicted = row.indexOf(Math.max(...row));
      if (predicted !== labels[i]) {
        out.push({ index: i, label: labels[i], predicted, confidence: row[predicted] });
      }
    }
    return out.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  }

  test("equals the top k of a full sort of all mistakes", () => {
    const classes = 4;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }).chain((n) =>
          fc.tuple(
            fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: n, maxLength: n }),
            // Few distinct values so ties in confidence and in argmax happen often.
            fc.array(fc.integer({ min: 0, max: 5 }), {
              minLength: n * classes,
              maxLength: n * classes,
            }),
          ),
        ),
        fc.integer({ min: 1, max: 12 }),
        ([labels, probs], k) => {
          const got = mostConfidentMistakes(labels, probs, classes, k);
          expect(got).toEqual(allMistakesSorted(labels, probs, classes).slice(0, k));
        },
      ),
    );
  });

  test("from predictions and confidences: the same as from the probability rows", () => {
    const probs = [0.1, 0.9, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4];
    const labels = [0, 0, 0, 1];
    expect(confidentMistakes(labels, [1, 0, 1, 0], [0.9, 0.8, 0.7, 0.6], 2, 2)).toEqual(
      mostConfidentMistakes(labels, probs, 2, 2),
    );
    expect(() => confidentMistakes([0, 1], [0], [0.5], 2, 1)).toThrow(
      "confidentMistakes: 2 labels but 1 predictions and 1 confidences",
    );
  });

  test("a probability array of the wrong size is refused", () => {
    expect(() => mostConfidentMistakes([1, 2], [0.1, 0.9], 10, 3)).toThrow(
      "expected 2 × 10 probabilities, got 2",
    );
  });
});
