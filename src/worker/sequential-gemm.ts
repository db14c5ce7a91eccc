import { TIMING } from "../collective/telemetry.ts";
import type { LossName } from "../core/loss/loss.ts";
import { lossForActivation, type OutputLoss, outputLoss } from "../core/loss/output-loss.ts";
import {
  type ActivationFunction,
  type ActivationName,
  activationByName,
} from "../core/model/activations.ts";
import { maxPoolInto } from "../core/model/max-pool.ts";
import { maxPoolGradientInto } from "../core/model/max-pool-gradient.ts";
import {
  type Conv2DLayer,
  type DenseLayer,
  hasRelu,
  type LayerLayout,
  type ModelLayout,
  outputActivation,
  type Shape,
  shapeSize,
} from "../core/model/sequential.ts";
import { type WindowGrid, windowGrid } from "../core/model/window-grid.ts";
import { Gemm, type Matrix, type PackedMatrix } from "../wasm/gemm.ts";
import type { CsrRegions } from "../wasm/sparse-rows.ts";
import { StepOps } from "../wasm/step-ops.ts";
import { gatherRows, scatterRows } from "./active-columns.ts";
import { activeInputs, type Batch } from "./batch.ts";
import { scoreOutputs } from "./output-score.ts";
import { SparseInput } from "./sparse-input.ts";

/**
 * A worker's step for every model (the MLP, convnets) on the wasm SIMD gemm of src/wasm
 * instead of tfjs: a conv is im2col then one product with its kernel, its kernel gradient one
 * product with the same patches, its input gradient col2im(dz·Kᵀ); a Dense is the same
 * product without im2col. A Dense on the raw input sees only the batch's active columns
 * (active-columns.ts: MNIST batches have ink in ~63% of the pixels), or, for a batch that
 * chose it, over each sample's nonzero inputs (sparse-input.ts). The loops around the
 * products (im2col, col2im, bias, ReLU, 2×2 pooling, column sums, transposes) are the SIMD
 * kernels of src/wasm/step-ops.wat, bit for bit their TS loops; dropout, the other
 * activations (core/model/activations.ts), the loss (core/loss) and other poolings stay plain
 * loops. The last layer's activation is left to the loss when the two fuse (softmax + a
 * categorical cross-entropy, sigmoid + the binary one: core/loss/output-loss.ts). Same math as src/tf/sequential.ts. Every
 * buffer lives in one wasm memory, laid out once per (layout, capacity), the backward pass's
 * at its first call. The gemm multiplies then adds, never fused, so Bun and Deno give the
 * same results.
 */

const MUL_ADD = { fma: false } as const;

/** What one pass runs over: the batch (its active columns) and one mask per Dropout layer. */
interface Pass {
  readonly batch: Batch;
  /** Empty: Dropout is the identity (evaluation, or a model without dropout). */
  readonly masks: readonly Float32Array[];
  /** The shared memory the parameters and gradients are views of, where they are one. */
  readonly weights?: WebAssembly.Memory;
}

/** One layer of the step: its forward into `output`, its backward from ∂loss/∂output. */
interface StepLayer {
  /** The layer's activations (after its ReLU, if any), `capacity` samples. */
  readonly output: Matrix;
  forward(params: Float32Array, input: Matrix, pass: Pass): void;
  /**
   * Writes the layer's weight gradients into `grads` (flat layout) and returns ∂loss/∂input,
   * or nothing for a layer whose input needs no gradient.
   */
  backward(
    params: Float32Array,
    input: Matrix,
    dOutput: Matrix,
    grads: Float32Array,
    pass: Pass,
  ): Matrix | undefined;
}

/**
 * Index of the Dense that sees the raw input (only Flatten or Reshape before it), which
 * computes over the batch's active columns; −1 when the model has none (a conv needs whole
 * images). Batches for such a model carry active columns.
 */
export function activeColumnsLayer(layout: ModelLayout): number {
  const i = layout.layers.findIndex((l) => l.spec.kind !== "flatten" && l.spec.kind !== "reshape");
  return layout.layers[i]?.spec.kind === "dense" ? i : -1;
}

/** Whether layer i's input needs a gradient: some layer before it has weights. */
const needsInputGradient = (layout: ModelLayout, i: number) =>
  layout.layers.slice(0, i).some((l) => l.weights.length > 0);

