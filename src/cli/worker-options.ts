import { intFlag, parseFlags, UsageError } from "./args.ts";

export const WORKER_HELP = `Usage: shardfit worker --join URL --token T [options]

Joins a training run whose coordinator was started with \`train --listen\`, and trains its
part of every step on local tfjs-wasm threads.

  --join URL      the coordinator's join URL, e.g. ws://10.0.0.5:8790/join   (env SHARDFIT_JOIN)
  --token T       the run token the coordinator printed                       (env SHARDFIT_TOKEN)
  --threads K     local worker threads, reduced on shared memory first (default 1)
                                                                              (env SHARDFIT_THREADS)
  --rank R        this worker's participant index (env JOB_COMPLETION_INDEX, as Kubernetes sets it)
  --help          show this help
`;

export interface WorkerCli {
  readonly help: boolean;
  readonly joinUrl: string;
  readonly token: string;
  readonly threads: number;
  readonly rank?: number;
}

type Env = Record<string, string | undefined>;

/** Flags win over the environment (the env contract is what a Kubernetes Job sets). */
export function parseWorkerArgs(argv: string[], env: Env): WorkerCli {
  const v = parseFlags(argv, {
    join: { type: "string" },
    token: { type: "string" },
    threads: { type: "string" },
    rank: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) return { help: true, joinUrl: "", token: "", threads: 1 };
  const join = v.join ?? env.SHARDFIT_JOIN;
  const token = v.token ?? env.SHARDFIT_TOKEN;
  if (!join) throw new UsageError("--join: the coordinator's URL is required (or SHARDFIT_JOIN)");
  if (!token) throw new UsageError("--token: the run token is required (or SHARDFIT_TOKEN)");
  let url: URL;
  try {
    url = new URL(join);
  } catch {
    throw new UsageError(`--join: expected a URL like ws://host:port/join, got "${join}"`);
  }
  if (!["ws:", "wss:", "http:", "https:"].includes(url.protocol)) {
    throw new UsageError(`--join: expected a ws:// or wss:// URL, got "${join}"`);
  }
  url.protocol = url.protocol.replace(/^http/, "ws");
  return {
    help: false,
    joinUrl: url.href,
    token,
    threads: intFlag("threads", v.threads ?? env.SHARDFIT_THREADS ?? "1", 1, 64),
    rank: intFlag("rank", v.rank ?? env.JOB_COMPLETION_INDEX, 0, 4096),
  };
}
