import { describe, expect, test } from "bun:test";
import { encodeGradient, gradientRows } from "../../src/collective/gradient-frame.ts";
import {
  CLOSE,
  FRAME,
  HEADER_BYTES,
  newFrame,
  PROTOCOL_VERSION,
} from "../../src/collective/wire.ts";
import { dense, modelLayout } from "../../src/core/model/sequential.ts";
import { KERAS_ADAM } from "../../src/core/optim/adam.ts";
import { KERAS_SGD } from "../../src/core/optim/sgd.ts";
import { Peer, type PeerEvents } from "../../src/train/remote/peer.ts";
import { StepReducer } from "../../src/train/remote/reduce.ts";

/**
 * The coordinator's reducer fed gradient frames through its peers' connections, as the
 * transport delivers them: row-masked frames sum and update exactly as dense ones do, and a
 * malformed frame closes its sender's connection, leaving the step to the others.
 */
const layout = modelLayout({
  inputShape: [20],
  layers: [dense(6, { activation: "relu" }), dense(3)],
});
const rows = gradientRows(layout);
const PARAMS = layout.size;
const SGD = { type: "sgd", ...KERAS_SGD } as const;

/** A gradient whose first-layer rows are zero except where the batch "touched" an input. */
function gradientOf(peer: number, step: number): Float32Array {
  const g = new Float32Array(PARAMS);
  for (let i = 0; i < PARAMS; i++) {
    const input = i < 20 * 6 ? Math.floor(i / 6) : -1;
    const touched = input < 0 || (input * (peer + 2) + step) % 5 === 0;
    if (touched) g[i] = Math.sin(1 + i * 0.37 + peer * 1.3 + step * 0.11);
  }
  return g;
}

function connect(reducer: StepReducer, index: number) {
  const closed: { code: number; reason: string }[] = [];
  const sent: ArrayBuffer[] = [];
  const events: PeerEvents = {
    message: () => {},
    gradient: (peer, data) => reducer.gradient(peer, data),
    closed: () => {},
    dropped: () => {},
  };
  const peer = new Peer(
    {
      send: (data) => typeof data !== "string" && sent.push(data),
      close: (code, reason) => closed.push({ code, reason }),
      remote: "test",
    },
    events,
  );
  peer.hello = {
    type: "hello",
    protocol: PROTOCOL_VERSION,
    version: "x",
    token: "",
    threads: 1,
    runtime: "t",
  };
  peer.index = index;
  return { peer, closed, sent };
}

function framed(vector: Float32Array, step: number, masked: boolean): ArrayBuffer {
  const frame = masked ? encodeGradient(vector, rows) : newFrame(FRAME.gradient, PARAMS);
  if (!masked) (frame as ReturnType<typeof newFrame>).vector.set(vector);
  frame.head.set([step, 1, 0, 0, 0, 0, 0], 1);
  return frame.buffer;
}

/** Three Adam steps of two participants; returns the weights. */
function run(masked: boolean): Float32Array {
  const reducer = new StepReducer(PARAMS, { type: "adam", ...KERAS_ADAM }, () => {});
  reducer.setRows(rows);
  reducer.load(
    0,
    Float32Array.from({ length: PARAMS }, (_, i) => Math.cos(i)),
    reducer.state(),
  );
  const peers = [connect(reducer, 0), connect(reducer, 1)];
  reducer.begin(
    1,
    peers.map((p) => p.peer),
  );
  for (let step = 0; step < 3; step++) {
    for (const [i, { peer }] of peers.entries()) {
      const data = framed(gradientOf(i, step), step, masked);
      if (masked) expect(new Float64Array(data, 0, 1)[0]).toBe(FRAME.maskedRows);
      peer.receive(data);
    }
    expect(reducer.stepsDone).toBe(step + 1);
  }
  for (const p of peers) expect(p.closed).toEqual([]);
  return reducer.params().slice();
}

describe("the coordinator's reducer and row-masked gradient frames", () => {
  test("masked frames give bit-identical weights to dense frames", () => {
    const dense = run(false);
    const masked = run(true);
    expect(Array.from(new Uint32Array(masked.buffer))).toEqual(
      Array.from(new Uint32Array(dense.buffer)),
    );
    // The update moved every weight, so the comparison compares something.
    const start = Float32Array.from({ length: PARAMS }, (_, i) => Math.cos(i));
    expect(masked.every((w, i) => w !== start[i])).toBe(true);
  });

  test("a malformed frame closes its sender's connection; the step waits for a good one", () => {
    const reducer = new StepReducer(PARAMS, SGD, () => {});
    reducer.setRows(rows);
    const [a, b] = [connect(reducer, 0), connect(reducer, 1)];
    reducer.begin(1, [a.peer, b.peer]);
    const good = framed(gradientOf(0, 0), 0, true);
    // A mask that says it covers one row more than this model has.
    const bad = good.slice(0);
    new Uint32Array(bad, HEADER_BYTES, 1)[0] = rows.length;
    expect(() => a.peer.receive(bad)).not.toThrow();
    expect(a.closed).toEqual([
      {
        code: CLOSE.protocol,
        reason: expect.stringContaining(`its mask covers ${rows.length} rows`),
      },
    ]);
    // Truncated mid-row.
    expect(() => b.peer.receive(good.slice(0, good.byteLength - 2))).not.toThrow();
    expect(b.closed[0]?.code).toBe(CLOSE.protocol);
    expect(b.closed[0]?.reason).toContain("row-masked gradient frame of");
    expect(reducer.stepsDone).toBe(0);
  });

  test("before the model is known, a masked frame is refused", () => {
    const reducer = new StepReducer(PARAMS, SGD, () => {});
    const a = connect(reducer, 0);
    a.peer.receive(framed(gradientOf(0, 0), 0, true));
    expect(a.closed[0]?.reason).toContain("before the run's model is known");
  });

  test("rows of another parameter count are a coordinator bug, refused at once", () => {
    const reducer = new StepReducer(PARAMS + 1, SGD, () => {});
    expect(() => reducer.setRows(rows)).toThrow(
      `parameter rows cover ${PARAMS} parameters; the run has ${PARAMS + 1}`,
    );
  });
});
