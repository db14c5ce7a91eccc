/** `bun run train` / `deno task train`: a thin shell over train(). */
import { train } from "../train/train.ts";
import { runCli } from "./args.ts";
import { progressReporter } from "./progress.ts";
import { parseTrainArgs, TRAIN_HELP } from "./train-options.ts";

await runCli(async () => {
  const cli = parseTrainArgs(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(TRAIN_HELP);
    return;
  }
  const result = await train({
    ...cli.options,
    onProgress: cli.json ? undefined : progressReporter(),
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
      }),
    );
  }
});
