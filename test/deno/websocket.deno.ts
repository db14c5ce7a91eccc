// The WebSocket frame bound under Deno: a message over the limit closes the connection with
// 1009 before any handler sees it, as Bun's maxPayloadLength does (Deno buffers it first).
import assert from "node:assert/strict";
import { Hono } from "hono";
import { serve } from "../../src/adapter/serve.ts";
import { webSocketSupport } from "../../src/adapter/websocket.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

const LIMIT = 1024;

/** Sends `message` to an echo route; what came back, or the close code and reason. */
async function exchange(url: string, message: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = new Promise<string>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error("no answer in 10 s")), 10_000);
    ws.onopen = () => ws.send(message);
    ws.onmessage = (e) => {
      resolve(typeof e.data === "string" ? `echo ${e.data.length}` : `echo ${e.data.byteLength}`);
      ws.close();
    };
    ws.onclose = (e) => resolve(`closed ${e.code} ${e.reason}`);
    ws.onerror = () => {};
  });
  return await answer.finally(() => clearTimeout(timer));
}

Deno.test("websocket: messages over the limit close with 1009 on Deno too", async () => {
  const support = await webSocketSupport(LIMIT);
  const seen: number[] = [];
  const app = new Hono().get(
    "/ws",
    support.upgrade(() => ({
      onOpen: (_e, ws) => support.arrayBuffers(ws.raw),
      onMessage(e, ws) {
        const data = e.data as string | ArrayBuffer;
        seen.push(typeof data === "string" ? data.length : data.byteLength);
        ws.send(data);
      },
    })),
  );
  const server = serve(app.fetch, { webSocket: support.server });
  const url = `${server.url.replace(/^http/, "ws")}/ws`;
  try {
    const refused = `closed 1009 message too big: over ${LIMIT} bytes`;
    assert.equal(await exchange(url, "x".repeat(LIMIT)), `echo ${LIMIT}`);
    assert.equal(await exchange(url, "x".repeat(LIMIT + 1)), refused);
    assert.equal(await exchange(url, new Uint8Array(LIMIT)), `echo ${LIMIT}`);
    assert.equal(await exchange(url, new Uint8Array(LIMIT + 1)), refused);
    // 342 three-byte characters: 1026 bytes in 342 UTF-16 units.
    assert.equal(await exchange(url, "€".repeat(342)), refused);
    assert.equal(await exchange(url, "€".repeat(341)), "echo 341");
    // The handler saw only the messages within the limit.
    assert.deepEqual(seen, [LIMIT, LIMIT, 341]);
  } finally {
    await server.close();
  }
});
