import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { Service } from "kubernetes-models/v1";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import {
  coordinate,
  sameGlobalBatches,
  smallRun,
  spawnWorker,
  TOKEN,
  type WorkerProcess,
} from "../support/remote.ts";

/**
 * deploy/kubernetes/ validated offline against the Kubernetes API schemas (npm
 * kubernetes-models), checked for agreement between coordinator and workers, and its env
 * contract exercised: worker processes started with only the variables the Job sets.
 */
// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML
type Manifest = any;
const dir = fileURLToPath(new URL("../../deploy/kubernetes/", import.meta.url));
const docs = (file: string): Manifest[] => {
  const parsed = Bun.YAML.parse(readFileSync(`${dir}${file}`, "utf8"));
  return Array.isArray(parsed) ? parsed : [parsed];
};
const [deployment, service] = docs("coordinator.yaml");
const [job] = docs("workers.yaml");
const MODELS = { Deployment, Service, Job } as const;

const coordinatorContainer = deployment.spec.template.spec.containers[0];
const workerContainer = job.spec.template.spec.containers[0];
const flag = (name: string) =>
  coordinatorContainer.args.find((a: string) => a.startsWith(`--${name}=`))?.split("=")[1];
const envOf = (container: Manifest, name: string) =>
  container.env.find((e: Manifest) => e.name === name);

describe("manifests", () => {
  test.each([
    ["coordinator.yaml", deployment],
    ["coordinator.yaml", service],
    ["workers.yaml", job],
  ])("%s: %s is a valid Kubernetes object", (_file, doc: Manifest) => {
    const Model = MODELS[doc.kind as keyof typeof MODELS];
    expect(Model).toBeDefined();
    expect(() => new Model(doc).validate()).not.toThrow();
  });

  test("the validator catches a wrong field type (it is not a rubber stamp)", () => {
    const broken = structuredClone(job);
    broken.spec.completions = "four";
    expect(() => new Job(broken).validate()).toThrow("completions must be integer");
  });

  test("the workers are an Indexed Job sized to the coordinator's --expect-workers", () => {
    expect(job.spec.completionMode).toBe("Indexed");
    expect(job.spec.parallelism).toBe(job.spec.completions);
    expect(String(job.spec.completions)).toBe(flag("expect-workers"));
  });

  test("the workers reach the coordinator through its Service, with the same Secret", () => {
    const port = Number(flag("listen").split(":")[1]);
    expect(service.spec.ports[0].port).toBe(port);
    expect(coordinatorContainer.ports[0].containerPort).toBe(port);
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    expect(envOf(workerContainer, "SHARDFIT_JOIN").value).toBe(
      `ws://${service.metadata.name}:${port}/join`,
    );
    const secret = (c: Manifest) => envOf(c, "SHARDFIT_TOKEN").valueFrom.secretKeyRef;
    expect(secret(workerContainer)).toEqual(secret(coordinatorContainer));
  });
});

describe("the env contract, locally", () => {
  let dataset: Dataset;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    dataset = await loadIdxDataset();
  });
  afterAll(() => {
    for (const w of workers) w.process.kill("SIGKILL");
  });

  /** The variables a pod of the Job gets: its env, the Secret's value, its completion index. */
  function podEnv(joinUrl: string, index: number): Record<string, string> {
    const env: Record<string, string> = { JOB_COMPLETION_INDEX: String(index) };
    for (const e of workerContainer.env) {
      env[e.name] = e.valueFrom?.secretKeyRef ? TOKEN : e.value;
    }
    // The Service name resolves only in the cluster; here the coordinator is on loopback.
    const inCluster = new URL(env.SHARDFIT_JOIN);
    env.SHARDFIT_JOIN = `${new URL(joinUrl).origin}${inCluster.pathname}`;
    return env;
  }

  test("pods join by env alone and take their index as rank, whatever the join order", async () => {
    const result = await coordinate(
      { ...smallRun(dataset), epochs: 1, remote: { expectWorkers: 2, token: TOKEN } },
      sameGlobalBatches(),
      (url) => {
        // Index 1 (Deno) starts first; index 0 (Bun) must still be participant 0.
        workers.push(spawnWorker("deno", [], podEnv(url, 1)));
        setTimeout(() => workers.push(spawnWorker("bun", [], podEnv(url, 0))), 1500);
      },
    );
    const threads = Number(envOf(workerContainer, "SHARDFIT_THREADS").value);
    expect(result.workers).toBe(2 * threads);
    expect(result.network?.participants.map((p) => p.label)).toEqual([
      expect.stringMatching(/^participant 0 \(Bun .*, 2 threads/),
      expect.stringMatching(/^participant 1 \(Deno .*, 2 threads/),
    ]);
    expect(await Promise.all(workers.map((w) => w.process.exited))).toEqual([0, 0]);
  }, 120_000);
});