/** A layer with a ReLU whose gradient the next layer, a max-pool, applies on its smaller grid. */
function reluTakenByPool(layout: ModelLayout, i: number): boolean {
  return hasRelu(layout.layers[i]) && layout.layers[i + 1]?.spec.kind === "maxPooling2d";
}

/** Activations of `capacity` samples of `shape` as a matrix: pixels × channels, or rows × units. */
function activations(offset: number, capacity: number, shape: Shape): Matrix {
  const channels = shape[shape.length - 1];
  const perSample = shapeSize(shape);
  return { offset, rows: (capacity * perSample) / channels, cols: channels };
}

export class SequentialGemmStep {
  private readonly gemm = new Gemm();
  private readonly ops = new StepOps(this.gemm.memory);
  private readonly x: Matrix;
  private readonly layers: StepLayer[];
  /** The first layer takes the batch's active columns (batches need not hold every column). */
  private readonly activeColumns: boolean;
  /** ∂loss/∂outputs, written by the loss; made at the first backward pass. */
  private dOutputs: Matrix | undefined;
  /** The loss at the output, which also applies the last layer's activation when they fuse. */
  readonly loss: OutputLoss;

  /** `loss`: by default the one for the last layer's activation (`lossForActivation`). */
  constructor(
    readonly layout: ModelLayout,
    readonly capacity: number,
    loss?: LossName,
  ) {
    this.loss = modelLoss(layout, loss);
    const g = this.gemm;
    const size = shapeSize(layout.inputShape);
    this.x = activations(g.matrix(capacity, size).offset, capacity, layout.inputShape);
    let dropout = 0;
    let input = this.x;
    this.activeColumns = activeColumnsLayer(layout) >= 0;
    this.layers = layout.layers.map((layer, i) => {
      const isLast = i === layout.layers.length - 1;
      const activation = isLast ? this.loss.stepActivation : undefined;
      const step = stepLayer(g, this.ops, layout, i, capacity, input, dropout, activation);
      if (layer.spec.kind === "dropout") dropout++;
      input = step.output;
      return step;
    });
  }

  /**
   * Gradients of Σᵢ wᵢ·lossᵢ over the batch into `out` (flat layout); the batch's loss and
   * the real rows predicted right. `dropoutMasks`: one per Dropout layer (identity without).
   * `weights`: the shared memory `params` and `out` are views of, if any.
   */
  gradientsInto(
    params: Float32Array,
    batch: Batch,
    out: Float32Array,
    timings?: Float64Array,
    dropoutMasks: readonly Float32Array[] = [],
    weights?: WebAssembly.Memory,
  ): { loss: number; correct: number } {
    const pass = { batch, masks: dropoutMasks, weights };
    const outputs = this.layers[this.layers.length - 1].output;
    this.dOutputs ??= this.gemm.matrix(outputs.rows, outputs.cols);
    const inputs = this.forward(params, pass, timings);
    const result = scoreOutputs(this.loss, this.view(outputs), batch, this.view(this.dOutputs));
    let d: Matrix | undefined = this.dOutputs;
    for (let i = this.layers.length - 1; i >= 0 && d; i--) {
      d = this.layers[i].backward(params, inputs[i], d, out, pass);
    }
    return result;
  }

  /**
   * The last layer's outputs for the batch, `capacity × units` (Dropout the identity; before
   * the activation the loss fuses): the training forward without the backward, for
   * evaluation. A view of the step's memory, valid until its next call. `weights`: the shared
   * memory `params` may be a view of.
   */
  outputs(params: Float32Array, batch: Batch, weights?: WebAssembly.Memory): Float32Array {
    this.forward(params, { batch, masks: [], weights });
    return this.view(this.layers[this.layers.length - 1].output);
  }

  /** Uploads the batch and runs every layer's forward; returns each layer's input. */
  private forward(params: Float32Array, pass: Pass, timings?: Float64Array): Matrix[] {
    const { batch } = pass;
    if (batch.capacity !== this.capacity) {
      throw new RangeError(
        `SequentialGemmStep: batch of ${batch.capacity}, built for ${this.capacity}`,
      );
    }
    if (!batch.allColumns && !this.activeColumns) {
      throw new Error("SequentialGemmStep: this model needs batches of every input column");
    }
    const t0 = timings ? performance.now() : 0;
    // A sparse batch's rows go up with its first layer.
    if (!batch.sparse) this.view(this.x).set(activeInputs(batch));
    if (timings) timings[TIMING.upload] += performance.now() - t0;
    const inputs: Matrix[] = [];
    let input = this.x;
    for (const layer of this.layers) {
      inputs.push(input);
      layer.forward(params, input, pass);
      input = layer.output;
    }
    return inputs;
  }

