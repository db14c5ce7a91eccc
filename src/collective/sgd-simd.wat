;; The data-parallel reduce + SGD update of one worker's slice [lo, hi), two elements at a time
;; in WebAssembly SIMD, (hi − lo) even (optimizer-simd.ts does an odd last element with the TS
;; loop), g = Σ rows (in row order, in float32):
;;   sgdUpdateSum (no momentum):  w ← w − g·lr
;;   momentumUpdateSum:           v ← v·μ − g·lr; w ← w + v, or with Nesterov w + (v·μ − g·lr)
;;
;; Bit for bit what sgdUpdateSum and momentumUpdateSum (src/core/optim/sgd.ts) compute: the JS
;; loops work in float64 and round to float32 on store, so these do too (one f64x2 per pair),
;; with the same operations in the same order. Both take the same constants (sgdConstants).
;;
;; Pointers are byte offsets into the shared memory; gradient row r starts at grads + r·stride.
;; `npm run build:wasm` assembles this into sgd-simd.wasm.ts.
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

  (func (export "sgdUpdateSum")
    (param $grads i32) (param $rows i32) (param $stride i32)
    (param $params i32) (param $nextParams i32)
    (param $lo i32) (param $hi i32)
    (param $lr f64) (param $momentum f64) (param $nesterov f64)
    (local $at i32) (local $end i32) (local $rowsEnd i32) (local $lr2 v128)

    local.get $lr f64x2.splat local.set $lr2
    local.get $lo i32.const 2 i32.shl local.set $at
    local.get $hi i32.const 2 i32.shl local.set $end
    local.get $rows local.get $stride i32.mul local.get $grads i32.add local.set $rowsEnd

    block $done
      loop $pairs
        local.get $at local.get $end i32.ge_u br_if $done
        ;; w' = w − g·lr
        local.get $nextParams local.get $at i32.add
        local.get $params local.get $at i32.add v128.load64_zero f64x2.promote_low_f32x4
        local.get $grads local.get $stride local.get $rowsEnd local.get $at call $gradientPair
        local.get $lr2 f64x2.mul
        f64x2.sub
        f32x4.demote_f64x2_zero
        v128.store64_lane 0
        local.get $at i32.const 8 i32.add local.set $at
        br $pairs
      end
    end
  )

  (func (export "momentumUpdateSum")
    (param $grads i32) (param $rows i32) (param $stride i32)
    (param $params i32) (param $velocity i32)
    (param $nextParams i32) (param $nextVelocity i32)
    (param $lo i32) (param $hi i32)
    (param $lr f64) (param $momentum f64) (param $nesterov f64)
    (local $at i32) (local $end i32) (local $rowsEnd i32) (local $isNesterov i32)
    (local $g v128) (local $v v128) (local $lr2 v128) (local $momentum2 v128)

    local.get $lr       f64x2.splat local.set $lr2
    local.get $momentum f64x2.splat local.set $momentum2
    local.get $nesterov f64.const 0 f64.ne local.set $isNesterov
    local.get $lo i32.const 2 i32.shl local.set $at
    local.get $hi i32.const 2 i32.shl local.set $end
    local.get $rows local.get $stride i32.mul local.get $grads i32.add local.set $rowsEnd

    block $done
      loop $pairs
        local.get $at local.get $end i32.ge_u br_if $done
        local.get $grads local.get $stride local.get $rowsEnd local.get $at call $gradientPair
        local.set $g

        ;; v' = v·μ − g·lr
        local.get $velocity local.get $at i32.add v128.load64_zero f64x2.promote_low_f32x4
        local.get $momentum2 f64x2.mul
        local.get $g local.get $lr2 f64x2.mul
        f64x2.sub local.set $v
        local.get $nextVelocity local.get $at i32.add
        local.get $v f32x4.demote_f64x2_zero
        v128.store64_lane 0

        ;; w' = w + v', or with Nesterov w + (v'·μ − g·lr)
        local.get $nextParams local.get $at i32.add
        local.get $params local.get $at i32.add v128.load64_zero f64x2.promote_low_f32x4
        local.get $isNesterov
        if (result v128)
          local.get $v local.get $momentum2 f64x2.mul
          local.get $g local.get $lr2 f64x2.mul
          f64x2.sub
        else
          local.get $v
        end
        f64x2.add
        f32x4.demote_f64x2_zero
        v128.store64_lane 0

        local.get $at i32.const 8 i32.add local.set $at
        br $pairs
      end
    end
  )
)
