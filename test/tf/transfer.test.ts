// The full tfjs registers the cpu backend the references run on (src/tf needs only tfjs-core).
import "@tensorflow/tfjs";
import { expect, test } from "bun:test";
import { tf, useWasmBackend } from "../../src/tf/backend.ts";
import { copyInto } from "../../src/tf/transfer.ts";

test.each(["wasm", "cpu"])(
  "copyInto equals dataSync on the %s backend, at any offset",
  async (backend) => {
    if (backend === "wasm") await useWasmBackend();
    else await tf.setBackend("cpu");
    const before = tf.memory().numTensors;
    const out = new Float32Array(1000).fill(-1);
    const tensors = tf.tidy(() => [
      tf.randomNormal([20, 30]),
      tf.range(0, 17).toFloat(),
      tf.scalar(3.5),
    ]);
    // Allocate and free in between so the tensors do not sit at the start of the heap.
    tf.dispose(tf.randomUniform([5000]));
    let offset = 5;
    for (const t of tensors) {
      copyInto(t, out, offset);
      expect(Array.from(out.subarray(offset, offset + t.size))).toEqual(Array.from(t.dataSync()));
      offset += t.size;
    }
    expect(out[4]).toBe(-1);
    expect(out[offset]).toBe(-1);
    tf.dispose(tensors);
    expect(tf.memory().numTensors).toBe(before);
  },
);
