/** Bundles a browser module with Bun.build, in memory. */
export async function bundleOnBun(entry: string): Promise<string> {
  const result = await Bun.build({
    entrypoints: [entry],
    target: "browser",
    format: "esm",
    minify: true,
  });
  if (!result.success) {
    throw new Error(`${entry}: ${result.logs.map((l) => l.message).join("; ")}`);
  }
  return await result.outputs[0].text();
}
