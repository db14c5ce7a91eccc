import { describe, expect, test } from "bun:test";
import { decodeShard, encodeShard } from "../../src/core/data/shard.ts";
import { createShardApp } from "../../src/server/shards.ts";

const images = (x: number[], labels: number[]) => ({
  count: labels.length,
  sampleShape: [2, 2],
  x: Uint8Array.from(x),
  y: { kind: "classes" as const, labels: Uint8Array.from(labels), classes: 10 },
});
const shard = encodeShard({
  train: images([1, 2, 3, 4, 5, 6, 7, 8], [3, 4]),
  test: images([9, 9, 9, 9], [7]),
});
const app = createShardApp({ token: "secret", count: 1, shard: () => shard });

describe("GET /shards/:index", () => {
  test("answers the run's token with the binary shard", async () => {
    const res = await app.request("/shards/0", { headers: { authorization: "Bearer secret" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    const decoded = decodeShard(new Uint8Array(await res.arrayBuffer()));
    const labels = decoded.train.y.kind === "classes" ? decoded.train.y.labels : [];
    expect(Array.from(labels)).toEqual([3, 4]);
    expect(decoded.test.x).toEqual(Uint8Array.of(9, 9, 9, 9));
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
    // 48 header bytes; per split: form and entries words, pixel bytes, int32 labels.
    expect(shard.length).toBe(48 + (8 + 8 + 8) + (8 + 4 + 4));
    expect(() => decodeShard(shard.subarray(0, shard.length - 1), "s")).toThrow(
      "s: truncated: the test targets need 4 bytes from byte 84, the shard has 87",
    );
    expect(() => decodeShard(Uint8Array.of(...shard, 0, 0, 0, 0), "s")).toThrow(
      "s: 4 bytes after the test samples, expected none (88 bytes in all)",
    );
    const bad = shard.slice();
    bad[0] = 0;
    expect(() => decodeShard(bad, "s")).toThrow("s: not a shardfit shard (bad magic)");
    const old = shard.slice();
    old[4] = 1;
    expect(() => decodeShard(old, "s")).toThrow("s: format version 1, expected 3 (or 2)");
    const rank = shard.slice();
    rank[12] = 5;
    expect(() => decodeShard(rank, "s")).toThrow("s: sample rank 5, expected 1 to 4");
    const label = shard.slice();
    label[64] = 10; // the first train label, of 10 classes
    expect(() => decodeShard(label, "s")).toThrow("s: train sample 0 has class 10, expected 0..9");
  });

  test("carries float inputs of any shape and target rows, bit for bit", () => {
    const floats = (n: number, width: number) =>
      Float32Array.from({ length: n * width }, (_, i) => Math.fround(i * 0.37 - 1));
    const rows = (n: number) => ({
      count: n,
      sampleShape: [3],
      x: floats(n, 3),
      y: { kind: "rows" as const, data: floats(n, 2), width: 2, oneHot: false },
    });
    const decoded = decodeShard(encodeShard({ train: rows(3), test: rows(1) }));
    expect(decoded.train.sampleShape).toEqual([3]);
    expect(decoded.train.x).toEqual(floats(3, 3));
    expect(decoded.test.x).toEqual(floats(1, 3));
    const y = decoded.train.y;
    expect(y.kind === "rows" && y.data).toEqual(floats(3, 2));
    // A sample of 3 pixel bytes: its section is padded to 4-byte alignment.
    const odd = {
      count: 1,
      sampleShape: [3],
      x: Uint8Array.of(1, 2, 3),
      y: { kind: "classes" as const, labels: Int32Array.of(1), classes: 2 },
    };
    expect(decodeShard(encodeShard({ train: odd, test: odd })).test.x).toEqual(
      Uint8Array.of(1, 2, 3),
    );
  });
});
