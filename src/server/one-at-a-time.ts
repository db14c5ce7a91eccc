import { RequestError } from "./predict-input.ts";

/**
 * Runs tasks one at a time, in arrival order, so their peak memory does not add up; with
 * more than `maxWaiting` already waiting, a new task is refused (503) instead of queued.
 */
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly maxWaiting: number) {}

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.waiting >= this.maxWaiting) {
      throw new RequestError(
        503,
        `busy: ${this.waiting} PNG requests are already waiting to be decoded; try again shortly`,
      );
    }
    this.waiting++;
    const result = this.tail.then(async () => {
      // A macrotask between tasks: requests that arrived meanwhile (`/health`) are answered
      // between two decodes, not after all of them.
      await new Promise((resolve) => setTimeout(resolve, 0));
      this.waiting--;
      return task();
    });
    this.tail = result.catch(() => {});
    return result;
  }
}
