import { type EpochLogs, isImprovement, monitored, monitorMode } from "./monitor.ts";

/** Keras's `ModelCheckpoint(save_best_only=True)`: what carries over a resume. */
export interface SaveBestState {
  readonly best: number | null;
  /** 0-based. */
  readonly bestEpoch: number | null;
}

export const SAVE_BEST_START: SaveBestState = { best: null, bestEpoch: null };

/**
 * Whether this epoch's model replaces the saved one: the monitored value strictly better than
 * every earlier epoch's (ModelCheckpoint has no min_delta). Pure.
 */
export function saveBestStep(
  monitor: string,
  state: SaveBestState,
  epoch: number,
  logs: EpochLogs,
): { improved: boolean; state: SaveBestState } {
  const current = monitored(logs, monitor, "save best");
  if (!isImprovement(monitorMode(monitor), current, state.best)) return { improved: false, state };
  return { improved: true, state: { best: current, bestEpoch: epoch } };
}
