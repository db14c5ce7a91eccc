import { describe, expect, test } from "bun:test";
import { decodeShard, encodeShard } from "../../src/core/data/shard.ts";
import { createShardApp } from "../../src/server/shards.ts";

const shard = encodeShard({
  train: {
    count: 2,
    rows: 2,
    cols: 2,
    images: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
    labels: Uint8Array.of(3, 4),
  },
  test: { count: 1, rows: 2, cols: 2, images: Uint8Array.of(9, 9, 9, 9), labels: Uint8Array.of(7) },
});
const app = createShardApp({ token: "secret", count: 1, shard: () => shard });

describe("GET /shards/:index", () => {
  test("answers the run's token with the binary shard", async () => {
    const res = await app.request("/shards/0", { headers: { authorization: "Bearer secret" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    const decoded = decodeShard(new Uint8Array(await res.arrayBuffer()));
    expect(Array.from(decoded.train.labels)).toEqual([3, 4]);
    expect(Array.from(decoded.test.images)).toEqual([9, 9, 9, 9]);
  });

  test.each([
    [undefined, "missing run token: send Authorization: Bearer <token>"],
    ["secret", 'malformed Authorization header: expected "Bearer <run token>"'],
    ["Basic c2VjcmV0", 'malformed Authorization header: expected "Bearer <run token>"'],
    ["Bearer wrong", "wrong run token"],
    // Other lengths: a prefix and an extension of the real token.
    ["Bearer secre", "wrong run token"],
    ["Bearer secret0", "wrong run token"],
    // Near misses: same length, one character off (last, first, case).
    ["Bearer secreu", "wrong run token"],
    ["Bearer tecret", "wrong run token"],
    ["Bearer Secret", "wrong run token"],
  ])("refuses authorization %p with a 401 naming the problem", async (auth, reason) => {
    const res = await app.request("/shards/0", { headers: auth ? { authorization: auth } : {} });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("www-authenticate")).toStartWith("Bearer");
    expect(await res.json()).toEqual({ error: reason });
  });

  test("checks the token before the index, so a wrong token learns nothing about shards", async () => {
    const res = await app.request("/shards/7", { headers: { authorization: "Bearer wrong" } });
    expect(res.status).toBe(401);
  });

  test.each(["1", "-1", "x", "0.5"])(
    "unknown shard %p is a 404 naming the range",
    async (index) => {
      const res = await app.request(`/shards/${index}`, {
        headers: { authorization: "Bearer secret" },
      });
      expect(res.status).toBe(404);
      expect((await res.json()).error).toContain("0..0");
    },
  );
});

describe("per-shard tokens", () => {
  const perShard = createShardApp({ token: ["t0", "t1"], count: 2, shard: () => shard });
  const get = (index: number, token: string) =>
    perShard.request(`/shards/${index}`, { headers: { authorization: `Bearer ${token}` } });

  test("a participant's token opens its own shard only", async () => {
    expect((await get(0, "t0")).status).toBe(200);
    expect((await get(1, "t1")).status).toBe(200);
    expect((await get(1, "t0")).status).toBe(401);
    expect((await get(0, "t1")).status).toBe(401);
  });

  test("before the run has split its data, shards are a 503 saying so", async () => {
    const early = createShardApp({ token: [], count: 0, shard: () => shard });
    const res = await early.request("/shards/0", { headers: { authorization: "Bearer x" } });
    expect(res.status).toBe(503);
    expect((await res.json()).error).toContain("not started");
  });
});

describe("shard format", () => {
  test("rejects bad bytes with the reason", () => {
    expect(() => decodeShard(shard.subarray(0, 10), "s")).toThrow("s: truncated");
    expect(() => decodeShard(shard.subarray(0, shard.length - 1), "s")).toThrow(
      /s: expected 39 bytes/,
    );
    const bad = shard.slice();
    bad[0] = 0;
    expect(() => decodeShard(bad, "s")).toThrow("s: not a shardfit shard (bad magic)");
  });
});
