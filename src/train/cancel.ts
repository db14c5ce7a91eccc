/**
 * Cancellation: a run, an epoch attempt and a worker host each carry one AbortSignal; every
 * wait races it. (Threads parked in Atomics.wait are woken by the shared plane's flag, which
 * `SharedPlane.abortOn` drives from the same signal.)
 */

/** Settles as `promise` does, or rejects with the signal's reason once it aborts first. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
