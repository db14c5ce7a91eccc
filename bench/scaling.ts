/**
 * A model of a networked step on M machines with the star topology of src/train/remote/
 * (every participant sends its gradient to the coordinator, which sums, updates and sends the
 * weights back), from measured inputs:
 *
 *   step(M) = compute / M + RTT + M·(gradient + weights) / bandwidth + reduce(M)
 *   reduce(M) = reduceFixed + reducePerMachine · M     (sum of M vectors + one RMSprop update)
 *
 * The global batch stays 128, so each machine computes 1/M of it. The coordinator's link
 * carries M gradients in, then M weight vectors out: the two phases cannot overlap because
 * the weights need every gradient. Machines are assumed equal to the measured one, and a
 * gradient frame the size measured (row-masked frames shrink as a machine's share of the batch
 * does: the model's figure for M > 2 is an upper bound).
 */
export interface ModelInputs {
  /** One machine's compute per step for the whole global batch (ms). */
  computeMs: number;
  reduceFixedMs: number;
  reducePerMachineMs: number;
  /** Bytes of one machine's gradient frame (row-masked: smaller than a weights frame). */
  gradientBytes: number;
  /** Bytes of one weights frame. */
  weightsBytes: number;
  /** Round-trip time of the link (ms). */
  rttMs: number;
  batch: number;
}

export interface ModelRow {
  machines: number;
  computeMs: number;
  networkMs: number;
  reduceMs: number;
  stepMs: number;
  samplesPerSecond: number;
}

export function stepModel(inputs: ModelInputs, machines: number, bitsPerSecond: number): ModelRow {
  const bytesPerMs = bitsPerSecond / 8 / 1000;
  const computeMs = inputs.computeMs / machines;
  const frames = inputs.gradientBytes + inputs.weightsBytes;
  const networkMs = inputs.rttMs + (machines * frames) / bytesPerMs;
  const reduceMs = inputs.reduceFixedMs + inputs.reducePerMachineMs * machines;
  const stepMs = computeMs + networkMs + reduceMs;
  return {
    machines,
    computeMs,
    networkMs,
    reduceMs,
    stepMs,
    samplesPerSecond: (1000 * inputs.batch) / stepMs,
  };
}

/** The machine count with the shortest step: adding one more stops paying after it. */
export function bestMachineCount(inputs: ModelInputs, bitsPerSecond: number, upTo = 64): number {
  let best = 1;
  for (let m = 2; m <= upTo; m++) {
    if (
      stepModel(inputs, m, bitsPerSecond).stepMs < stepModel(inputs, best, bitsPerSecond).stepMs
    ) {
      best = m;
    }
  }
  return best;
}
