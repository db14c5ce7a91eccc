/** A fetch handler listening on Bun or Deno. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /**
   * Stops listening. `graceful` lets in-flight requests finish first (for SIGINT/SIGTERM);
   * the default drops open connections at once, which tests want.
   */
  close(options?: { graceful?: boolean }): Promise<void>;
}

export type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface ListenOptions {
  readonly hostname: string;
  readonly port: number;
  /** `hostname` as it goes into a URL (IPv6 in brackets). */
  readonly host: string;
}
