import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/cli/args.ts";
import { parseWorkerArgs } from "../../src/cli/worker-options.ts";

describe("worker flags and environment", () => {
  test("flags", () => {
    const cli = parseWorkerArgs(
      ["--join", "ws://10.0.0.5:8790/join", "--token", "t", "--threads", "3", "--rank", "2"],
      {},
    );
    expect(cli).toEqual({
      help: false,
      joinUrl: "ws://10.0.0.5:8790/join",
      token: "t",
      threads: 3,
      rank: 2,
    });
  });

  test("the Kubernetes env contract: SHARDFIT_* and JOB_COMPLETION_INDEX", () => {
    const env = {
      SHARDFIT_JOIN: "ws://shardfit-coordinator:8790/join",
      SHARDFIT_TOKEN: "secret",
      SHARDFIT_THREADS: "2",
      JOB_COMPLETION_INDEX: "3",
    };
    expect(parseWorkerArgs([], env)).toMatchObject({ token: "secret", threads: 2, rank: 3 });
    // A flag wins over the environment.
    expect(parseWorkerArgs(["--rank", "0"], env).rank).toBe(0);
  });

  test("an http:// URL becomes ws://", () => {
    expect(parseWorkerArgs(["--join", "http://h:1/join", "--token", "t"], {}).joinUrl).toBe(
      "ws://h:1/join",
    );
  });

  test.each([
    [[], "--join: the coordinator's URL is required"],
    [["--join", "ws://h/join"], "--token: the run token is required"],
    [
      ["--join", "not a url", "--token", "t"],
      '--join: expected a URL like ws://host:port/join, got "not a url"',
    ],
    [["--join", "ftp://h/join", "--token", "t"], "--join: expected a ws:// or wss:// URL"],
    [
      ["--join", "ws://h/join", "--token", "t", "--threads", "0"],
      '--threads: expected an integer from 1 to 64, got "0"',
    ],
  ])("%p is a usage error: %s", (argv, message) => {
    expect(() => parseWorkerArgs(argv as string[], {})).toThrow(UsageError);
    expect(() => parseWorkerArgs(argv as string[], {})).toThrow(message);
  });
});
