import cliProgress from "cli-progress";
import { cleanEvent } from "../train/dashboard.ts";
import type { TrainEvent } from "../train/types.ts";
import { commandLine } from "./invocation.ts";

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * Progress for a terminal: one cli-progress bar per epoch. When stdout is not a TTY, plain
 * lines (start, every ~10% of an epoch, epoch summaries) so logs stay readable. Free text
 * (notices, reasons, labels) is printed cleaned: no control characters, each field cut short.
 */
export function progressReporter(
  stream: NodeJS.WriteStream = process.stdout,
): (event: TrainEvent) => void {
  const tty = Boolean(stream.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let lastLogged = -1;
  const write = (line: string) => stream.write(`${line}\n`);
  return (raw) => {
    const event = cleanEvent(raw);
    switch (event.type) {
      case "start":
        write(
          `training ${event.parameters.toLocaleString("en")} parameters on ${event.trainSamples} samples: ${event.epochs} epochs × ${event.steps} steps, batch ${event.batchSize}, ${event.workers} workers`,
        );
        break;
      case "step":
        if (tty) {
          if (!bar) {
            bar = new cliProgress.SingleBar(
              {
                format: `epoch ${event.epoch + 1} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {rate} samples/s | ETA {eta_formatted}`,
                hideCursor: true,
                stream,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(event.steps, 0, { loss: "-", acc: "-", rate: "-" });
          }
          bar.update(event.step, {
            loss: event.loss.toFixed(4),
            acc: pct(event.accuracy),
            rate: Math.round(event.samplesPerSecond),
          });
        } else {
          const decile = Math.floor((10 * event.step) / event.steps);
          if (decile > lastLogged && decile < 10) {
            lastLogged = decile;
            write(
              `epoch ${event.epoch + 1} step ${event.step}/${event.steps} loss ${event.loss.toFixed(4)} acc ${pct(event.accuracy)} ${Math.round(event.samplesPerSecond)} samples/s`,
            );
          }
        }
        break;
      case "listening": {
        const runner = commandLine("worker");
        write(
          `waiting for ${event.expectWorkers} worker(s); on each worker machine run:\n  ${runner} --join ${event.joinUrl} --token ${event.token} [--threads K]\nor open in a browser (over https:// or on localhost):\n  ${event.joinUrl.replace(/^ws/, "http")}#token=${event.token}`,
        );
        if (/\/\/(0\.0\.0\.0|\[::\]):/.test(event.joinUrl)) {
          write("  (with this machine's address, or its DNS name, in place of the wildcard)");
        }
        if (!event.loopback) {
          write(
            "WARNING: listening beyond loopback. Anyone who can reach this port and has the token can join and receive shards; put a TLS reverse proxy in front on untrusted networks (see docs/distributed.md).",
          );
        }
        break;
      }
      case "participant":
        write(event.message);
        break;
      case "training":
        write(event.description);
        break;
      case "dashboard":
        write(`dashboard: ${event.url}`);
        break;
      case "participants":
        for (const p of event.participants) {
          write(
            `  ${p.label}: ${p.computeMs.toFixed(1)} ms compute, ${p.exchangeMs.toFixed(1)} ms network + reduce per step`,
          );
        }
        break;
      case "epoch": {
        bar?.stop();
        bar = undefined;
        lastLogged = -1;
        const m = event.metrics;
        const val =
          m.valLoss !== undefined
            ? ` | val loss ${m.valLoss.toFixed(4)} acc ${pct(m.valAccuracy ?? Number.NaN)}`
            : "";
        const lr = m.learningRate !== undefined ? ` | lr ${m.learningRate}` : "";
        write(
          `epoch ${m.epoch}: loss ${m.trainLoss.toFixed(4)} acc ${pct(m.trainAccuracy)}${val} | test loss ${m.testLoss.toFixed(4)} acc ${pct(m.testAccuracy)}${lr} | ${m.trainSeconds.toFixed(2)} s`,
        );
        break;
      }
      case "recovered":
        bar?.stop();
        bar = undefined;
        write(
          `recovered from a worker failure at epoch ${event.epoch + 1}, step ${event.step}: replaced worker(s) ${event.workers.join(", ")} (${event.reason})`,
        );
        break;
      case "checkpoint":
        break;
      case "saved":
        write(`saved model to ${event.dir}/`);
        break;
    }
  };
}
