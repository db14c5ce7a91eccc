import { buildDashboardPage } from "../adapter/dashboard-build.ts";
import { EventLog } from "../dashboard/event-log.ts";
import { cleanEvent } from "../dashboard/event-text.ts";
import { type DashboardEvent, dashboardRetention } from "../dashboard/events.ts";
import type { DashboardOptions } from "../server/dashboard.ts";

export { cleanEvent };

/** How long the run's close waits for viewers to receive its last events. */
const FAREWELL_MS = 2000;

/**
 * A run's dashboard: the bounded event log the run's events go to, and the routes that
 * serve it (mounted on the run's own app, beside the shard route). Pushing never waits for
 * a browser (see EventLog), so training does not either.
 */
export class RunDashboard {
  readonly log = new EventLog<DashboardEvent>({ retention: dashboardRetention });
  /** The page is bundled while the run loads its data and starts its workers. */
  readonly routes: DashboardOptions = { log: this.log, page: buildDashboardPage() };

  record(event: DashboardEvent): void {
    // The join command carries the run token: the read-only dashboard must not show it.
    if (event.type === "listening") return;
    this.log.push(cleanEvent(event));
  }

  /**
   * Ends every viewer's stream once it has what was recorded (`saved`, `end`), waiting at most
   * `timeoutMs` for slow viewers; to be awaited before the run's server closes.
   */
  async close(timeoutMs = FAREWELL_MS): Promise<void> {
    this.log.end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.log.drained(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
