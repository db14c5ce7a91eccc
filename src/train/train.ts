import { resolveTrainConfig } from "./config.ts";
import { RunDashboard } from "./dashboard.ts";
import type { TestHooks } from "./hooks.ts";
import { TrainingRun } from "./run.ts";
import type { TrainEvent, TrainOptions, TrainResult } from "./types.ts";

/**
 * Trains the configured model (the MLP, a convnet) data-parallel on a pool of tfjs-wasm
 * workers. The main thread serves shards, hands out each epoch's plan and waits: the workers
 * reduce gradients and apply the optimizer themselves through the collective (src/collective/).
 */
export function train(options: TrainOptions = {}): Promise<TrainResult> {
  return trainWithHooks(options, {});
}

/** `train()` with test hooks (src/train/testing.ts); not part of the public API. */
export async function trainWithHooks(
  options: TrainOptions,
  hooks: TestHooks,
): Promise<TrainResult> {
  const config = resolveTrainConfig(options);
  options.signal?.throwIfAborted();
  const dashboard = config.dashboard && new RunDashboard();
  const emit = (event: TrainEvent) => {
    dashboard?.record(event);
    options.onProgress?.(event);
  };
  const run = await TrainingRun.open({ config, emit, signal: options.signal, hooks, dashboard });
  let result: TrainResult | undefined;
  try {
    for (let epoch = run.firstEpoch; epoch < config.epochs; epoch++) {
      const seconds = await run.trainEpoch(epoch);
      const stop = await run.endEpoch(epoch, await run.evaluate(epoch, seconds));
      await run.checkpoint(epoch);
      if (stop) break;
    }
    result = await run.save();
    emit({ type: "end", status: "done" });
  } catch (error) {
    const status = options.signal?.aborted ? "stopped" : "failed";
    emit({ type: "end", status, message: (error as Error)?.message ?? String(error) });
    throw error;
  } finally {
    const keepServer = result !== undefined && config.dashboard?.keepOpen;
    if (!keepServer) await dashboard?.close();
    await run.close({ keepServer });
  }
  if (!config.dashboard?.keepOpen) return result;
  const { server } = run;
  return { ...result, dashboard: { url: `${server.url}/dashboard`, close: () => server.close() } };
}
