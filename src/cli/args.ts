import { type ParseArgsConfig, parseArgs } from "node:util";

/** A command-line mistake: the CLIs print the message and exit with code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** node:util parseArgs (present in Bun and Deno), strict, with errors as UsageError. */
export function parseFlags<T extends ParseArgsConfig["options"]>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

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

/** Runs a CLI main: usage errors exit 2 with the message, other errors exit 1 without a stack trace. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    const usage = error instanceof UsageError;
    console.error(`error: ${(error as Error).message ?? error}${usage ? "\n(see --help)" : ""}`);
    process.exit(usage ? 2 : 1);
  }
}