  private view(m: Matrix): Float32Array {
    return this.gemm.view(m);
  }
}

/** The loss of a model's training: `loss`, or the default for its output activation. */
export function modelLoss(layout: ModelLayout, loss?: LossName): OutputLoss {
  const activation = outputActivation(layout.spec);
  const units = layout.outputShape[layout.outputShape.length - 1];
  if (shapeSize(layout.outputShape) !== units) {
    throw new Error(
      `the model's output must be a vector (end with a Dense), got shape ${layout.outputShape.join("×")}`,
    );
  }
  return outputLoss(loss ?? lossForActivation(activation), activation, units);
}

/** `activation`: the layer's own unless given (the last layer's, when the loss fuses it). */
function stepLayer(
  g: Gemm,
  ops: StepOps,
  layout: ModelLayout,
  i: number,
  capacity: number,
  input: Matrix,
  dropout: number,
  activation?: ActivationName,
): StepLayer {
  const layer = layout.layers[i];
  const spec = layer.spec;
  switch (spec.kind) {
    case "conv2d":
    case "dense": {
      const needInput = needsInputGradient(layout, i);
      const reluByPool = reluTakenByPool(layout, i);
      const Layer = i === activeColumnsLayer(layout) ? ActiveColumnsDense : ProductLayer;
      const act = activation ?? spec.activation;
      return new Layer(g, ops, layer, act, capacity, needInput, reluByPool);
    }
    case "maxPooling2d":
      return new PoolLayer(g, ops, layer, capacity, i > 0 && hasRelu(layout.layers[i - 1]));
    case "dropout":
      return new DropoutLayer(g, layer, capacity, dropout);
    case "flatten":
    case "reshape":
      return new ReshapeLayer(layer, capacity, input);
  }
}

/** A product layer's buffers for the backward pass. */
interface ProductBackward {
  /** ∂loss/∂z, `rows × units`. */
  readonly dz: Matrix;
  /** The product's left operand transposed (patchesᵀ or inputᵀ), the kernel gradient's A. */
  readonly leftT: Matrix;
  /** ∂loss/∂K, `taps × units`. */
  readonly dKernel: Matrix;
  readonly dBias: Matrix;
  /** Where the input needs a gradient: Kᵀ, dz·Kᵀ (a conv's before col2im) and ∂loss/∂input. */
  readonly input: { kernelT: Matrix; dCols: Matrix; dInput: Matrix } | undefined;
}

/**
 * Conv2D or Dense: output = patches·K + b (a Dense's patches are its input); the kernel
 * gradient is patchesᵀ·dz, the input gradient dz·Kᵀ, folded back by col2im for a conv.
 */
class ProductLayer implements StepLayer {
  readonly output: Matrix;
  private readonly grid: WindowGrid | undefined;
  /** im2col of the input (convs only), `rows × taps`. */
  private readonly patches: Matrix | undefined;
  /** The kernel, `taps × units`. */
  protected readonly kernel: Matrix;
  protected readonly packed: PackedMatrix;
  /** ReLU runs in the SIMD kernels with the bias; the other activations are plain loops. */
  private readonly relu: boolean;
  /** An activation other than linear and ReLU, applied after the bias. */
  private readonly other: ActivationFunction | undefined;
  /** The output before `other` (for an activation whose backward reads its input: gelu). */
  private readonly preActivation: Matrix | undefined;
  /**
   * The bias, copied from the parameters at each forward (−0s without one: z + (−0) is z,
   * bit for bit, so a ReLU alone runs through the same kernel).
   */
  private readonly bias: Matrix;
  /** Made at the first backward pass: a step that only evaluates never holds them. */
  #gradientBuffers: ProductBackward | undefined;

