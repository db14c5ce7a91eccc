/**
 * The positional arguments of a small bench script (`bun bench/x.ts [A] [B]`), after printing
 * its usage and exiting when asked for help (-h, --help).
 */
export function positionalArgs(usage: string): string[] {
  const args = process.argv.slice(2);
  if (args.includes("-h") || args.includes("--help")) {
    console.log(usage);
    process.exit(0);
  }
  return args;
}
