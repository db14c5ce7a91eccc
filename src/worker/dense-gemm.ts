import { TIMING } from "../collective/telemetry.ts";
import type { DenseLayerLayout as LayerLayout, ParamLayout } from "../core/model/dense-stack.ts";
import { Gemm, type Matrix, type PackedMatrix } from "../wasm/gemm.ts";
import { gatherRows, scatterRows } from "./active-columns.ts";
import type { Batch } from "./batch.ts";
import {
  addBiasRows,
  columnSumsInto,
  reluGradientInto,
  reluInPlace,
  softmaxCrossEntropyInto,
  transposeInto,
} from "./matrix-loops.ts";

/**
 * A worker's Dense-stack step (the MLP) on the wasm SIMD gemm of src/wasm instead of tfjs:
 * the products run 1.6–2.4× tfjs-wasm's matMul at these shapes (bench/gemm.ts), and the
 * small element-wise parts (bias, ReLU, softmax cross-entropy, column sums, transposes) are
 * plain loops. Same math as src/tf/dense.ts's `denseLossAndGrads` over the batch's active
 * columns (gradients.ts): the first kernel's inactive rows get zero gradient. The gemm runs
 * with a separate multiply and add, never fused, so Bun and Deno give the same results.
 */

interface LayerBuffers {
  readonly layer: LayerLayout;
  /** The kernel as the forward's B, packed into panels (`inputs × units`). */
  readonly kernelPacked: PackedMatrix;
  /** The kernel, row-major, before packing. */
  readonly kernel: Matrix;
  /** Kᵀ, `units × inputs`: B of the input gradient dz·Kᵀ (layers after the first). */
  readonly kernelT: Matrix;
  /** The layer's output, `capacity × units`: z, then a = relu(z) in place (not the last). */
  readonly out: Matrix;
  /** Its transpose, `units × capacity`: A of the next layer's kernel gradient. */
  readonly outT: Matrix;
  /** ∂loss/∂z, `capacity × units`. */
  readonly dz: Matrix;
  /** ∂loss/∂K, `inputs × units`. */
  readonly dKernel: Matrix;
}

const MUL_ADD = { fma: false } as const;

export class DenseGemmStep {
  private readonly gemm = new Gemm();
  private readonly x: Matrix;
  private readonly xT: Matrix;
  private readonly layers: LayerBuffers[];
  /** ∂loss/∂(a layer's input), `capacity × inputs`, for the layers after the first. */
  private readonly dInput: Matrix;

  constructor(
    readonly layout: ParamLayout,
    readonly capacity: number,
  ) {
    const g = this.gemm;
    const inputs = layout.layers[0].inputs;
    this.x = g.matrix(capacity, inputs);
    this.xT = g.matrix(inputs, capacity);
    this.layers = layout.layers.map((layer) => {
      const kernel = g.matrix(layer.inputs, layer.units);
      return {
        layer,
        kernel,
        kernelPacked: g.pack(kernel),
        kernelT: g.matrix(layer.units, layer.inputs),
        out: g.matrix(capacity, layer.units),
        outT: g.matrix(layer.units, capacity),
        dz: g.matrix(capacity, layer.units),
        dKernel: g.matrix(layer.inputs, layer.units),
      };
    });
    const widest = Math.max(0, ...layout.layers.slice(1).map((l) => l.inputs));
    this.dInput = g.matrix(capacity, Math.max(widest, 1));
  }

  /**
   * Gradients of Σᵢ wᵢ·lossᵢ over the batch into `out` (flat layout); its loss and the real
   * rows predicted right. The first layer sees only the batch's `width` active columns.
   */
  gradientsInto(
    params: Float32Array,
    batch: Batch,
    out: Float32Array,
    timings?: Float64Array,
  ): { loss: number; correct: number } {
    if (batch.capacity !== this.capacity) {
      throw new RangeError(`DenseGemmStep: batch of ${batch.capacity}, built for ${this.capacity}`);
    }
    const t0 = timings ? performance.now() : 0;
    const width = batch.width;
    const x = { ...this.x, cols: width };
    const xT = { ...this.xT, rows: width };
    this.view(x).set(batch.x.subarray(0, this.capacity * width));
    transposeInto(this.view(x), this.capacity, width, this.view(xT));
    if (timings) timings[TIMING.upload] += performance.now() - t0;
    this.forward(params, batch, x);
    const result = this.lossAndOutputGradient(batch);
    this.backward(params, xT);
    const t1 = timings ? performance.now() : 0;
    this.writeGradients(batch, out);
    if (timings) timings[TIMING.download] += performance.now() - t1;
    return result;
  }

