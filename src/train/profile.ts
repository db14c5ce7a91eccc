import { type Plane, STAT, TIMING } from "./plane.ts";
import type { StepProfile } from "./train.ts";

/** A per-worker statistic summed over the workers (racy mid-epoch: for progress display). */
export function sumStat(plane: Plane, field: number): number {
  let total = 0;
  for (let w = 0; w < plane.buffers.workers; w++) total += plane.stats[w * STAT.width + field];
  return total;
}

/** Per-step averages of the workers' phase timers. */
export function stepProfile(plane: Plane): Omit<StepProfile, "mainThreadBusyFraction"> {
  const avg = (field: number) => {
    let total = 0;
    let steps = 0;
    for (let w = 0; w < plane.buffers.workers; w++) {
      total += plane.timings[w * TIMING.width + field];
      steps += plane.timings[w * TIMING.width + TIMING.steps];
    }
    return steps ? total / steps : 0;
  };
  const p = {
    upload: avg(TIMING.upload),
    compute: avg(TIMING.compute),
    download: avg(TIMING.download),
    gradBarrier: avg(TIMING.gradBarrier),
    update: avg(TIMING.update),
    updateBarrier: avg(TIMING.updateBarrier),
  };
  return { ...p, stepMs: p.compute + p.gradBarrier + p.update + p.updateBarrier };
}
