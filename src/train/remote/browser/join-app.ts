/**
 * The /join page's module: this tab becomes one participant of the run, with the same
 * WorkerHost a worker process uses, its threads as Web Workers. The run token comes in the
 * URL's fragment (`/join#token=…&threads=2&rank=1`), which the browser never sends anywhere.
 */
import { WorkerHost } from "../host.ts";

const params = new URLSearchParams(location.hash.slice(1));
const statusLine = document.getElementById("status") as HTMLElement;
const show = (text: string) => {
  statusLine.textContent = text;
};

function join(): Promise<string> {
  const token = params.get("token") ?? window.prompt("Run token") ?? "";
  const threads = Number(params.get("threads") ?? "1");
  const rank = params.has("rank") ? Number(params.get("rank")) : undefined;
  if (!crossOriginIsolated) {
    return Promise.reject(
      new Error("this page is not cross-origin isolated (open it over https:// or on localhost)"),
    );
  }
  const socket = new WebSocket(new URL("/join", location.href).href.replace(/^http/, "ws"));
  socket.binaryType = "arraybuffer";
  const host = new WorkerHost(
    { send: (data) => socket.send(data), close: (code, reason) => socket.close(code, reason) },
    {
      threads,
      token,
      rank,
      runtime: `browser tab (${navigator.userAgent.match(/(Chrome|Firefox|Safari)\/[\d.]+/)?.[0] ?? "browser"})`,
      baseUrl: location.origin,
      workerUrl: new URL("/join/trainer.js", location.href),
    },
  );
  socket.onopen = () => {
    show(`joined with ${threads} thread(s); training…`);
    host.hello();
  };
  socket.onmessage = (event) => host.receive(event.data);
  socket.onclose = (event) => host.closed(event.code, event.reason);
  return host.finished.then(() => "the run finished");
}

const finished = join();
finished.then(show, (error: Error) => show(`stopped: ${error.message}`));
// For tests and the curious: how this tab's participation ended.
(window as unknown as { shardfit: { finished: Promise<string> } }).shardfit = { finished };