  private view(m: Matrix): Float32Array {
    return this.gemm.view(m);
  }

  private forward(params: Float32Array, batch: Batch, x: Matrix): void {
    const last = this.layers.length - 1;
    let input = x;
    this.layers.forEach((b, l) => {
      const rows = l === 0 ? batch.width : b.layer.inputs;
      const kernel = { ...b.kernel, rows };
      loadKernel(params, b.layer, l === 0 ? batch.columns : undefined, rows, this.view(kernel));
      const packed = this.gemm.pack(kernel, { ...b.kernelPacked, rows });
      this.gemm.multiply(input, packed, b.out, MUL_ADD);
      const z = this.view(b.out);
      addBiasRows(z, params, b.layer.biasOffset, b.layer.units);
      if (l < last) reluInPlace(z);
      input = b.out;
    });
  }

  /** Softmax cross-entropy of the logits; writes dz = wᵢ·(softmax(zᵢ) − yᵢ) of the last layer. */
  private lossAndOutputGradient(batch: Batch): { loss: number; correct: number } {
    const last = this.layers[this.layers.length - 1];
    return softmaxCrossEntropyInto(this.view(last.out), batch, this.view(last.dz));
  }

  private backward(params: Float32Array, xT: Matrix): void {
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const b = this.layers[l];
      const inputT = l === 0 ? xT : this.layers[l - 1].outT;
      if (l > 0) {
        const input = this.view(this.layers[l - 1].out);
        transposeInto(input, this.capacity, b.layer.inputs, this.view(inputT));
      }
      const dKernel = { ...b.dKernel, rows: inputT.rows };
      this.gemm.multiply(inputT, b.dz, dKernel, MUL_ADD);
      if (l === 0) break;
      // dz of the layer below: (dz·Kᵀ) ⊙ relu'(its output).
      const kernel = params.subarray(b.layer.kernelOffset);
      transposeInto(kernel, b.layer.inputs, b.layer.units, this.view(b.kernelT));
      const dInput = { ...this.dInput, cols: b.layer.inputs };
      this.gemm.multiply(b.dz, b.kernelT, dInput, MUL_ADD);
      const below = this.layers[l - 1];
      reluGradientInto(this.view(dInput), this.view(below.out), this.view(below.dz));
    }
  }

  /** Kernels and biases to the flat layout; the first kernel's rows scattered to their columns. */
  private writeGradients(batch: Batch, out: Float32Array): void {
    this.layers.forEach((b, l) => {
      const { layer } = b;
      const dz = this.view(b.dz);
      columnSumsInto(dz, this.capacity, layer.units, out, layer.biasOffset);
      if (l > 0) {
        out.set(this.view(b.dKernel), layer.kernelOffset);
        return;
      }
      const rows = this.view({ ...b.dKernel, rows: batch.width });
      const { kernelOffset, inputs, units } = layer;
      scatterRows(rows, out, kernelOffset, inputs, units, batch.columns, batch.width);
    });
  }
}

/** The layer's kernel rows into `into`: all of them, or only `columns[0..rows)` (the first). */
function loadKernel(
  params: Float32Array,
  layer: LayerLayout,
  columns: Int32Array | undefined,
  rows: number,
  into: Float32Array,
): void {
  const u = layer.units;
  if (columns) gatherRows(params, layer.kernelOffset, u, columns, rows, into);
  else into.set(params.subarray(layer.kernelOffset, layer.kernelOffset + rows * u));
}