  constructor(
    protected readonly gemm: Gemm,
    private readonly ops: StepOps,
    protected readonly layer: LayerLayout,
    activation: ActivationName,
    protected readonly capacity: number,
    private readonly needInput: boolean,
    /** The next layer (a max-pool) applies this layer's ReLU gradient. */
    private readonly reluByPool: boolean,
  ) {
    const g = gemm;
    const spec = layer.spec as Conv2DLayer | DenseLayer;
    this.relu = activation === "relu";
    this.other = this.relu || activation === "linear" ? undefined : activationByName(activation);
    const taps = shapeSize(layer.weights[0].shape.slice(0, -1));
    const units = spec.kind === "dense" ? spec.units : spec.filters;
    const rows = activations(0, capacity, layer.outputShape).rows;
    if (spec.kind === "conv2d") {
      this.grid = windowGrid(layer.inputShape, spec);
      this.patches = g.matrix(rows, taps);
    }
    this.kernel = g.matrix(taps, units);
    this.packed = g.pack(this.kernel);
    this.output = g.matrix(rows, units);
    if (this.other?.backwardReads === "input") this.preActivation = g.matrix(rows, units);
    this.bias = g.matrix(1, units, new Float32Array(units).fill(-0));
  }

  protected backwardBuffers(): ProductBackward {
    if (this.#gradientBuffers) return this.#gradientBuffers;
    const g = this.gemm;
    const { rows: taps, cols: units } = this.kernel;
    const rows = this.output.rows;
    let input: ProductBackward["input"];
    if (this.needInput) {
      const shape = activations(0, this.capacity, this.layer.inputShape);
      const dInput = g.matrix(shape.rows, shape.cols);
      const kernelT = g.matrix(units, taps);
      input = { kernelT, dCols: this.grid ? g.matrix(rows, taps) : dInput, dInput };
    }
    this.#gradientBuffers = {
      dz: g.matrix(rows, units),
      leftT: g.matrix(taps, rows),
      dKernel: g.matrix(taps, units),
      dBias: g.matrix(1, units),
      input,
    };
    return this.#gradientBuffers;
  }

  /** The product's left operand: the patches, or (Dense) the input itself. */
  protected left(input: Matrix, _pass: Pass): Matrix {
    return this.patches ?? activations(input.offset, this.capacity, this.layer.inputShape);
  }

  forward(params: Float32Array, input: Matrix, pass: Pass): void {
    const g = this.gemm;
    this.product(params, input, pass);
    const bias = this.layer.weights[1];
    if (bias) g.view(this.bias).set(params.subarray(bias.offset, bias.offset + bias.size));
    if (bias || this.relu) {
      const { offset, rows, cols } = this.output;
      this.ops.biasRelu(offset, this.bias.offset, rows, cols, this.relu);
    }
    if (this.other) {
      const z = g.view(this.output);
      if (this.preActivation) g.view(this.preActivation).set(z);
      this.other.forward(z, z, this.output.cols);
    }
  }

  /** output = patches·K (or input·K). */
  protected product(params: Float32Array, input: Matrix, pass: Pass): void {
    if (this.grid && this.patches) {
      this.ops.im2col(input.offset, this.capacity, this.grid, this.patches.offset);
    }
    this.gemm.multiply(this.left(input, pass), this.packKernel(params, pass), this.output, MUL_ADD);
  }

  /** The kernel from the parameters, packed as the forward's B. */
  protected packKernel(params: Float32Array, _pass: Pass): PackedMatrix {
    const kernel = this.layer.weights[0];
    this.gemm.view(this.kernel).set(params.subarray(kernel.offset, kernel.offset + kernel.size));
    return this.gemm.pack(this.kernel, this.packed);
  }

  backward(
    _params: Float32Array,
    input: Matrix,
    dOutput: Matrix,
    grads: Float32Array,
    pass: Pass,
  ): Matrix | undefined {
    const g = this.gemm;
    const b = this.backwardBuffers();
    let dz = dOutput;
    if (this.relu && !this.reluByPool) {
      const n = dOutput.rows * dOutput.cols;
      this.ops.reluMask(dOutput.offset, this.output.offset, b.dz.offset, n);
      dz = b.dz;
    } else if (this.other) {
      const dzView = g.view(b.dz);
      dzView.set(g.view(dOutput));
      const input = this.preActivation && g.view(this.preActivation);
      this.other.backward(dzView, { output: g.view(this.output), input }, this.output.cols);
      dz = b.dz;
    }
    const bias = this.layer.weights[1];
    if (bias) {
      this.ops.columnSums(dz.offset, dz.rows, dz.cols, b.dBias.offset);
      grads.set(g.view(b.dBias), bias.offset);
    }
    this.kernelGradient(this.left(input, pass), dz, grads, pass);
    return this.inputGradient(dz);
  }

