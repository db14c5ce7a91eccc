import { basename } from "node:path";
import { currentRuntime } from "../adapter/runtime.ts";

/** The subcommands the `shardfit` bin runs (src/cli/shardfit.ts). */
export type Subcommand = "train" | "serve" | "worker" | "predict";

/**
 * How the user runs `command` again, for the hints the CLIs print: through the installed
 * package's `shardfit` bin (`bunx shardfit train`, `deno run -A npm:shardfit train`), or in
 * the repository through its scripts (`bun run train --`, `deno task train --`).
 */
export function commandLine(command: Subcommand): string {
  const deno = currentRuntime() === "deno";
  if (viaBin()) return deno ? `deno run -A npm:shardfit ${command}` : `bunx shardfit ${command}`;
  if (command === "worker" && deno) return "deno run -A src/cli/worker.ts";
  if (command === "train" && deno) return "deno task train --";
  return `bun run ${command} --`;
}

/** Whether this process was started through the bin (its script is `shardfit` or shardfit.js). */
function viaBin(): boolean {
  return /^shardfit(\.[jt]s)?$/.test(basename(process.argv[1] ?? ""));
}
