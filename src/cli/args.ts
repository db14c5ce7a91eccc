import { type ParseArgsConfig, parseArgs } from "node:util";

/** A command-line mistake: the CLIs print the message and exit with code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * node:util parseArgs (present in Bun and Deno), strict, with errors as UsageError. A leading
 * `--` is dropped: `deno task train -- --json` passes it on, where `npm run` and `bun` do not.
 */
export function parseFlags<T extends ParseArgsConfig["options"]>(argv: string[], options: T) {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function intFlag(name: string, text: string, min: number, max?: number): number;
export function intFlag(
  name: string,
  text: string | undefined,
  min: number,
  max?: number,
): number | undefined;
export function intFlag(
  name: string,
  text: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) {
    throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

export function positiveNumberFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${name}: expected a positive number, got "${text}"`);
  }
  return n;
}

/** The flags every serving command shares. */
export const SERVE_FLAGS = {
  model: { type: "string", default: "models/mnist" },
  port: { type: "string", default: "8787" },
  host: { type: "string", default: "127.0.0.1" },
  help: { type: "boolean", short: "h" },
} as const;

/** build-edge: the model, where the edge bundle goes, and the port its config names. */
export const EDGE_BUILD_FLAGS = {
  model: SERVE_FLAGS.model,
  port: SERVE_FLAGS.port,
  help: SERVE_FLAGS.help,
  out: { type: "string", default: "dist/edge" },
} as const;

/** serve-edge: the serving flags plus where the edge bundle goes. */
export const EDGE_SERVE_FLAGS = { ...SERVE_FLAGS, out: EDGE_BUILD_FLAGS.out } as const;

/**
 * Runs a CLI's main: a UsageError prints `command: message` and the usage, exit code 2; any
 * other error prints `command: message` (no stack trace), exit code 1.
 */
export async function runCli(
  command: string,
  usage: string,
  main: () => Promise<void>,
): Promise<void> {
  try {
    await main();
  } catch (error) {
    const isUsage = error instanceof UsageError;
    console.error(
      `${command}: ${(error as Error)?.message ?? error}${isUsage ? `\n\n${usage}` : ""}`,
    );
    process.exit(isUsage ? 2 : 1);
  }
}

/**
 * For top-level scripts (benchmarks): runs `parse`, and on a UsageError prints
 * `command: message` and the usage and exits with code 2; `--help` handling is the caller's.
 */
export function flagsOrExit<T>(command: string, usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${command}: ${error.message}\n\n${usage}`);
    process.exit(2);
  }
}
