import { describe, expect, test } from "bun:test";
import { optimizerFor } from "../../src/core/optim/optimizer.ts";
import {
  checkSchedule,
  learningRateAt,
  parseSchedule,
  ScheduleError,
} from "../../src/core/optim/schedule.ts";
import { KERAS_OPTIMIZERS } from "../../src/core/optim/spec.ts";

describe("Keras's learning-rate schedules", () => {
  test("exponential: initial · rate^(step/decay_steps), floored with staircase", () => {
    const smooth = parseSchedule("exponential:decay_steps=1000,decay_rate=0.9");
    const stairs = parseSchedule("exponential:decay_steps=1000,decay_rate=0.9,staircase");
    expect(learningRateAt(smooth, 0.1, 0)).toBe(0.1);
    expect(learningRateAt(smooth, 0.1, 500)).toBeCloseTo(0.1 * Math.sqrt(0.9), 15);
    expect(learningRateAt(smooth, 0.1, 2000)).toBeCloseTo(0.081, 15);
    expect(learningRateAt(stairs, 0.1, 999)).toBe(0.1);
    expect(learningRateAt(stairs, 0.1, 1999)).toBeCloseTo(0.09, 15);
  });

  test("cosine without warm-up: half a cosine from initial to alpha·initial, then flat", () => {
    const cosine = parseSchedule("cosine:decay_steps=100,alpha=0.2");
    expect(learningRateAt(cosine, 1, 0)).toBe(1);
    // Halfway the cosine term is 1/2: 0.8 · 0.5 + 0.2.
    expect(learningRateAt(cosine, 1, 50)).toBeCloseTo(0.6, 15);
    expect(learningRateAt(cosine, 1, 100)).toBeCloseTo(0.2, 15);
    expect(learningRateAt(cosine, 1, 1000)).toBeCloseTo(0.2, 15);
  });

  test("cosine with warm-up: linear to warmup_target, then the cosine from there", () => {
    const cosine = parseSchedule("cosine:decay_steps=100,warmup_target=0.1,warmup_steps=10");
    expect(learningRateAt(cosine, 0, 0)).toBe(0);
    expect(learningRateAt(cosine, 0, 5)).toBeCloseTo(0.05, 15);
    expect(learningRateAt(cosine, 0, 10)).toBeCloseTo(0.1, 15);
    expect(learningRateAt(cosine, 0, 60)).toBeCloseTo(0.05, 15);
    expect(learningRateAt(cosine, 0, 110)).toBeCloseTo(0, 15);
    expect(learningRateAt(cosine, 0, 500)).toBeCloseTo(0, 15);
  });

  test("piecewise constant: Keras's documented example", () => {
    // PiecewiseConstantDecay([100000, 110000], [1.0, 0.5, 0.1]): 1.0 for the first 100001
    // steps, 0.5 for the next 10000, 0.1 after.
    const piecewise = parseSchedule("piecewise:boundaries=100000/110000,values=1/0.5/0.1");
    expect([0, 100000, 100001, 110000, 110001].map((s) => learningRateAt(piecewise, 9, s))).toEqual(
      [1, 1, 0.5, 0.5, 0.1],
    );
    const one = parseSchedule("piecewise:boundaries=3,values=0.2/0.1");
    expect(one).toEqual({ type: "piecewise", boundaries: [3], values: [0.2, 0.1] });
  });

  test("objects take camelCase or Keras's names and come out in one order", () => {
    const a = checkSchedule({ decay_rate: 0.5, type: "exponential", decaySteps: 10 });
    expect(JSON.stringify(a)).toBe(
      JSON.stringify(parseSchedule("exponential:decay_steps=10,decay_rate=0.5")),
    );
    expect(a).toEqual({ type: "exponential", decaySteps: 10, decayRate: 0.5, staircase: false });
  });

  test.each([
    [
      "linear:decay_steps=10",
      'lrSchedule: expected a type of "exponential", "cosine", "piecewise"',
    ],
    ["exponential:decay_steps=10", "exponential: decay_rate is required"],
    ["exponential:decay_steps=0,decay_rate=0.5", "exponential.decay_steps: expected a positive"],
    ["exponential:decay_steps=10,decay_rate=x", "exponential.decay_rate: expected a positive"],
    ["exponential:decay_steps=10,decay_rate=0.5,warmup=1", 'exponential: unknown setting "warmup"'],
    ["cosine:decay_steps=10,alpha=2", "cosine.alpha: expected a number in [0, 1], got 2"],
    ["cosine:decay_steps=10,warmup_steps=1.5", "cosine.warmup_steps: expected an integer ≥ 0"],
    ["piecewise:boundaries=5/3,values=1/2/3", "piecewise.boundaries: expected increasing"],
    ["piecewise:boundaries=5,values=1", "piecewise: expected one value more than boundaries"],
  ])("%s is refused: %s", (text, message) => {
    expect(() => parseSchedule(text)).toThrow(ScheduleError);
    expect(() => parseSchedule(text)).toThrow(message);
  });
});

describe("a scheduled optimizer", () => {
  test("update t uses the schedule after t − 1 updates, for every optimizer", () => {
    const schedule = parseSchedule("exponential:decay_steps=2,decay_rate=0.25");
    for (const base of Object.values(KERAS_OPTIMIZERS)) {
      const scheduled = optimizerFor({ ...base, schedule });
      for (const step of [1, 2, 5]) {
        const learningRate = base.learningRate * 0.25 ** ((step - 1) / 2);
        const fixed = optimizerFor({ ...base, learningRate });
        expect(scheduled.constants(step)).toEqual(fixed.constants(step));
        const n = 5;
        const grads = [Float32Array.from({ length: n }, (_, i) => 0.1 * (i - 2))];
        const params = Float32Array.from({ length: n }, (_, i) => 0.5 - 0.2 * i);
        const run = (o: typeof fixed) => {
          const state = o.initialState(n);
          const next = new Float32Array(n);
          const nextState = o.initialState(n);
          o.update(grads, params, state, next, nextState, 0, n, step);
          return next;
        };
        expect(run(scheduled)).toEqual(run(fixed));
      }
    }
  });
});
