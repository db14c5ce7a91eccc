;; A Dense layer's kernel gradient over sparse inputs (src/worker/sparse-input.ts), in
;; WebAssembly SIMD (128-bit): it adds value·dz[sample] into exactly the kernel rows of the
;; batch's nonzero inputs. The same bits as its plain-TS twin (test/support/sparse-rows-loops.ts):
;; per lane, a multiply then an add (never fused), from +0, samples in order. The product is
;; sparse-product.wat.
;;
;; Why the shape: a sum runs over a chunk of up to 32 floats held in registers (one load per
;; multiply-add) rather than an axpy into memory (two loads and a store). So the gradient, a
;; sum per kernel row, first sorts the entries by kernel row (a stable counting sort, so each
;; row still adds its samples in order) into the caller's scratch region; rows under 48 units
;; are scattered into instead, each sample's dz held in registers a 16-float chunk at a time
;; (the book's Dense(16) on multi-hot text: ~4 entries a kernel row).
;;
;; Two memories: the kernel gradient lies in `weights`, a shared memory (the training plane's,
;; so a worker writes it in place, with no copy); the CSR, dz and the scratch lie in `memory`
;; (the step's), which comes first: the engines reach memory 0 fastest, and dz rows are the hot
;; loads here. Every access names its memory.
;;
;; All pointers are byte offsets into their memory (checked by sparse-rows.ts); an index past
;; the kernel's rows or a rowStart that goes backwards traps (`unreachable`) before any
;; out-of-range access. The scratch holds 2·entries + kernel rows + 1 words.
;; `npm run build:wasm` assembles this into sparse-gradient.wasm.ts (features: simd, threads,
;; multi-memory).
(module
  (import "env" "memory" (memory $step 1))
  (import "env" "weights" (memory $weights 1 65536 shared))

  ;; dst[0..32) = Σ value[k]·base[offset[k] .. + 32) over k in [k, end), from +0, in order.
  (func $sum8x4 (param $k i32) (param $end i32) (param $offset i32) (param $value i32)
    (param $base i32) (param $dst i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $v v128) (local $p i32)
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $v (f32x4.splat
          (f32.load $step (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $p (i32.add (local.get $base)
          (i32.load $step (i32.add (local.get $offset) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $a0 (f32x4.add (local.get $a0)
          (f32x4.mul (local.get $v) (v128.load $step (local.get $p)))))
        (local.set $a1 (f32x4.add (local.get $a1)
          (f32x4.mul (local.get $v) (v128.load $step offset=16 (local.get $p)))))
        (local.set $a2 (f32x4.add (local.get $a2)
          (f32x4.mul (local.get $v) (v128.load $step offset=32 (local.get $p)))))
        (local.set $a3 (f32x4.add (local.get $a3)
          (f32x4.mul (local.get $v) (v128.load $step offset=48 (local.get $p)))))
        (local.set $a4 (f32x4.add (local.get $a4)
          (f32x4.mul (local.get $v) (v128.load $step offset=64 (local.get $p)))))
        (local.set $a5 (f32x4.add (local.get $a5)
          (f32x4.mul (local.get $v) (v128.load $step offset=80 (local.get $p)))))
        (local.set $a6 (f32x4.add (local.get $a6)
          (f32x4.mul (local.get $v) (v128.load $step offset=96 (local.get $p)))))
        (local.set $a7 (f32x4.add (local.get $a7)
          (f32x4.mul (local.get $v) (v128.load $step offset=112 (local.get $p)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (v128.store $weights (local.get $dst) (local.get $a0))
    (v128.store $weights offset=16 (local.get $dst) (local.get $a1))
    (v128.store $weights offset=32 (local.get $dst) (local.get $a2))
    (v128.store $weights offset=48 (local.get $dst) (local.get $a3))
    (v128.store $weights offset=64 (local.get $dst) (local.get $a4))
    (v128.store $weights offset=80 (local.get $dst) (local.get $a5))
    (v128.store $weights offset=96 (local.get $dst) (local.get $a6))
    (v128.store $weights offset=112 (local.get $dst) (local.get $a7)))

  ;; dst[0..16) = Σ value[k]·base[offset[k] .. + 16) over k in [k, end), from +0, in order.
  (func $sum4x4 (param $k i32) (param $end i32) (param $offset i32) (param $value i32)
    (param $base i32) (param $dst i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $v v128) (local $p i32)
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $v (f32x4.splat
          (f32.load $step (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $p (i32.add (local.get $base)
          (i32.load $step (i32.add (local.get $offset) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $a0 (f32x4.add (local.get $a0)
          (f32x4.mul (local.get $v) (v128.load $step (local.get $p)))))
        (local.set $a1 (f32x4.add (local.get $a1)
          (f32x4.mul (local.get $v) (v128.load $step offset=16 (local.get $p)))))
        (local.set $a2 (f32x4.add (local.get $a2)
          (f32x4.mul (local.get $v) (v128.load $step offset=32 (local.get $p)))))
        (local.set $a3 (f32x4.add (local.get $a3)
          (f32x4.mul (local.get $v) (v128.load $step offset=48 (local.get $p)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (v128.store $weights (local.get $dst) (local.get $a0))
    (v128.store $weights offset=16 (local.get $dst) (local.get $a1))
    (v128.store $weights offset=32 (local.get $dst) (local.get $a2))
    (v128.store $weights offset=48 (local.get $dst) (local.get $a3)))

  ;; dst[0..4) = Σ value[k]·base[offset[k] .. + 4) over k in [k, end), from +0, in order.
  (func $sum1x4 (param $k i32) (param $end i32) (param $offset i32) (param $value i32)
    (param $base i32) (param $dst i32)
    (local $a0 v128) (local $v v128) (local $p i32)
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $v (f32x4.splat
          (f32.load $step (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $p (i32.add (local.get $base)
          (i32.load $step (i32.add (local.get $offset) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $a0 (f32x4.add (local.get $a0)
          (f32x4.mul (local.get $v) (v128.load $step (local.get $p)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (v128.store $weights (local.get $dst) (local.get $a0)))


  ;; dst[0] = Σ value[k]·base[offset[k]] over k in [k, end), from +0, in order.
  (func $sum1 (param $k i32) (param $end i32) (param $offset i32) (param $value i32)
    (param $base i32) (param $dst i32)
    (local $a f32)
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $a (f32.add (local.get $a)
          (f32.mul
            (f32.load $step (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2))))
            (f32.load $step (i32.add (local.get $base)
              (i32.load $step (i32.add (local.get $offset) (i32.shl (local.get $k) (i32.const 2)))))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (f32.store $weights (local.get $dst) (local.get $a)))

  ;; The `units` floats of dst, each the sum over entries [k, end): in chunks of 32, 16, 4, 1.
  (func $sumRow (param $k i32) (param $end i32) (param $offset i32) (param $value i32)
    (param $base i32) (param $dst i32) (param $units i32)
    (local $left i32)
    (local.set $left (local.get $units))
    (block $done
      (loop $chunks
        (if (i32.ge_u (local.get $left) (i32.const 32))
          (then
            (call $sum8x4 (local.get $k) (local.get $end) (local.get $offset) (local.get $value)
              (local.get $base) (local.get $dst))
            (local.set $left (i32.sub (local.get $left) (i32.const 32)))
            (local.set $base (i32.add (local.get $base) (i32.const 128)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
            (br $chunks)))
        (if (i32.ge_u (local.get $left) (i32.const 16))
          (then
            (call $sum4x4 (local.get $k) (local.get $end) (local.get $offset) (local.get $value)
              (local.get $base) (local.get $dst))
            (local.set $left (i32.sub (local.get $left) (i32.const 16)))
            (local.set $base (i32.add (local.get $base) (i32.const 64)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
            (br $chunks)))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then
            (call $sum1x4 (local.get $k) (local.get $end) (local.get $offset) (local.get $value)
              (local.get $base) (local.get $dst))
            (local.set $left (i32.sub (local.get $left) (i32.const 4)))
            (local.set $base (i32.add (local.get $base) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $chunks)))
        (br_if $done (i32.eqz (local.get $left)))
        (call $sum1 (local.get $k) (local.get $end) (local.get $offset) (local.get $value)
          (local.get $base) (local.get $dst))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (local.set $base (i32.add (local.get $base) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $chunks))))

  ;; rowStart[r] (int32 r of the array at $rowStart).
  (func $at (param $array i32) (param $r i32) (result i32)
    (i32.load $step (i32.add (local.get $array) (i32.shl (local.get $r) (i32.const 2)))))

  ;; Traps unless rowStart[0] ≤ rowStart[1] ≤ … ≤ rowStart[rows].
  (func $checkRows (param $rowStart i32) (param $rows i32)
    (local $r i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (if (i32.lt_s (call $at (local.get $rowStart) (i32.add (local.get $r) (i32.const 1)))
              (call $at (local.get $rowStart) (local.get $r)))
          (then unreachable))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $each))))

  ;; index[k] for a k of the batch; traps at or past $kernelRows.
  (func $kernelRow (param $index i32) (param $k i32) (param $kernelRows i32) (result i32)
    (local $j i32)
    (local.set $j (call $at (local.get $index) (local.get $k)))
    (if (i32.ge_u (local.get $j) (local.get $kernelRows)) (then unreachable))
    (local.get $j))

  ;; dw[row(k) + 0..16) += value[k]·dz[0..16) for k in [k, end), in order: one sample's entries
  ;; into one 16-float chunk of their kernel rows, the chunk of dz held in registers.
  (func $scatter16 (param $k i32) (param $end i32) (param $index i32) (param $value i32)
    (param $dz i32) (param $dw i32) (param $dwRows i32) (param $rowBytes i32)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128) (local $v v128) (local $p i32)
    (local.set $d0 (v128.load $step (local.get $dz)))
    (local.set $d1 (v128.load $step offset=16 (local.get $dz)))
    (local.set $d2 (v128.load $step offset=32 (local.get $dz)))
    (local.set $d3 (v128.load $step offset=48 (local.get $dz)))
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $v (f32x4.splat
          (f32.load $step (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $p (i32.add (local.get $dw)
          (i32.mul (call $kernelRow (local.get $index) (local.get $k) (local.get $dwRows))
            (local.get $rowBytes))))
        (v128.store $weights (local.get $p) (f32x4.add (v128.load $weights (local.get $p))
          (f32x4.mul (local.get $v) (local.get $d0))))
        (v128.store $weights offset=16 (local.get $p) (f32x4.add (v128.load $weights offset=16 (local.get $p))
          (f32x4.mul (local.get $v) (local.get $d1))))
        (v128.store $weights offset=32 (local.get $p) (f32x4.add (v128.load $weights offset=32 (local.get $p))
          (f32x4.mul (local.get $v) (local.get $d2))))
        (v128.store $weights offset=48 (local.get $p) (f32x4.add (v128.load $weights offset=48 (local.get $p))
          (f32x4.mul (local.get $v) (local.get $d3))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries))))

  ;; As $scatter16 for a 4-float chunk.
  (func $scatter4 (param $k i32) (param $end i32) (param $index i32) (param $value i32)
    (param $dz i32) (param $dw i32) (param $dwRows i32) (param $rowBytes i32)
    (local $d0 v128) (local $p i32)
    (local.set $d0 (v128.load $step (local.get $dz)))
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $p (i32.add (local.get $dw)
          (i32.mul (call $kernelRow (local.get $index) (local.get $k) (local.get $dwRows))
            (local.get $rowBytes))))
        (v128.store $weights (local.get $p) (f32x4.add (v128.load $weights (local.get $p))
          (f32x4.mul
            (f32x4.splat
              (f32.load $step (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2)))))
            (local.get $d0))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries))))

  ;; As $scatter16 for one float.
  (func $scatter1 (param $k i32) (param $end i32) (param $index i32) (param $value i32)
    (param $dz i32) (param $dw i32) (param $dwRows i32) (param $rowBytes i32)
    (local $d f32) (local $p i32)
    (local.set $d (f32.load $step (local.get $dz)))
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $p (i32.add (local.get $dw)
          (i32.mul (call $kernelRow (local.get $index) (local.get $k) (local.get $dwRows))
            (local.get $rowBytes))))
        (f32.store $weights (local.get $p) (f32.add (f32.load $weights (local.get $p))
          (f32.mul
            (f32.load $step (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2))))
            (local.get $d))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries))))

  ;; The gradient for narrow rows (units < 48): dw = 0, then each entry's value·dz[r] added
  ;; into its kernel row, samples in order, a 16-, 4- or 1-float chunk of the row at a time
  ;; (each dw float still gets its entries in order). Sorting costs more than the load and
  ;; store per quad it saves (one thread, Bun: 256 samples × 150 entries of 10,000 inputs, 16
  ;; units 0.17 ms scattered; 32 units 0.31 scattered vs 0.45 sorted; 48 units even; 64 units
  ;; 0.78 vs 0.65; MNIST's 64 × 150 of 784 at 512 units 1.3 vs 0.5-0.8).
  (func $scatterGradient
    (param $rowStart i32) (param $index i32) (param $value i32) (param $rows i32)
    (param $dz i32) (param $units i32) (param $dw i32) (param $dwRows i32)
    (local $r i32) (local $k i32) (local $end i32) (local $rowBytes i32) (local $c i32)
    (local.set $rowBytes (i32.shl (local.get $units) (i32.const 2)))
    (memory.fill $weights (local.get $dw) (i32.const 0)
      (i32.mul (local.get $dwRows) (local.get $rowBytes)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $k (call $at (local.get $rowStart) (local.get $r)))
        (local.set $end (call $at (local.get $rowStart) (i32.add (local.get $r) (i32.const 1))))
        ;; $c: the chunk's first unit.
        (local.set $c (i32.const 0))
        (block $sixteensDone
          (loop $sixteens
            (br_if $sixteensDone (i32.gt_u (i32.add (local.get $c) (i32.const 16)) (local.get $units)))
            (call $scatter16 (local.get $k) (local.get $end) (local.get $index) (local.get $value)
              (i32.add (local.get $dz) (i32.shl (local.get $c) (i32.const 2)))
              (i32.add (local.get $dw) (i32.shl (local.get $c) (i32.const 2)))
              (local.get $dwRows) (local.get $rowBytes))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $sixteens)))
        (block $quadsDone
          (loop $quads
            (br_if $quadsDone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $units)))
            (call $scatter4 (local.get $k) (local.get $end) (local.get $index) (local.get $value)
              (i32.add (local.get $dz) (i32.shl (local.get $c) (i32.const 2)))
              (i32.add (local.get $dw) (i32.shl (local.get $c) (i32.const 2)))
              (local.get $dwRows) (local.get $rowBytes))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $quads)))
        (block $singlesDone
          (loop $singles
            (br_if $singlesDone (i32.ge_u (local.get $c) (local.get $units)))
            (call $scatter1 (local.get $k) (local.get $end) (local.get $index) (local.get $value)
              (i32.add (local.get $dz) (i32.shl (local.get $c) (i32.const 2)))
              (i32.add (local.get $dw) (i32.shl (local.get $c) (i32.const 2)))
              (local.get $dwRows) (local.get $rowBytes))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $singles)))
        (local.set $dz (i32.add (local.get $dz) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop))))

  ;; dw[j] = Σ value[k]·dz[r] over the entries k naming kernel row j (samples r in order), from
  ;; +0, for every j < dwRows (in `weights`); dz is rows × units. The scratch ($entries the index region's
  ;; size) holds the entries sorted by kernel row: dz row offsets, values, then the row starts.
  (func (export "sparseGradient")
    (param $rowStart i32) (param $index i32) (param $value i32) (param $rows i32)
    (param $dz i32) (param $units i32) (param $dw i32) (param $dwRows i32) (param $scratch i32)
    (param $entries i32)
    (local $r i32) (local $k i32) (local $end i32) (local $j i32) (local $at i32) (local $from i32)
    (local $rowBytes i32) (local $sortedValue i32) (local $starts i32)
    (local.set $rowBytes (i32.shl (local.get $units) (i32.const 2)))
    (local.set $sortedValue (i32.add (local.get $scratch) (i32.shl (local.get $entries) (i32.const 2))))
    (local.set $starts (i32.add (local.get $sortedValue) (i32.shl (local.get $entries) (i32.const 2))))
    (call $checkRows (local.get $rowStart) (local.get $rows))
    (if (i32.lt_u (local.get $units) (i32.const 48))
      (then
        (call $scatterGradient (local.get $rowStart) (local.get $index) (local.get $value)
          (local.get $rows) (local.get $dz) (local.get $units) (local.get $dw) (local.get $dwRows))
        (return)))
    (memory.fill $step (local.get $starts) (i32.const 0)
      (i32.shl (i32.add (local.get $dwRows) (i32.const 1)) (i32.const 2)))
    ;; starts[j + 1] = entries naming row j; then the running sum: starts[j] = row j's first.
    (local.set $k (call $at (local.get $rowStart) (i32.const 0)))
    (local.set $end (call $at (local.get $rowStart) (local.get $rows)))
    (block $countDone
      (loop $count
        (br_if $countDone (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $at (i32.add (local.get $starts) (i32.shl
          (i32.add (call $kernelRow (local.get $index) (local.get $k) (local.get $dwRows))
            (i32.const 1))
          (i32.const 2))))
        (i32.store $step (local.get $at) (i32.add (i32.load $step (local.get $at)) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $count)))
    (local.set $j (i32.const 1))
    (block $sumDone
      (loop $sum
        (br_if $sumDone (i32.gt_u (local.get $j) (local.get $dwRows)))
        (local.set $at (i32.add (local.get $starts) (i32.shl (local.get $j) (i32.const 2))))
        (i32.store $step (local.get $at)
          (i32.add (i32.load $step (local.get $at)) (i32.load $step offset=0 (i32.sub (local.get $at) (i32.const 4)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sum)))
    ;; Place each entry at its row's next slot; after this, starts[j] is row j's end.
    (block $placeRowsDone
      (loop $placeRows
        (br_if $placeRowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $k (call $at (local.get $rowStart) (local.get $r)))
        (local.set $end (call $at (local.get $rowStart) (i32.add (local.get $r) (i32.const 1))))
        (block $placeDone
          (loop $place
            (br_if $placeDone (i32.ge_u (local.get $k) (local.get $end)))
            (local.set $at (i32.add (local.get $starts)
              (i32.shl (call $at (local.get $index) (local.get $k)) (i32.const 2))))
            (local.set $j (i32.load $step (local.get $at)))
            (i32.store $step (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2)))
              (i32.mul (local.get $r) (local.get $rowBytes)))
            (f32.store $step (i32.add (local.get $sortedValue) (i32.shl (local.get $j) (i32.const 2)))
              (f32.load $step (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2)))))
            (i32.store $step (local.get $at) (i32.add (local.get $j) (i32.const 1)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $place)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $placeRows)))
    (local.set $j (i32.const 0))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $j) (local.get $dwRows)))
        (local.set $end (call $at (local.get $starts) (local.get $j)))
        (call $sumRow (local.get $from) (local.get $end) (local.get $scratch)
          (local.get $sortedValue) (local.get $dz) (local.get $dw) (local.get $units))
        (local.set $from (local.get $end))
        (local.set $dw (i32.add (local.get $dw) (local.get $rowBytes)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $rowsLoop)))))
