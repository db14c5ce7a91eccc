import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { progressReporter } from "../../src/cli/progress.ts";
import { EventLog } from "../../src/dashboard/event-log.ts";
import { cleanEvent, cleanText, MAX_EVENT_TEXT } from "../../src/dashboard/event-text.ts";
import { type DashboardEvent, dashboardRetention } from "../../src/dashboard/events.ts";

const ESC = "\u001b";
/** Any C0/C1 control or bidi override left in a string. */
const UNSAFE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

/** A refusal as the coordinator words it, quoting a hello's 4 MB version string. */
const hostileVersion = `${ESC}[2J${ESC}]0;pwned\u0007\u202e${"9".repeat(4 * 1024 * 1024)}`;
const refusal = (version: string): DashboardEvent => ({
  type: "participant",
  message: `refused 10.0.0.9:4242: shardfit version ${version}, expected 0.2.0`,
});

describe("cleanText", () => {
  test("control characters and bidi overrides become U+FFFD, one per run", () => {
    expect(cleanText(`a${ESC}[31mb\r\n\tc\u202ed\u0085`)).toBe("a\ufffd[31mb\ufffdc\ufffdd\ufffd");
    expect(cleanText("épée ✓ 数字 😀")).toBe("épée ✓ 数字 😀");
  });

  test("long text is cut, saying how much was left out, never inside a surrogate pair", () => {
    expect(cleanText("x".repeat(12), 10)).toBe("xxxxxxxxxx… (2 more characters)");
    expect(cleanText(`${"x".repeat(9)}😀y`, 10)).toBe("xxxxxxxxx… (3 more characters)");
    const cut = cleanText(hostileVersion);
    expect(cut.length).toBeLessThan(MAX_EVENT_TEXT + 40);
    expect(cut).not.toMatch(UNSAFE);
    expect(cut).toEndWith(`… (${hostileVersion.length - MAX_EVENT_TEXT} more characters)`);
  });

  test("cleanEvent cleans every free-text field and leaves numbers alone", () => {
    const dirty = `${ESC}[1m${"p".repeat(2000)}`;
    const events: DashboardEvent[] = [
      refusal(dirty),
      { type: "recovered", epoch: 1, step: 2, workers: [0], reason: dirty },
      { type: "checkpoint", dir: dirty, epoch: 3 },
      { type: "saved", dir: dirty },
      { type: "end", status: "failed", message: dirty },
      {
        type: "participants",
        epoch: 0,
        participants: [{ label: dirty, slots: 2, computeMs: 1.5, exchangeMs: 2.5 }],
      },
    ];
    for (const event of events) {
      const json = JSON.stringify(cleanEvent(event));
      expect(json.length).toBeLessThan(MAX_EVENT_TEXT + 200);
      expect(json).not.toContain("\\u001b");
    }
    const step: DashboardEvent = {
      ...{ type: "step", epoch: 0, step: 1, steps: 9, loss: 1, accuracy: 0.5 },
      samplesPerSecond: 10,
    };
    expect(cleanEvent(step)).toBe(step);
  });
});

describe("a flood of notices", () => {
  test("a run's dashboard history stays small and keeps every event of the run's own record", () => {
    const log = new EventLog<DashboardEvent>({ retention: dashboardRetention });
    const record = (event: DashboardEvent) => log.push(cleanEvent(event));
    const own: DashboardEvent[] = [
      { type: "dashboard", url: "http://127.0.0.1:1/dashboard" },
      { ...{ type: "start", epochs: 1, steps: 10, workers: 2, batchSize: 64 } },
      { type: "participants", epoch: 0, participants: [] },
      { type: "saved", dir: "out/model" },
      { type: "end", status: "done" },
    ] as DashboardEvent[];
    record(own[0]);
    record(own[1]);
    // 60 hellos with a 4 MB version each, then 10 050 small wrong-token ones.
    for (let i = 0; i < 60; i++) record(refusal(hostileVersion));
    for (let i = 0; i < 10_050; i++) {
      record({ type: "participant", message: `refused 10.0.0.9:${i}: wrong token` });
    }
    for (const event of own.slice(2)) record(event);
    const history = log.history();
    const bytes = history.reduce((n, e) => n + JSON.stringify(e).length, 0);
    expect(bytes).toBeLessThan(256 * 1024 + 4096);
    const types: string[] = history.map((e) => e.event.type).filter((t) => t !== "participant");
    expect(types).toEqual(own.map((e) => e.type));
    const notices = history.filter((e) => e.event.type === "participant");
    expect(notices.at(-1)?.event).toEqual({
      type: "participant",
      message: "refused 10.0.0.9:10049: wrong token",
    });
    expect(JSON.stringify(history)).not.toContain("\\u001b");
  });

  test("the CLI prints notices cleaned and cut short", () => {
    const out = new PassThrough();
    let printed = "";
    out.on("data", (chunk) => {
      printed += chunk;
    });
    progressReporter(out as unknown as NodeJS.WriteStream)(refusal(hostileVersion));
    expect(printed.length).toBeLessThan(MAX_EVENT_TEXT + 100);
    expect(printed.slice(0, -1)).not.toMatch(UNSAFE);
    expect(printed).toStartWith(
      "refused 10.0.0.9:4242: shardfit version \ufffd[2J\ufffd]0;pwned\ufffd",
    );
  });
});
