;; The first Dense layer over sparse inputs (src/worker/sparse-rows-dense.ts), in WebAssembly
;; SIMD (128-bit): a batch in CSR form (rowStart, index, value) times a kernel is, per sample,
;; the sum of the kernel rows of its nonzero inputs, each scaled by its value (an axpy over a
;; row); the kernel gradient adds value·dz[sample] into exactly those rows. Each gives the same
;; bits as its plain-TS twin (test/support/sparse-rows-loops.ts): per lane, a multiply then an
;; add (never fused), in CSR order.
;;
;; All pointers are byte offsets into the imported memory (checked by sparse-rows.ts); an index
;; past the kernel's rows or a rowStart that goes backwards traps (`unreachable`) before any
;; out-of-range access.
;; `npm run build:wasm` assembles this into sparse-rows.wasm.ts (features: simd).
(module
  (import "env" "memory" (memory 1))

  ;; dst[i] = dst[i] + v·src[i] for n floats.
  (func $axpy (param $v f32) (param $src i32) (param $dst i32) (param $n i32)
    (local $vv v128)
    (local.set $vv (f32x4.splat (local.get $v)))
    (block $quadsDone
      (loop $quads
        (br_if $quadsDone (i32.lt_u (local.get $n) (i32.const 4)))
        (v128.store (local.get $dst)
          (f32x4.add (v128.load (local.get $dst))
            (f32x4.mul (local.get $vv) (v128.load (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))
        (br $quads)))
    (block $done
      (loop $singles
        (br_if $done (i32.eqz (local.get $n)))
        (f32.store (local.get $dst)
          (f32.add (f32.load (local.get $dst)) (f32.mul (local.get $v) (f32.load (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $singles))))

  ;; n floats of +0 from dst.
  (func $zero (param $dst i32) (param $n i32)
    (block $quadsDone
      (loop $quads
        (br_if $quadsDone (i32.lt_u (local.get $n) (i32.const 4)))
        (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))
        (br $quads)))
    (block $done
      (loop $singles
        (br_if $done (i32.eqz (local.get $n)))
        (i32.store (local.get $dst) (i32.const 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $singles))))

  ;; Byte offset of row index[k] of a matrix at $m with $rowBytes per row; traps past $mRows.
  (func $rowOf (param $index i32) (param $k i32) (param $m i32) (param $mRows i32)
    (param $rowBytes i32) (result i32)
    (local $j i32)
    (local.set $j (i32.load (i32.add (local.get $index) (i32.shl (local.get $k) (i32.const 2)))))
    (if (i32.ge_u (local.get $j) (local.get $mRows)) (then unreachable))
    (i32.add (local.get $m) (i32.mul (local.get $j) (local.get $rowBytes))))

  ;; Entries rowStart[r]..rowStart[r+1] of sample r; traps if they go backwards.
  (func $end (param $rowStart i32) (param $r i32) (param $k i32) (result i32)
    (local $end i32)
    (local.set $end (i32.load (i32.add (local.get $rowStart)
      (i32.shl (i32.add (local.get $r) (i32.const 1)) (i32.const 2)))))
    (if (i32.lt_u (local.get $end) (local.get $k)) (then unreachable))
    (local.get $end))

  ;; out[r] = Σ_k value[k]·w[index[k]] over sample r's entries, from +0, for r < rows;
  ;; w is wRows × units, out rows × units.
  (func (export "sparseProduct")
    (param $rowStart i32) (param $index i32) (param $value i32) (param $rows i32)
    (param $w i32) (param $wRows i32) (param $units i32) (param $out i32)
    (local $r i32) (local $k i32) (local $end i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $units) (i32.const 2)))
    (local.set $k (i32.load (local.get $rowStart)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (call $zero (local.get $out) (local.get $units))
        (local.set $end (call $end (local.get $rowStart) (local.get $r) (local.get $k)))
        (block $entriesDone
          (loop $entries
            (br_if $entriesDone (i32.ge_u (local.get $k) (local.get $end)))
            (call $axpy
              (f32.load (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2))))
              (call $rowOf (local.get $index) (local.get $k) (local.get $w) (local.get $wRows)
                (local.get $rowBytes))
              (local.get $out) (local.get $units))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $entries)))
        (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop))))

  ;; dw = 0 (dwRows × units), then dw[index[k]] += value[k]·dz[r] over each sample r's entries,
  ;; samples in order; dz is rows × units.
  (func (export "sparseGradient")
    (param $rowStart i32) (param $index i32) (param $value i32) (param $rows i32)
    (param $dz i32) (param $units i32) (param $dw i32) (param $dwRows i32)
    (local $r i32) (local $k i32) (local $end i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $units) (i32.const 2)))
    (call $zero (local.get $dw) (i32.mul (local.get $dwRows) (local.get $units)))
    (local.set $k (i32.load (local.get $rowStart)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $end (call $end (local.get $rowStart) (local.get $r) (local.get $k)))
        (block $entriesDone
          (loop $entries
            (br_if $entriesDone (i32.ge_u (local.get $k) (local.get $end)))
            (call $axpy
              (f32.load (i32.add (local.get $value) (i32.shl (local.get $k) (i32.const 2))))
              (local.get $dz)
              (call $rowOf (local.get $index) (local.get $k) (local.get $dw) (local.get $dwRows)
                (local.get $rowBytes))
              (local.get $units))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $entries)))
        (local.set $dz (i32.add (local.get $dz) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop)))))
