/**
 * The data-parallel gradient of `[start, end)`: the rows summed in order, in float32 (as a
 * Float32Array accumulator adds them), returned with the offset at which element `start` sits.
 * One row is used in place; more are summed into a slice, row 0 copied rather than added to
 * zero (0 + −0 is +0, and the one-row path keeps −0).
 */
export function summedGradient(
  grads: readonly Float32Array[],
  start: number,
  end: number,
): [grad: Float32Array, offset: number] {
  if (grads.length === 1) return [grads[0], 0];
  const sum = grads[0].slice(start, end);
  for (let r = 1; r < grads.length; r++) addSlice(sum, grads[r], start);
  return [sum, start];
}

function addSlice(sum: Float32Array, grad: Float32Array, start: number): void {
  for (let i = 0; i < sum.length; i++) sum[i] += grad[start + i];
}
