/** `bun run worker -- --join URL --token T` (or `deno run -A src/cli/worker.ts …`). */
import { runtimeDescription } from "../adapter/runtime.ts";
import { WorkerHost } from "../train/remote/host.ts";
import { runCli } from "./args.ts";
import { parseWorkerArgs, WORKER_HELP } from "./worker-options.ts";

await runCli("worker", WORKER_HELP, async () => {
  const cli = parseWorkerArgs(process.argv.slice(2), process.env);
  if (cli.help) {
    process.stdout.write(WORKER_HELP);
    return;
  }
  const socket = new WebSocket(cli.joinUrl);
  socket.binaryType = "arraybuffer";
  const host = new WorkerHost(
    {
      send: (data) => socket.send(data),
      close: (code, reason) => socket.close(code, reason),
    },
    {
      threads: cli.threads,
      token: cli.token,
      rank: cli.rank,
      runtime: runtimeDescription(),
      baseUrl: cli.joinUrl.replace(/^ws/, "http"),
    },
  );
  socket.onopen = () => {
    console.log(`worker: joined ${cli.joinUrl} with ${cli.threads} thread(s)`);
    host.hello();
  };
  socket.onmessage = (event) => host.receive(event.data);
  socket.onerror = () => host.closed(1006, `cannot reach ${cli.joinUrl}`);
  socket.onclose = (event) => host.closed(event.code, event.reason);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => socket.close(1001, "worker stopped"));
  }
  await host.finished;
  console.log("worker: the run finished");
  process.exit(0);
});
