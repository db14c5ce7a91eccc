/**
 * A table model on three real runtimes: Bun and Deno (src/cli/serve.ts) and workerd (the
 * build:edge bundle). Each takes raw rows by column name through the preprocessing saved in
 * model.json, answers the class names with the probabilities the in-process forward pass
 * gives, describes the columns on GET /model, and answers a bad field with a 400 naming it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyPreprocessing, type TablePreprocessing } from "../../src/core/data/table-prep.ts";
import { forward } from "../../src/core/model/forward.ts";
import { modelLayout } from "../../src/core/model/sequential.ts";
import { type RealServer, RUNTIMES, type Runtime, startServer } from "../support/servers.ts";
import { saveCarsModel } from "../support/table-model.ts";

let dir: string;
let reference: (row: Record<string, unknown>) => Float32Array;
let prep: TablePreprocessing;
const servers = new Map<Runtime, RealServer>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-table-servers-"));
  const saved = await saveCarsModel(join(dir, "model"));
  prep = saved.preprocessing;
  const model = { layout: modelLayout(saved.spec), params: saved.params };
  reference = (row) => forward(model, applyPreprocessing(prep, row));
  for (const runtime of RUNTIMES)
    servers.set(runtime, await startServer(runtime, join(dir, "model")));
}, 180_000);

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.stop()));
  await rm(dir, { recursive: true, force: true });
});

const ROWS = [
  { Cylinders: 4, Weight: 2050, Origin: "Japan" },
  { Cylinders: 8, Weight: 4100, Origin: "USA" },
  { Cylinders: 6, Weight: "3000", Origin: "Europe" },
];

const post = (server: RealServer, body: unknown) =>
  fetch(`${server.url}/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("a table model on every runtime", () => {
  for (const runtime of RUNTIMES) {
    test(`${runtime}: raw rows by column name answer class names and probabilities`, async () => {
      const server = servers.get(runtime) as RealServer;
      const res = await post(server, { rows: ROWS });
      expect(res.status).toBe(200);
      const { predictions } = (await res.json()) as {
        predictions: { className: string; probabilities: number[] }[];
      };
      predictions.forEach((p, i) => {
        const want = Array.from(reference(ROWS[i]));
        for (const [k, q] of p.probabilities.entries()) {
          expect(Math.abs(q - want[k])).toBeLessThan(1e-6);
        }
        expect(p.className).toBe(["big", "mid", "small"][want.indexOf(Math.max(...want))]);
      });
    });

    test(`${runtime}: GET /model names the columns; a bad field is a 400 naming it`, async () => {
      const server = servers.get(runtime) as RealServer;
      const info = (await (await fetch(`${server.url}/model`)).json()) as {
        inputs: { columns: { name: string; type: string; categories?: string[] }[] };
        outputs: unknown;
      };
      expect(info.inputs.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
        "Cylinders:number",
        "Weight:number",
        "Origin:string",
      ]);
      expect(info.inputs.columns[2].categories).toEqual(["Europe", "Japan", "USA"]);
      expect(info.outputs).toEqual({ task: "classification", classNames: ["big", "mid", "small"] });
      const bad = await post(server, { rows: [{ Cylinders: 4, Origin: "Japan" }] });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain(
        'rows[0]: field "Weight" is missing',
      );
    });
  }
});
