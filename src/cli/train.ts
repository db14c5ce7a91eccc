/** `bun run train` / `deno task train`: a thin shell over train(). */
import { saveModelIo } from "../adapter/fs/model-files.ts";
import { readTrainingData, type TrainingData } from "../adapter/fs/training-data.ts";
import { TrainingStopped } from "../train/recovery.ts";
import { train } from "../train/train.ts";
import type { OpenDashboard, TrainEvent } from "../train/types.ts";
import { runCli } from "./args.ts";
import { commandLine } from "./invocation.ts";
import { progressReporter } from "./progress.ts";
import { parseTrainArgs, TRAIN_HELP } from "./train-options.ts";

/** What --json still prints, on stderr. */
const NOTICES = new Set<TrainEvent["type"]>(["training", "listening", "participant", "dashboard"]);

await runCli("train", TRAIN_HELP, async () => {
  const cli = parseTrainArgs(process.argv.slice(2), process.env);
  if (cli.help) {
    process.stdout.write(TRAIN_HELP);
    return;
  }
  // Read (and checked) before anything is trained or written: a bad file costs nothing.
  const data: TrainingData = cli.data ? await readTrainingData(cli.data) : { report: [] };
  const say = cli.json ? process.stderr : process.stdout;
  for (const line of data.report) say.write(`${line}\n`);
  // Ctrl-C / SIGTERM: stop the workers, keep the last epoch's checkpoint, say how to resume.
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
  let completedEpochs = 0;
  // With --json, stdout carries only the summary; the join command and the dashboard's URL
  // still have to be seen.
  const notices = progressReporter(process.stderr);
  const report = cli.json
    ? (event: TrainEvent) => NOTICES.has(event.type) && notices(event)
    : progressReporter();
  // Someone at a terminal can still look at the finished run, and end it with Ctrl-C.
  const keepOpen = Boolean(process.stdin.isTTY);
  const result = await train({
    ...cli.options,
    ...(data.data ? { data: data.data } : {}),
    ...(data.dataDir ? { dataDir: data.dataDir } : {}),
    dashboard: cli.options.dashboard && { ...cli.options.dashboard, keepOpen },
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
  // The model takes raw rows (or images 0..255) and names its outputs wherever it is used.
  if (data.io && result.modelDir) await saveModelIo(result.modelDir, data.io);
  if (!cli.json && result.stop.reason === "early stopping") {
    const { epoch, monitor, best, bestEpoch } = result.stop;
    console.log(
      `early stopping after epoch ${epoch}: ${monitor} was best at epoch ${bestEpoch} (${best.toFixed(4)}); the result holds epoch ${result.kept.epoch}'s weights (${result.kept.reason}), the saved model epoch ${result.saved.epoch}'s`,
    );
  }
  if (cli.json) {
    const last = result.history[result.history.length - 1];
    // Accuracy means something for a cross-entropy only.
    const classification = result.loss.endsWith("crossentropy");
    console.log(
      JSON.stringify({
        epochs: result.epochs,
        workers: result.workers,
        batchSize: result.batchSize,
        loss: result.loss,
        trainLoss: last.trainLoss,
        ...(classification ? { trainAccuracy: last.trainAccuracy } : {}),
        testLoss: last.testLoss,
        ...(classification ? { testAccuracy: last.testAccuracy } : {}),
        test: last.test,
        history: result.kerasHistory,
        trainSeconds: result.trainSeconds,
        samplesPerSecond: result.samplesPerSecond,
        ...(last.valLoss !== undefined
          ? { valLoss: last.valLoss, valAccuracy: last.valAccuracy }
          : {}),
        epochsRun: result.history.length,
        stop: result.stop,
        kept: result.kept,
        saved: result.saved,
        modelDir: result.modelDir ?? null,
        ...(result.network ? { network: result.network } : {}),
      }),
    );
  }
  if (result.dashboard) await serveUntilInterrupted(result.dashboard);
});

/** After the run: the dashboard stays up until Ctrl-C (or SIGTERM), then the command exits 0. */
async function serveUntilInterrupted(dashboard: OpenDashboard): Promise<void> {
  process.stderr.write(
    `training finished; the dashboard stays up at ${dashboard.url} until Ctrl-C\n`,
  );
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
  await dashboard.close();
}

/** This command again, with `--resume`, as the user ran it (Bun or Deno). */
function resumeCommand(): string {
  const args = [...process.argv.slice(2).filter((a) => a !== "--resume"), "--resume"];
  return `${commandLine("train")} ${args.join(" ")}`;
}