  /**
   * dK = leftᵀ·dz into `grads`. Of the two ways round, this one streams dz (`rows × units`, a
   * few 8-column panels) through the kernel, where (dzᵀ·left)ᵀ would stream the wide patches:
   * for the convnet's second conv 7.4–7.8 ms against 11.7–12.9 (9.0–10.2 with K split in
   * chunks), measured interleaved.
   */
  protected kernelGradient(left: Matrix, dz: Matrix, grads: Float32Array, _pass: Pass): void {
    const dKernel = this.leftTimes(left, dz);
    grads.set(this.gemm.view(dKernel), this.layer.weights[0].offset);
  }

  /** leftᵀ·dz into (the first `left.cols` rows of) dKernel. */
  protected leftTimes(left: Matrix, dz: Matrix): Matrix {
    const b = this.backwardBuffers();
    const leftT = { ...b.leftT, rows: left.cols, cols: left.rows };
    const dKernel = { ...b.dKernel, rows: left.cols };
    this.transpose(left, leftT);
    this.gemm.multiply(leftT, dz, dKernel, MUL_ADD);
    return dKernel;
  }

  private transpose(m: Matrix, into: Matrix): void {
    this.ops.transpose(m.offset, m.rows, m.cols, into.offset);
  }

  private inputGradient(dz: Matrix): Matrix | undefined {
    const part = this.backwardBuffers().input;
    if (!part) return undefined;
    const g = this.gemm;
    const { kernelT, dCols, dInput } = part;
    this.transpose(this.kernel, kernelT); // the forward's copy of the kernel
    g.multiply(dz, kernelT, dCols, MUL_ADD);
    if (this.grid) this.ops.col2im(dCols.offset, this.capacity, this.grid, dInput.offset);
    return dInput;
  }
}

/**
 * The Dense on the raw input, over the batch's active columns only: its kernel rows gathered
 * to those columns, its kernel gradient scattered back, every other row exactly zero. Exact:
 * an inactive column is zero in every sample, so only zero terms are skipped. A sparse batch
 * multiplies its CSR rows by the kernel rows where they lie instead (sparse-input.ts).
 */
class ActiveColumnsDense extends ProductLayer {
  #sparse: SparseInput | undefined;
  /** The sparse batch's rows in the memory, from its forward for its backward. */
  #csr: CsrRegions | undefined;

  protected override left(input: Matrix, { batch }: Pass): Matrix {
    return { offset: input.offset, rows: this.capacity, cols: batch.width };
  }

  protected override product(params: Float32Array, input: Matrix, pass: Pass): void {
    const { batch } = pass;
    if (!batch.sparse) {
      this.#csr = undefined;
      super.product(params, input, pass);
      return;
    }
    const { rows, cols } = this.kernel;
    this.#sparse ??= new SparseInput(this.gemm, this.capacity, rows, cols, this.kernelOffset);
    this.#csr = this.#sparse.upload(batch.rows);
    this.#sparse.product(this.#csr, params, this.output.offset, batch, pass.weights);
  }

  protected override packKernel(params: Float32Array, { batch }: Pass): PackedMatrix {
    const rows = { ...this.kernel, rows: batch.width };
    const view = this.gemm.view(rows);
    gatherRows(params, this.kernelOffset, rows.cols, batch.columns, batch.width, view, "packed");
    return this.gemm.pack(rows, { ...this.packed, rows: batch.width });
  }

  protected override kernelGradient(
    left: Matrix,
    dz: Matrix,
    grads: Float32Array,
    { batch, weights }: Pass,
  ): void {
    if (this.#csr && this.#sparse) {
      this.#sparse.gradient(this.#csr, dz.offset, grads, weights);
      return;
    }
    const { rows: inputs, cols: units } = this.kernel;
    const rows = this.gemm.view(this.leftTimes(left, dz));
    scatterRows(rows, grads, this.kernelOffset, inputs, units, batch.columns, batch.width);
  }

