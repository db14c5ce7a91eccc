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
    (local $at i32) (local $end i32) (local $rowsEnd i32) (local $quadsEnd i32) (local $row i32)
    (local $g v128) (local $w v128) (local $m v128) (local $v v128)
    (local $g4 v128) (local $w4 v128) (local $m4 v128) (local $v4 v128)
    (local $mLow v128) (local $vLow v128) (local $wLow v128)
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
    local.get $hi local.get $lo i32.sub i32.const -4 i32.and
    i32.const 2 i32.shl local.get $at i32.add local.set $quadsEnd

    ;; Four parameters at a time (two f64x2 halves, each the very operations of the pair loop
    ;; below, so the results are the same bits); the pairs loop takes the rest.
    block $quadsDone
      loop $quads
        local.get $at local.get $quadsEnd i32.ge_u br_if $quadsDone

        local.get $grads local.get $at i32.add v128.load local.set $g4
        local.get $grads local.get $stride i32.add local.set $row
        block $summed
          loop $sum
            local.get $row local.get $rowsEnd i32.ge_u br_if $summed
            local.get $g4
            local.get $row local.get $at i32.add v128.load
            f32x4.add local.set $g4
            local.get $row local.get $stride i32.add local.set $row
            br $sum
          end
        end
        local.get $params local.get $at i32.add v128.load local.set $w4
        local.get $momentum local.get $at i32.add v128.load local.set $m4
        local.get $velocity local.get $at i32.add v128.load local.set $v4

        ;; low half: elements 0 and 1
        local.get $g4 f64x2.promote_low_f32x4 local.set $g
        local.get $w4 f64x2.promote_low_f32x4
        local.tee $w
        local.get $w local.get $decay2 f64x2.mul
        f64x2.sub local.set $w
        local.get $m4 f64x2.promote_low_f32x4
        local.tee $m
        local.get $g local.get $m f64x2.sub local.get $oneMinusBeta12 f64x2.mul
        f64x2.add local.set $mLow
        local.get $v4 f64x2.promote_low_f32x4
        local.tee $v
        local.get $g local.get $g f64x2.mul local.get $v f64x2.sub
        local.get $oneMinusBeta22 f64x2.mul
        f64x2.add local.set $vLow
        local.get $w
        local.get $mLow local.get $stepSize2 f64x2.mul
        local.get $vLow f64x2.sqrt local.get $epsilon2 f64x2.add
        f64x2.div
        f64x2.sub local.set $wLow

        ;; high half: elements 2 and 3
        local.get $g4 local.get $g4 i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
        f64x2.promote_low_f32x4 local.set $g
        local.get $w4 local.get $w4 i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
        f64x2.promote_low_f32x4
        local.tee $w
        local.get $w local.get $decay2 f64x2.mul
        f64x2.sub local.set $w
        local.get $m4 local.get $m4 i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
        f64x2.promote_low_f32x4
        local.tee $m
        local.get $g local.get $m f64x2.sub local.get $oneMinusBeta12 f64x2.mul
        f64x2.add local.set $m
        local.get $v4 local.get $v4 i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
        f64x2.promote_low_f32x4
        local.tee $v
        local.get $g local.get $g f64x2.mul local.get $v f64x2.sub
        local.get $oneMinusBeta22 f64x2.mul
        f64x2.add local.set $v

        local.get $nextMomentum local.get $at i32.add
        local.get $mLow f32x4.demote_f64x2_zero
        local.get $m f32x4.demote_f64x2_zero
        i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        v128.store
        local.get $nextVelocity local.get $at i32.add
        local.get $vLow f32x4.demote_f64x2_zero
        local.get $v f32x4.demote_f64x2_zero
        i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        v128.store
        local.get $nextParams local.get $at i32.add
        local.get $wLow f32x4.demote_f64x2_zero
        local.get $w
        local.get $m local.get $stepSize2 f64x2.mul
        local.get $v f64x2.sqrt local.get $epsilon2 f64x2.add
        f64x2.div
        f64x2.sub
        f32x4.demote_f64x2_zero
        i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        v128.store

        local.get $at i32.const 16 i32.add local.set $at
        br $quads
      end
    end

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
