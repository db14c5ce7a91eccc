;; A Dense layer's product over sparse inputs (src/worker/sparse-input.ts), in WebAssembly SIMD
;; (128-bit): a batch in CSR form (rowStart, index, value) times a kernel is, per sample, the
;; sum of the kernel rows of its nonzero inputs, each scaled by its value. The same bits as its
;; plain-TS twin (test/support/sparse-rows-loops.ts): per lane, a multiply then an add (never
;; fused), from +0, in CSR order. Its gradient is sparse-gradient.wat.
;;
;; Why the shape: a sum runs over a chunk of up to 32 floats held in registers (one load per
;; multiply-add) rather than an axpy into memory (two loads and a store).
;;
;; Two memories: the kernel lies in `weights`, a shared memory (the training plane's, so a
;; worker reads its kernel rows where they lie, with no copy); the CSR, the output and the
;; scratch lie in `memory` (the step's). `weights` comes first: the engines reach memory 0
;; fastest, and the kernel rows are the hot loads here (Bun: product 0.77 → 0.67 ms at MNIST's
;; shape). Every access names its memory.
;;
;; All pointers are byte offsets into their memory (checked by sparse-rows.ts); an index past
;; the kernel's rows or a rowStart that goes backwards traps (`unreachable`) before any
;; out-of-range access. The scratch holds an offset per entry.
;; `npm run build:wasm` assembles this into sparse-product.wasm.ts (features: simd, threads,
;; multi-memory).
(module
  (import "env" "weights" (memory $weights 1 65536 shared))
  (import "env" "memory" (memory $step 1))

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
          (f32x4.mul (local.get $v) (v128.load $weights (local.get $p)))))
        (local.set $a1 (f32x4.add (local.get $a1)
          (f32x4.mul (local.get $v) (v128.load $weights offset=16 (local.get $p)))))
        (local.set $a2 (f32x4.add (local.get $a2)
          (f32x4.mul (local.get $v) (v128.load $weights offset=32 (local.get $p)))))
        (local.set $a3 (f32x4.add (local.get $a3)
          (f32x4.mul (local.get $v) (v128.load $weights offset=48 (local.get $p)))))
        (local.set $a4 (f32x4.add (local.get $a4)
          (f32x4.mul (local.get $v) (v128.load $weights offset=64 (local.get $p)))))
        (local.set $a5 (f32x4.add (local.get $a5)
          (f32x4.mul (local.get $v) (v128.load $weights offset=80 (local.get $p)))))
        (local.set $a6 (f32x4.add (local.get $a6)
          (f32x4.mul (local.get $v) (v128.load $weights offset=96 (local.get $p)))))
        (local.set $a7 (f32x4.add (local.get $a7)
          (f32x4.mul (local.get $v) (v128.load $weights offset=112 (local.get $p)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (v128.store $step (local.get $dst) (local.get $a0))
    (v128.store $step offset=16 (local.get $dst) (local.get $a1))
    (v128.store $step offset=32 (local.get $dst) (local.get $a2))
    (v128.store $step offset=48 (local.get $dst) (local.get $a3))
    (v128.store $step offset=64 (local.get $dst) (local.get $a4))
    (v128.store $step offset=80 (local.get $dst) (local.get $a5))
    (v128.store $step offset=96 (local.get $dst) (local.get $a6))
    (v128.store $step offset=112 (local.get $dst) (local.get $a7)))

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
          (f32x4.mul (local.get $v) (v128.load $weights (local.get $p)))))
        (local.set $a1 (f32x4.add (local.get $a1)
          (f32x4.mul (local.get $v) (v128.load $weights offset=16 (local.get $p)))))
        (local.set $a2 (f32x4.add (local.get $a2)
          (f32x4.mul (local.get $v) (v128.load $weights offset=32 (local.get $p)))))
        (local.set $a3 (f32x4.add (local.get $a3)
          (f32x4.mul (local.get $v) (v128.load $weights offset=48 (local.get $p)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (v128.store $step (local.get $dst) (local.get $a0))
    (v128.store $step offset=16 (local.get $dst) (local.get $a1))
    (v128.store $step offset=32 (local.get $dst) (local.get $a2))
    (v128.store $step offset=48 (local.get $dst) (local.get $a3)))

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
          (f32x4.mul (local.get $v) (v128.load $weights (local.get $p)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (v128.store $step (local.get $dst) (local.get $a0)))


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
            (f32.load $weights (i32.add (local.get $base)
              (i32.load $step (i32.add (local.get $offset) (i32.shl (local.get $k) (i32.const 2)))))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (f32.store $step (local.get $dst) (local.get $a)))

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

  ;; out[r] = Σ_k value[k]·w[index[k]] over sample r's entries, from +0, for r < rows;
  ;; w (in `weights`) is wRows × units, out rows × units. The scratch gets each entry's kernel row offset.
  (func (export "sparseProduct")
    (param $rowStart i32) (param $index i32) (param $value i32) (param $rows i32)
    (param $w i32) (param $wRows i32) (param $units i32) (param $out i32) (param $scratch i32)
    (local $r i32) (local $k i32) (local $end i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $units) (i32.const 2)))
    (call $checkRows (local.get $rowStart) (local.get $rows))
    (local.set $k (call $at (local.get $rowStart) (i32.const 0)))
    (local.set $end (call $at (local.get $rowStart) (local.get $rows)))
    (block $offsetsDone
      (loop $offsets
        (br_if $offsetsDone (i32.ge_u (local.get $k) (local.get $end)))
        (i32.store $step (i32.add (local.get $scratch) (i32.shl (local.get $k) (i32.const 2)))
          (i32.mul (call $kernelRow (local.get $index) (local.get $k) (local.get $wRows))
            (local.get $rowBytes)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $offsets)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (call $sumRow (call $at (local.get $rowStart) (local.get $r))
          (call $at (local.get $rowStart) (i32.add (local.get $r) (i32.const 1)))
          (local.get $scratch) (local.get $value) (local.get $w) (local.get $out) (local.get $units))
        (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop)))))
