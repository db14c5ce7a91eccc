/** The one place that tells which runtime this is; adapters pick their implementation by it. */
export type Runtime = "bun" | "deno" | "other";

export function currentRuntime(): Runtime {
  if (typeof Bun !== "undefined") return "bun";
  if ("Deno" in globalThis) return "deno";
  return "other";
}

export function unsupportedRuntime(what: string): Error {
  return new Error(`${what}: unsupported runtime (use Bun or Deno)`);
}

/** "Bun 1.4.4", "Deno 2.9.6": for start-up lines. */
export function runtimeDescription(): string {
  const runtime = currentRuntime();
  if (runtime === "bun") return `Bun ${Bun.version}`;
  if (runtime === "deno") return `Deno ${process.versions.deno}`;
  return "an unknown runtime";
}
