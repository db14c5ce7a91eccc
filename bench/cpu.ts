/**
 * CPU accounting for a time window, from Linux's /proc (NaN elsewhere): how many cores this
 * process used, how busy its main JS thread was, and how many cores everything else on the
 * machine used meanwhile (the "noisy neighbours" of a shared box).
 */
import { readFileSync } from "node:fs";

const HZ = 100; // USER_HZ: the unit of /proc tick counters on every mainstream Linux

function procStat(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return { busy, total: busy + v[3] + v[4] };
  } catch {
    return undefined;
  }
}

/** utime + stime ticks of the main thread (its tid is the pid). */
function mainThreadTicks(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

export interface CpuWindow {
  /** Wall time of the window, seconds. */
  seconds: number;
  /** Cores this process kept busy on average (all threads: main, workers, GC, JIT). */
  processCores: number;
  /** Share of the window the main thread spent on a CPU (10 ms tick resolution). */
  mainThreadShare: number;
  /** Cores used by everything else on the machine during the window. */
  otherCores: number;
}

export function cpuWindow(): () => CpuWindow {
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  const m0 = mainThreadTicks();
  const s0 = procStat();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const u = process.cpuUsage(u0);
    const processCores = (u.user + u.system) / 1e6 / seconds;
    const mainThreadShare = (mainThreadTicks() - m0) / HZ / seconds;
    const s1 = procStat();
    const machineCores = s0 && s1 ? (s1.busy - s0.busy) / HZ / seconds : Number.NaN;
    return {
      seconds,
      processCores,
      mainThreadShare,
      otherCores: Math.max(0, machineCores - processCores),
    };
  };
}
