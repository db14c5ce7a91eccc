import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { WASM_KERNELS, wasmModuleText } from "../../src/cli/build-wasm.ts";
import { assembleWat, sleb, uleb } from "../../src/cli/wat.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const hex = (bytes: ArrayLike<number>) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

describe("the WebAssembly text assembler", () => {
  test("LEB128 as the standard's examples encode it", () => {
    expect(hex(uleb(624485))).toBe("e5 8e 26");
    expect(hex(uleb(0))).toBe("00");
    expect(hex(uleb(127))).toBe("7f");
    expect(hex(uleb(128))).toBe("80 01");
    expect(hex(sleb(-123456))).toBe("c0 bb 78");
    expect(hex(sleb(-2))).toBe("7e");
    expect(hex(sleb(63))).toBe("3f");
    expect(hex(sleb(64))).toBe("c0 00");
  });

  test("an exported add function: the well-known 41 bytes", () => {
    const bytes = assembleWat(`(module
      (func $add (export "add") (param $a i32) (param i32) (result i32)
        local.get $a local.get 1 i32.add))`);
    expect(hex(bytes)).toBe(
      "00 61 73 6d 01 00 00 00 01 07 01 60 02 7f 7f 01 7f 03 02 01 00 07 07 01 03 61 64 64 00 00 0a 09 01 07 00 20 00 20 01 6a 0b",
    );
    const add = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.add as (
      a: number,
      b: number,
    ) => number;
    expect(add(40, 2)).toBe(42);
  });

  test("a shared memory import, labels by name, SIMD memory and lane immediates", () => {
    const bytes = assembleWat(`(module
      (import "env" "memory" (memory 1 2 shared))
      (func (export "double") (param $p i32) (local $v v128)
        block $out
          loop $again
            local.get $p i32.const 0 i32.lt_u br_if $out
            local.get $p
            local.get $p v128.load64_zero offset=8
            local.tee $v local.get $v f32x4.add
            v128.store64_lane align=4 0
          end
        end))`);
    expect(hex(bytes.subarray(0, 8))).toBe("00 61 73 6d 01 00 00 00");
    // import: "env" "memory", kind memory, flags 3 (max + shared), min 1, max 2
    expect(hex(bytes)).toContain("03 65 6e 76 06 6d 65 6d 6f 72 79 02 03 01 02");
    // br_if $out from inside the loop is depth 1; load64_zero align 3 offset 8; store64_lane
    // with align=4 (log2 2), offset 0, lane 0
    expect(hex(bytes)).toContain("0d 01");
    expect(hex(bytes)).toContain("fd 5d 03 08");
    expect(hex(bytes)).toContain("fd e4 01");
    expect(hex(bytes)).toContain("fd 5b 02 00 00");
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    new Float32Array(memory.buffer).set([0, 0, 1.5, -2], 0);
    const double = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
      .exports.double as (p: number) => void;
    double(0);
    expect(Array.from(new Float32Array(memory.buffer, 0, 4))).toEqual([3, -4, 1.5, -2]);
  });

  test("i8x16.shuffle takes its 16 lane bytes", () => {
    const bytes = assembleWat(`(module
      (import "env" "memory" (memory 1 1 shared))
      (func (export "swapHalves")
        i32.const 0
        i32.const 0 v128.load i32.const 0 v128.load
        i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
        v128.store))`);
    expect(hex(bytes)).toContain("fd 0d 08 09 0a 0b 0c 0d 0e 0f 00 01 02 03 04 05 06 07");
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    new Float32Array(memory.buffer).set([1, 2, 3, 4]);
    const swap = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
      .exports.swapHalves as () => void;
    swap();
    expect(Array.from(new Float32Array(memory.buffer, 0, 4))).toEqual([3, 4, 1, 2]);
    expect(() =>
      assembleWat("(module (func i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 32))"),
    ).toThrow("0–31");
  });

  test("rejects what it does not know instead of guessing", () => {
    expect(() => assembleWat("(module (func i32.popcnt))")).toThrow(
      "unsupported instruction i32.popcnt",
    );
    expect(() => assembleWat("(module (func i32.const 1 (i32.eqz)))")).toThrow("folded");
    expect(() => assembleWat("(module (func block))")).toThrow("block without end");
    expect(() => assembleWat("(module (func local.get $x))")).toThrow("expected a number");
  });

  test.each(WASM_KERNELS)("the committed $module is what npm run build:wasm makes of $wat", (k) => {
    expect(readFileSync(ROOT + k.module, "utf8")).toBe(wasmModuleText(k.wat));
  });
});
