import { buildDashboardPage } from "../adapter/dashboard-build.ts";
import { EventLog } from "../dashboard/event-log.ts";
import { type DashboardEvent, dashboardRetention } from "../dashboard/events.ts";
import type { DashboardOptions } from "../server/dashboard.ts";

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
    this.log.push(event);
  }
}
