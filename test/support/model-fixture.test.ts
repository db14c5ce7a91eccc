import { afterAll, expect, test } from "bun:test";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { producerHash } from "./model-fixture.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
let copy: string | undefined;
afterAll(() => (copy ? rm(copy, { recursive: true, force: true }) : undefined));

test("the fixture model's key changes with any training source, and only then", async () => {
  copy = await mkdtemp(join(tmpdir(), "shardfit-fixture-"));
  for (const folder of ["src", "workers"])
    await cp(join(ROOT, folder), join(copy, folder), { recursive: true });
  const original = await producerHash(copy);
  expect(await producerHash(copy)).toBe(original);
  expect(original).toBe(await producerHash(ROOT));
  await writeFile(join(copy, "src/worker/batch.ts"), "// changed\n", { flag: "a" });
  expect(await producerHash(copy)).not.toBe(original);
});
