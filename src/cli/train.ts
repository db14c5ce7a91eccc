/** `bun run train` / `deno task train`: a thin shell over train(). */
import { currentRuntime } from "../adapter/runtime.ts";
import { TrainingStopped } from "../train/recovery.ts";
import { train } from "../train/train.ts";
import type { TrainEvent } from "../train/types.ts";
import { runCli } from "./args.ts";
import { progressReporter } from "./progress.ts";
import { parseTrainArgs, TRAIN_HELP } from "./train-options.ts";

await runCli("train", TRAIN_HELP, async () => {
  const cli = parseTrainArgs(process.argv.slice(2), process.env);
  if (cli.help) {
    process.stdout.write(TRAIN_HELP);
    return;
  }
  // Ctrl-C / SIGTERM: stop the workers, keep the last epoch's checkpoint, say how to resume.
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
  let completedEpochs = 0;
  // With --json, stdout carries only the summary; the join command still has to be seen.
  const notices = progressReporter(process.stderr);
  const report = cli.json
    ? (event: TrainEvent) =>
        (event.type === "listening" || event.type === "participant") && notices(event)
    : progressReporter();
  const result = await train({
    ...cli.options,
    signal: stop.signal,
    onProgress: (event) => {
      if (event.type === "checkpoint") completedEpochs = event.epoch;
      report?.(event);
    },
  }).catch((error) => {
    if (error instanceof TrainingStopped && completedEpochs > 0) {
      throw new Error(`${error.message} Continue with: ${resumeCommand()}`);
    }
    if (!stop.signal.aborted) throw error;
    const kept =
      completedEpochs > 0 ? `the checkpoint after epoch ${completedEpochs} is kept; ` : "";
    console.error(`\ninterrupted: ${kept}continue with: ${resumeCommand()}`);
    process.exit(130);
  });
  if (cli.json) {
    const last = result.history[result.history.length - 1];
    console.log(
      JSON.stringify({
        epochs: result.epochs,
        workers: result.workers,
        batchSize: result.batchSize,
        trainLoss: last.trainLoss,
        trainAccuracy: last.trainAccuracy,
        testLoss: last.testLoss,
        testAccuracy: last.testAccuracy,
        trainSeconds: result.trainSeconds,
        samplesPerSecond: result.samplesPerSecond,
        modelDir: result.modelDir ?? null,
        ...(result.network ? { network: result.network } : {}),
      }),
    );
  }
});

/** This command again, with `--resume`, as the user ran it (Bun or Deno). */
function resumeCommand(): string {
  const args = [...process.argv.slice(2).filter((a) => a !== "--resume"), "--resume"];
  const runner = currentRuntime() === "deno" ? "deno task train" : "bun run train";
  return `${runner} -- ${args.join(" ")}`;
}
