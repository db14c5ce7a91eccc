import { type SparseRows, sparseRowsBytes } from "./csr.ts";
import { isSparseRows, type SampleSet, sampleSize } from "./dataset.ts";

/**
 * A sample set whose inputs are CSR rows (dataset.ts `SparseRows`). A worker's batch filler
 * reads the rows as they are (src/worker/batch.ts), so no sample is ever densified for a
 * sparse step.
 */
export type SparseSamples = SampleSet & { readonly x: SparseRows };

/**
 * The set as CSR rows where they take fewer bytes than its dense inputs (4 bytes an index, 4
 * more a value unless every one is 1, against a byte a pixel or 4 bytes a float), else the set
 * itself; pixels are divided by 255 as a worker does. A set of CSR rows stays as it is. One
 * counting pass decides first.
 */
export function compactSamples(set: SampleSet): SampleSet {
  const { x } = set;
  if (isSparseRows(x)) return set;
  const counted = countNonzero(x);
  const bytes = sparseRowsBytes(set.count, counted.entries, !counted.allOnes);
  return bytes >= x.byteLength ? set : toSparseSamples(set, counted);
}

/** The set's nonzero inputs as CSR rows (pixels divided by 255), whatever their density. */
export function toSparseSamples(
  set: SampleSet,
  counted?: { entries: number; allOnes: boolean },
): SparseSamples {
  const { x } = set;
  if (isSparseRows(x)) return { ...set, x };
  const { entries, allOnes } = counted ?? countNonzero(x);
  const width = sampleSize(set);
  const divisor = x instanceof Uint8Array ? 255 : 1;
  const rowStart = new Uint32Array(set.count + 1);
  const index = new Uint32Array(entries);
  const value = allOnes ? undefined : new Float32Array(entries);
  let e = 0;
  for (let i = 0; i < set.count; i++) {
    for (let j = 0; j < width; j++) {
      const v = x[i * width + j];
      if (v === 0) continue;
      if (value) value[e] = v / divisor;
      index[e++] = j;
    }
    rowStart[i + 1] = e;
  }
  return { ...set, x: { rowStart, index, value } };
}

/**
 * The nonzero inputs and whether each is 1 once scaled (pixel bytes by 1/255). An indexed loop:
 * for-of over a typed array took 1,043 ms for MNIST's 47 MB here, this 80.
 */
function countNonzero(x: Uint8Array | Float32Array): { entries: number; allOnes: boolean } {
  const one = x instanceof Uint8Array ? 255 : 1;
  let entries = 0;
  let allOnes = true;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === 0) continue;
    entries++;
    if (v !== one) allOnes = false;
  }
  return { entries, allOnes };
}
