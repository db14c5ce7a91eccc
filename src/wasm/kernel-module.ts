/**
 * A wasm kernel shipped as base64 text (written by `npm run build:wasm`, src/cli/build-wasm.ts):
 * its bytes, its module compiled once per realm (small enough for the synchronous constructor
 * everywhere), and why it cannot run where it cannot.
 */
export class KernelModule {
  #compiled: WebAssembly.Module | undefined;

  constructor(
    private readonly base64: string,
    /** The proposal it needs, for the reason it cannot run: "SIMD (128-bit)", … */
    private readonly needs: string,
  ) {}

  bytes(): Uint8Array<ArrayBuffer> {
    return Uint8Array.from(atob(this.base64), (c) => c.charCodeAt(0));
  }

  module(): WebAssembly.Module {
    this.#compiled ??= new WebAssembly.Module(this.bytes());
    return this.#compiled;
  }

  /** Why the kernel cannot run in this runtime, or undefined when it can (checked once). */
  unavailable(): string | undefined {
    this.#unavailable ??= { reason: this.#check() };
    return this.#unavailable.reason;
  }

  #unavailable: { reason: string | undefined } | undefined;

  #check(): string | undefined {
    if (typeof WebAssembly === "undefined") return "no WebAssembly";
    if (!WebAssembly.validate(this.bytes())) return `WebAssembly ${this.needs} is not supported`;
    return undefined;
  }
}
