#!/usr/bin/env bun
/**
 * The `shardfit` bin of the npm package: `bunx shardfit train …`, `deno run -A npm:shardfit
 * serve …`. It only picks the subcommand's module, which reads the rest of argv itself.
 */
import type { Subcommand } from "./invocation.ts";

const COMMANDS: Record<Subcommand, () => Promise<unknown>> = {
  train: () => import("./train.ts"),
  serve: () => import("./serve.ts"),
  worker: () => import("./worker.ts"),
  predict: () => import("./predict.ts"),
};

const USAGE = `Usage: shardfit <command> [options]

  train     train a model on MNIST (or your IDX files), data-parallel on worker threads
  serve     serve a trained model: GET/POST /predict and a drawing page
  worker    join a training run started with \`train --listen\` from another machine
  predict   print a saved model's predictions for a file of images

\`shardfit <command> --help\` shows each command's options.
`;

const command = process.argv[2];
if (command === undefined || command === "-h" || command === "--help" || command === "help") {
  process.stdout.write(USAGE);
} else if (Object.hasOwn(COMMANDS, command)) {
  // The subcommand's module parses process.argv.slice(2): drop the command's name from it.
  process.argv.splice(2, 1);
  await COMMANDS[command as Subcommand]();
} else {
  process.stderr.write(`shardfit: unknown command "${command}"\n\n${USAGE}`);
  process.exit(2);
}
