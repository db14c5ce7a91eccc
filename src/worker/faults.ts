/** A fault to inject, for tests of the coordinator's recovery (never set in normal runs). */
export interface FaultInjection {
  /** Global step (counted from the start of the run) at which to fail. */
  readonly atStep: number;
  readonly kind: "throw" | "exit" | "hang";
}

export function injectFault(kind: FaultInjection["kind"]): never {
  if (kind === "exit") {
    (globalThis as unknown as { close(): void }).close();
    throw new Error("injected fault: worker exited");
  }
  if (kind === "hang") {
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (;;) Atomics.wait(cell, 0, 0);
  }
  throw new Error("injected fault: worker threw");
}
