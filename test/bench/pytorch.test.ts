import { expect, test } from "bun:test";
import { blasCoreForCpu } from "../../bench/pytorch.ts";

const cpuinfo = (flags: string) =>
  `processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: ${flags}\n`;

test("PyTorch's OpenBLAS kernel follows the CPU's flags, not its model name", () => {
  expect(
    blasCoreForCpu(
      cpuinfo("fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl"),
    ),
  ).toBe("SkylakeX");
  expect(blasCoreForCpu(cpuinfo("fpu sse sse2 avx avx2 fma"))).toBe("Haswell");
  expect(blasCoreForCpu(cpuinfo("fpu sse sse2 avx avx512f"))).toBeUndefined();
  expect(blasCoreForCpu("")).toBeUndefined();
});
