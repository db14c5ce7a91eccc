;; The data-parallel reduce + Adagrad update of one worker's slice [lo, hi), two elements at a
;; time in WebAssembly SIMD, (hi − lo) even (optimizer-simd.ts does an odd last element with
;; the TS loop):
;;   g = Σ rows (in row order, in float32); a ← a + g·g; w ← w − lr·g / √(a + ε).
;;
;; Bit for bit what adagradUpdateSum (src/core/optim/adagrad.ts) computes: the JS loop works in
;; float64 and rounds to float32 on store, so this does too (one f64x2 per pair), with the same
;; operations in the same order.
;;
;; Pointers are byte offsets into the shared memory; gradient row r starts at grads + r·stride.
;; `npm run build:wasm` assembles this into adagrad-simd.wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; g of the pair at byte offset $at: row 0 + row 1 + … (float32 adds, in row order), in float64
  (func $gradientPair
    (param $grads i32) (param $stride i32) (param $rowsEnd i32) (param $at i32) (result v128)
    (local $g v128) (local $row i32)
    local.get $grads local.get $at i32.add v128.load64_zero local.set $g
    local.get $grads local.get $stride i32.add local.set $row
    block $summed
      loop $sum
        local.get $row local.get $rowsEnd i32.ge_u br_if $summed
        local.get $g
        local.get $row local.get $at i32.add v128.load64_zero
        f32x4.add local.set $g
        local.get $row local.get $stride i32.add local.set $row
        br $sum
      end
    end
    local.get $g f64x2.promote_low_f32x4
  )

  (func (export "adagradUpdateSum")
    (param $grads i32) (param $rows i32) (param $stride i32)
    (param $params i32) (param $accumulator i32)
    (param $nextParams i32) (param $nextAccumulator i32)
    (param $lo i32) (param $hi i32)
    (param $lr f64) (param $epsilon f64)
    (local $at i32) (local $end i32) (local $rowsEnd i32)
    (local $g v128) (local $a v128)
    (local $lr2 v128) (local $epsilon2 v128)

    local.get $lr      f64x2.splat local.set $lr2
    local.get $epsilon f64x2.splat local.set $epsilon2

    ;; Byte offsets: $at walks [lo, hi) by pairs.
    local.get $lo i32.const 2 i32.shl local.set $at
    local.get $hi i32.const 2 i32.shl local.set $end
    local.get $rows local.get $stride i32.mul local.get $grads i32.add local.set $rowsEnd

    block $done
      loop $pairs
        local.get $at local.get $end i32.ge_u br_if $done

        local.get $grads local.get $stride local.get $rowsEnd local.get $at call $gradientPair
        local.set $g

        ;; a' = a + g·g
        local.get $accumulator local.get $at i32.add v128.load64_zero f64x2.promote_low_f32x4
        local.get $g local.get $g f64x2.mul
        f64x2.add local.set $a
        local.get $nextAccumulator local.get $at i32.add
        local.get $a f32x4.demote_f64x2_zero
        v128.store64_lane 0

        ;; w' = w − (lr·g) / √(a' + ε)
        local.get $nextParams local.get $at i32.add
        local.get $params local.get $at i32.add v128.load64_zero f64x2.promote_low_f32x4
        local.get $lr2 local.get $g f64x2.mul
        local.get $a local.get $epsilon2 f64x2.add f64x2.sqrt
        f64x2.div
        f64x2.sub
        f32x4.demote_f64x2_zero
        v128.store64_lane 0

        local.get $at i32.const 8 i32.add local.set $at
        br $pairs
      end
    end
  )
)
