/**
 * Where the rows are summed: kept between updates, as long as the largest slice summed, since
 * allocating it per update cost the TS loops a third of their time (bench/update.ts, 2 rows).
 */
let scratch = new Float32Array(0);

/**
 * The data-parallel gradient of `[start, end)`: the rows summed in order, in float32 (as a
 * Float32Array accumulator adds them), returned with the offset at which element `start` sits.
 * One row is used in place; more are summed into a scratch vector (valid until the next call),
 * row 0 copied rather than added to zero (0 + −0 is +0, and the one-row path keeps −0).
 */
export function summedGradient(
  grads: readonly Float32Array[],
  start: number,
  end: number,
): [grad: Float32Array, offset: number] {
  if (grads.length === 1) return [grads[0], 0];
  const n = end - start;
  if (scratch.length < n) scratch = new Float32Array(n);
  scratch.set(grads[0].subarray(start, end));
  for (let r = 1; r < grads.length; r++) addSlice(scratch, grads[r], start, n);
  return [scratch, start];
}

function addSlice(sum: Float32Array, grad: Float32Array, start: number, n: number): void {
  for (let i = 0; i < n; i++) sum[i] += grad[start + i];
}
