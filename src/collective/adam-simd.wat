;; The data-parallel reduce + Adam (or AdamW) update of one worker's slice [lo, hi), two
;; elements at a time in WebAssembly SIMD, (hi − lo) even (optimizer-simd.ts does an odd last
;; element with the TS loop):
;;   g = Σ rows (in row order, in float32); w ← w − w·decay;
;;   m ← m + (g − m)·(1 − β₁); v ← v + (g·g − v)·(1 − β₂); w ← w − m·α / (√v + ε).
;;
;; Bit for bit what adamUpdateSum (src/core/optim/adam.ts) computes: the JS loop works in
;; float64 and rounds to float32 on store, so this does too (one f64x2 per pair), with the same
;; operations in the same order; α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) and decay = lr·wd (0 for Adam)
;; come computed from TS (adamConstants).
;;
;; Pointers are byte offsets into the shared memory; gradient row r starts at grads + r·stride.
;; `npm run build:wasm` assembles this into adam-simd.wasm.ts.
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

  (func (export "adamUpdateSum")
    (param $grads i32) (param $rows i32) (param $stride i32)
    (param $params i32) (param $momentum i32) (param $velocity i32)
    (param $nextParams i32) (param $nextMomentum i32) (param $nextVelocity i32)
    (param $lo i32) (param $hi i32)
    (param $stepSize f64) (param $oneMinusBeta1 f64) (param $oneMinusBeta2 f64)
    (param $epsilon f64) (param $decay f64)
    (local $at i32) (local $end i32) (local $rowsEnd i32)
    (local $g v128) (local $w v128) (local $m v128) (local $v v128)
    (local $stepSize2 v128) (local $oneMinusBeta12 v128) (local $oneMinusBeta22 v128)
    (local $epsilon2 v128) (local $decay2 v128)

    local.get $stepSize      f64x2.splat local.set $stepSize2
    local.get $oneMinusBeta1 f64x2.splat local.set $oneMinusBeta12
    local.get $oneMinusBeta2 f64x2.splat local.set $oneMinusBeta22
    local.get $epsilon       f64x2.splat local.set $epsilon2
    local.get $decay         f64x2.splat local.set $decay2

    ;; Byte offsets: $at walks [lo, hi) by pairs.
    local.get $lo i32.const 2 i32.shl local.set $at
    local.get $hi i32.const 2 i32.shl local.set $end
    local.get $rows local.get $stride i32.mul local.get $grads i32.add local.set $rowsEnd

    block $done
      loop $pairs
        local.get $at local.get $end i32.ge_u br_if $done

        local.get $grads local.get $stride local.get $rowsEnd local.get $at call $gradientPair
        local.set $g

        ;; w − w·decay (AdamW's decoupled weight decay, applied first as Keras does)
        local.get $params local.get $at i32.add v128.load64_zero f64x2.promote_low_f32x4
        local.tee $w
        local.get $w local.get $decay2 f64x2.mul
        f64x2.sub local.set $w

        ;; m' = m + (g − m)·(1 − β₁)
        local.get $momentum local.get $at i32.add v128.load64_zero f64x2.promote_low_f32x4
        local.tee $m
        local.get $g local.get $m f64x2.sub local.get $oneMinusBeta12 f64x2.mul
        f64x2.add local.set $m

        ;; v' = v + (g·g − v)·(1 − β₂)
        local.get $velocity local.get $at i32.add v128.load64_zero f64x2.promote_low_f32x4
        local.tee $v
        local.get $g local.get $g f64x2.mul local.get $v f64x2.sub
        local.get $oneMinusBeta22 f64x2.mul
        f64x2.add local.set $v

        local.get $nextMomentum local.get $at i32.add
        local.get $m f32x4.demote_f64x2_zero
        v128.store64_lane 0
        local.get $nextVelocity local.get $at i32.add
        local.get $v f32x4.demote_f64x2_zero
        v128.store64_lane 0

        ;; w' = w − (m'·α) / (√v' + ε)
        local.get $nextParams local.get $at i32.add
        local.get $w
        local.get $m local.get $stepSize2 f64x2.mul
        local.get $v f64x2.sqrt local.get $epsilon2 f64x2.add
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