  private get kernelOffset(): number {
    return this.layer.weights[0].offset;
  }
}

/** MaxPooling2D; applies the ReLU gradient of the layer before it on its own (pooled) grid. */
class PoolLayer implements StepLayer {
  readonly output: Matrix;
  private readonly grid: WindowGrid;
  /** ∂loss/∂input, made at the first backward pass. */
  private dInput: Matrix | undefined;
  /** 2×2 stride-2 tiling: the SIMD kernels; other poolings: the TS loops. */
  private readonly simd: boolean;

  constructor(
    private readonly gemm: Gemm,
    private readonly ops: StepOps,
    private readonly layer: LayerLayout,
    private readonly capacity: number,
    /**
     * The layer before has a ReLU: dy·step(pooled output) is exact, since each window's
     * gradient goes to its maximum, whose value is the pooled output.
     */
    private readonly reluBefore: boolean,
  ) {
    if (layer.spec.kind !== "maxPooling2d") throw new Error("PoolLayer: not a max-pool");
    this.grid = windowGrid(layer.inputShape, layer.spec);
    this.simd = StepOps.handlesPool(this.grid);
    const out = activations(0, capacity, layer.outputShape);
    this.output = gemm.matrix(out.rows, out.cols);
  }

  forward(_params: Float32Array, input: Matrix): void {
    const [g, out] = [this.gemm, this.output];
    if (this.simd) this.ops.maxPool(input.offset, this.capacity, this.grid, out.offset);
    else maxPoolInto(g.view(input), this.capacity, this.grid, g.view(out));
  }

  backward(_params: Float32Array, input: Matrix, dOutput: Matrix): Matrix {
    const dIn = activations(0, this.capacity, this.layer.inputShape);
    this.dInput ??= this.gemm.matrix(dIn.rows, dIn.cols);
    const dy = dOutput.offset;
    if (this.reluBefore) this.ops.reluMask(dy, this.output.offset, dy, dOutput.rows * dOutput.cols);
    if (this.simd) {
      this.ops.maxPoolGradient(input.offset, dy, this.capacity, this.grid, this.dInput.offset);
    } else {
      const g = this.gemm;
      const [x, dyView, dx] = [g.view(input), g.view(dOutput), g.view(this.dInput)];
      maxPoolGradientInto(x, dyView, this.capacity, this.grid, dx);
    }
    return this.dInput;
  }
}

/** Dropout: the batch's mask times the input, and times the gradient on the way back. */
class DropoutLayer implements StepLayer {
  readonly output: Matrix;

  constructor(
    private readonly gemm: Gemm,
    layer: LayerLayout,
    capacity: number,
    /** Which of the step's masks is this layer's. */
    private readonly index: number,
  ) {
    const out = activations(0, capacity, layer.outputShape);
    this.output = gemm.matrix(out.rows, out.cols);
  }

  forward(_params: Float32Array, input: Matrix, { masks }: Pass): void {
    const mask = masks[this.index];
    const into = this.gemm.view(this.output);
    if (mask) multiplyInto(this.gemm.view(input), mask, into);
    else into.set(this.gemm.view(input));
  }

  backward(
    _params: Float32Array,
    _input: Matrix,
    dOutput: Matrix,
    _grads: Float32Array,
    { masks }: Pass,
  ): Matrix {
    const dy = this.gemm.view(dOutput);
    const mask = masks[this.index];
    if (mask) multiplyInto(dy, mask, dy);
    return dOutput;
  }
}

/** Flatten and Reshape: the same channels-last values, seen with another shape. */
class ReshapeLayer implements StepLayer {
  readonly output: Matrix;

  constructor(
    private readonly layer: LayerLayout,
    private readonly capacity: number,
    input: Matrix,
  ) {
    this.output = activations(input.offset, capacity, layer.outputShape);
  }

  forward(): void {}

  backward(_params: Float32Array, _input: Matrix, dOutput: Matrix): Matrix {
    return activations(dOutput.offset, this.capacity, this.layer.inputShape);
  }
}

function multiplyInto(a: Float32Array, b: Float32Array, into: Float32Array): void {
  for (let i = 0; i < into.length; i++) into[i] = a[i] * b[i];
}
