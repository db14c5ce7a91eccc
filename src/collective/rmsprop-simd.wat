;; The data-parallel reduce + RMSprop step of one worker's slice [lo, hi), in WebAssembly SIMD:
;; g = Σ rows (in row order, in float32); ms' = ρ·ms + (1−ρ)·g·g; w' = w − lr·g/(√ms' + ε).
;;
;; Bit for bit what rmspropUpdateSum (src/core/optim/rmsprop.ts) computes: the JS loop does the step
;; in float64 and rounds to float32 on store, so this does too (four elements at a time, as two
;; f64x2 halves),
;; with the same operations in the same order. Local threads and the networked coordinator (which
;; runs the JS loop) then give identical weights.
;;
;; Pointers are byte offsets into the shared memory; gradient row r starts at grads + r·stride.
;; `npm run build:wasm` assembles this into rmsprop-simd.wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func $rmspropUpdateSum (export "rmspropUpdateSum")
    (param $grads i32) (param $rows i32) (param $stride i32)
    (param $params i32) (param $meanSquare i32)
    (param $nextParams i32) (param $nextMeanSquare i32)
    (param $lo i32) (param $hi i32)
    (param $lr f64) (param $rho f64) (param $decay f64) (param $epsilon f64)
    (local $at i32) (local $quadsEnd i32) (local $end i32)
    (local $row i32) (local $rowsEnd i32)
    (local $g v128) (local $gLow v128) (local $gHigh v128)
    (local $v v128) (local $mLow v128) (local $mHigh v128)
    (local $lr2 v128) (local $rho2 v128) (local $decay2 v128) (local $epsilon2 v128)

    local.get $lr      f64x2.splat local.set $lr2
    local.get $rho     f64x2.splat local.set $rho2
    local.get $decay   f64x2.splat local.set $decay2
    local.get $epsilon f64x2.splat local.set $epsilon2

    ;; Byte offsets: $at walks [lo, hi) by fours up to $quadsEnd, then one by one to $end.
    local.get $lo i32.const 2 i32.shl local.set $at
    local.get $hi i32.const 2 i32.shl local.set $end
    local.get $hi local.get $lo i32.sub i32.const -4 i32.and
    i32.const 2 i32.shl local.get $at i32.add local.set $quadsEnd
    local.get $rows local.get $stride i32.mul local.get $grads i32.add local.set $rowsEnd

    block $quadsDone
      loop $quads
        local.get $at local.get $quadsEnd i32.ge_u br_if $quadsDone

        ;; g = row 0 + row 1 + … (float32 adds, in row order)
        local.get $grads local.get $at i32.add v128.load local.set $g
        local.get $grads local.get $stride i32.add local.set $row
        block $summed
          loop $sum
            local.get $row local.get $rowsEnd i32.ge_u br_if $summed
            local.get $g
            local.get $row local.get $at i32.add v128.load
            f32x4.add local.set $g
            local.get $row local.get $stride i32.add local.set $row
            br $sum
          end
        end
        ;; In float64: lanes 0–1 (low) and 2–3 (high, shuffled down first).
        local.get $g f64x2.promote_low_f32x4 local.set $gLow
        local.get $g local.get $g i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
        f64x2.promote_low_f32x4 local.set $gHigh

        ;; ms' = ρ·ms + ((1−ρ)·g)·g, kept in float64 for the step below as JS keeps it
        local.get $meanSquare local.get $at i32.add v128.load local.set $v
        local.get $rho2 local.get $v f64x2.promote_low_f32x4 f64x2.mul
        local.get $decay2 local.get $gLow f64x2.mul local.get $gLow f64x2.mul
        f64x2.add local.set $mLow
        local.get $rho2
        local.get $v local.get $v i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
        f64x2.promote_low_f32x4 f64x2.mul
        local.get $decay2 local.get $gHigh f64x2.mul local.get $gHigh f64x2.mul
        f64x2.add local.set $mHigh
        local.get $nextMeanSquare local.get $at i32.add
        local.get $mLow f32x4.demote_f64x2_zero
        local.get $mHigh f32x4.demote_f64x2_zero
        i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        v128.store

        ;; w' = w − (lr·g) / (√ms' + ε)
        local.get $params local.get $at i32.add v128.load local.set $v
        local.get $nextParams local.get $at i32.add
        local.get $v f64x2.promote_low_f32x4
        local.get $lr2 local.get $gLow f64x2.mul
        local.get $mLow f64x2.sqrt local.get $epsilon2 f64x2.add
        f64x2.div
        f64x2.sub
        f32x4.demote_f64x2_zero
        local.get $v local.get $v i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
        f64x2.promote_low_f32x4
        local.get $lr2 local.get $gHigh f64x2.mul
        local.get $mHigh f64x2.sqrt local.get $epsilon2 f64x2.add
        f64x2.div
        f64x2.sub
        f32x4.demote_f64x2_zero
        i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        v128.store

        local.get $at i32.const 16 i32.add local.set $at
        br $quads
      end
    end

    ;; The last 0–3 elements, one at a time: the same step on one lane (32-bit loads, stores).
    block $done
      loop $singles
        local.get $at local.get $end i32.ge_u br_if $done

        local.get $grads local.get $at i32.add v128.load32_zero local.set $g
        local.get $grads local.get $stride i32.add local.set $row
        block $summed
          loop $sum
            local.get $row local.get $rowsEnd i32.ge_u br_if $summed
            local.get $g
            local.get $row local.get $at i32.add v128.load32_zero
            f32x4.add local.set $g
            local.get $row local.get $stride i32.add local.set $row
            br $sum
          end
        end
        local.get $g f64x2.promote_low_f32x4 local.set $gLow

        local.get $nextMeanSquare local.get $at i32.add
        local.get $rho2
        local.get $meanSquare local.get $at i32.add v128.load32_zero f64x2.promote_low_f32x4
        f64x2.mul
        local.get $decay2 local.get $gLow f64x2.mul local.get $gLow f64x2.mul
        f64x2.add
        local.tee $mLow
        f32x4.demote_f64x2_zero
        v128.store32_lane 0

        local.get $nextParams local.get $at i32.add
        local.get $params local.get $at i32.add v128.load32_zero f64x2.promote_low_f32x4
        local.get $lr2 local.get $gLow f64x2.mul
        local.get $mLow f64x2.sqrt local.get $epsilon2 f64x2.add
        f64x2.div
        f64x2.sub
        f32x4.demote_f64x2_zero
        v128.store32_lane 0

        local.get $at i32.const 4 i32.add local.set $at
        br $singles
      end
    end
  )
)
