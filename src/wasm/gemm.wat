;; C = A·B (or C += A·B), float32, row-major A [m×k], B [k×n], C [m×n], in WebAssembly SIMD.
;;
;; Register-blocked: a tile of 4 (or 6) rows × 8 columns of C lives in 8 (12) v128 locals while
;; the kernel walks k, adding (A[r][k] broadcast) × (B[k][j..j+8], two vectors) to each row. Two
;; builds of every tile: `f32x4.relaxed_madd` (one fused multiply-add where the CPU has FMA)
;; and plain `f32x4.mul` + `f32x4.add`, so the FMA's effect can be measured.
;;
;; B is read as panels of 8 columns: panel p starts at b + p·bPanelStride and its row k at
;; + k·bRowStride. `packB` lays B out as contiguous panels (bPanelStride = 32k, bRowStride = 32,
;; the last panel zero-padded); B in place is bPanelStride = 32, bRowStride = 4n (the last
;; panel then reads up to 28 bytes past B when 8 does not divide n: lanes that are discarded).
;; With a packed B (`unrolled` set) the 4- and 6-row tiles unroll k by 4: B's rows sit at
;; constant offsets, so four steps share one set of pointer increments.
;; A tile narrower than 8 columns (n's tail) is computed into a 6×8 scratch tile and its valid
;; columns copied; m's last rows use 4-row and one-row tiles. Rows are taken in blocks of rowBlock
;; so a block of A stays in cache while every panel of B passes over it.
;;
;; All pointers and strides are byte offsets into the imported memory.
;; `npm run build:wasm` assembles this into gemm.wasm.ts (features: simd, relaxed_simd).
(module
  (import "env" "memory" (memory 1))

  ;; B [k×n] → panels of 8 columns, each k rows of 32 bytes; columns past n are zeros.
  (func (export "packB") (param $b i32) (param $k i32) (param $n i32) (param $packed i32)
    (local $j0 i32) (local $width i32) (local $src i32) (local $dst i32) (local $row i32)
    (local $j i32)
    local.get $packed local.set $dst
    block $panelsDone
      loop $panels
        local.get $j0 local.get $n i32.ge_u br_if $panelsDone
        local.get $n local.get $j0 i32.sub local.tee $width
        i32.const 8 i32.gt_u if i32.const 8 local.set $width end
        local.get $b local.get $j0 i32.const 2 i32.shl i32.add local.set $src
        i32.const 0 local.set $row
        block $rowsDone
          loop $rows
            local.get $row local.get $k i32.ge_u br_if $rowsDone
            local.get $width i32.const 8 i32.eq
            if
              local.get $dst local.get $src v128.load v128.store
              local.get $dst local.get $src v128.load offset=16 v128.store offset=16
            else
              local.get $dst v128.const i32x4 0 0 0 0 v128.store
              local.get $dst v128.const i32x4 0 0 0 0 v128.store offset=16
              i32.const 0 local.set $j
              loop $cols
                local.get $dst local.get $j i32.const 2 i32.shl i32.add
                local.get $src local.get $j i32.const 2 i32.shl i32.add f32.load
                f32.store
                local.get $j i32.const 1 i32.add local.tee $j
                local.get $width i32.lt_u br_if $cols
              end
            end
            local.get $dst i32.const 32 i32.add local.set $dst
            local.get $src local.get $n i32.const 2 i32.shl i32.add local.set $src
            local.get $row i32.const 1 i32.add local.set $row
            br $rows
          end
        end
        local.get $j0 i32.const 8 i32.add local.set $j0
        br $panels
      end
    end
  )

  (func (export "gemm")
    (param $a i32) (param $b i32) (param $bPanelStride i32) (param $bRowStride i32)
    (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (param $accumulate i32) (param $rowBlock i32) (param $scratch i32) (param $tileRows i32)
    (param $unrolled i32)
    (call $gemm (local.get $a) (local.get $b) (local.get $bPanelStride) (local.get $bRowStride)
      (local.get $c) (local.get $m) (local.get $k) (local.get $n)
      (local.get $accumulate) (local.get $rowBlock) (local.get $scratch) (local.get $tileRows)
      (i32.add (i32.const 1) (i32.shl (local.get $unrolled) (i32.const 1)))))

  (func (export "gemmMulAdd")
    (param $a i32) (param $b i32) (param $bPanelStride i32) (param $bRowStride i32)
    (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (param $accumulate i32) (param $rowBlock i32) (param $scratch i32) (param $tileRows i32)
    (param $unrolled i32)
    (call $gemm (local.get $a) (local.get $b) (local.get $bPanelStride) (local.get $bRowStride)
      (local.get $c) (local.get $m) (local.get $k) (local.get $n)
      (local.get $accumulate) (local.get $rowBlock) (local.get $scratch) (local.get $tileRows)
      (i32.add (i32.const 0) (i32.shl (local.get $unrolled) (i32.const 1)))))

  ;; Row blocks × panels × tiles: tileRows (4 or 6) rows, then 4, then single rows at the
  ;; block's end.
  (func $gemm
    (param $a i32) (param $b i32) (param $bPanelStride i32) (param $bRowStride i32)
    (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (param $accumulate i32) (param $rowBlock i32) (param $scratch i32) (param $tileRows i32)
    (param $kind i32)
    (local $i0 i32) (local $iEnd i32) (local $j0 i32) (local $width i32) (local $panel i32)
    (local $i i32) (local $rows i32)
    block $blocksDone
      loop $blocks
        local.get $i0 local.get $m i32.ge_u br_if $blocksDone
        local.get $i0 local.get $rowBlock i32.add local.tee $iEnd
        local.get $m i32.gt_u if local.get $m local.set $iEnd end
        i32.const 0 local.set $j0
        local.get $b local.set $panel
        block $panelsDone
          loop $panels
            local.get $j0 local.get $n i32.ge_u br_if $panelsDone
            local.get $n local.get $j0 i32.sub local.tee $width
            i32.const 8 i32.gt_u if i32.const 8 local.set $width end
            local.get $i0 local.set $i
            block $tilesDone
              loop $tiles
                local.get $i local.get $iEnd i32.ge_u br_if $tilesDone
                local.get $tileRows
                i32.const 4 i32.const 1
                local.get $iEnd local.get $i i32.sub i32.const 4 i32.ge_u select
                local.get $iEnd local.get $i i32.sub local.get $tileRows i32.ge_u select
                local.set $rows
                ;; A's row i; C's element (i, j0)
                (call $tile
                  (i32.add (local.get $a) (i32.mul (local.get $i) (i32.shl (local.get $k) (i32.const 2))))
                  (i32.shl (local.get $k) (i32.const 2))
                  (local.get $panel) (local.get $bRowStride)
                  (i32.add (local.get $c)
                    (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j0)) (i32.const 2)))
                  (i32.shl (local.get $n) (i32.const 2))
                  (local.get $k) (local.get $accumulate) (local.get $rows) (local.get $width)
                  (local.get $scratch) (local.get $kind))
                local.get $i local.get $rows i32.add local.set $i
                br $tiles
              end
            end
            local.get $panel local.get $bPanelStride i32.add local.set $panel
            local.get $j0 i32.const 8 i32.add local.set $j0
            br $panels
          end
        end
        local.get $iEnd local.set $i0
        br $blocks
      end
    end
  )

  ;; One tile of rows × width: straight into C when it is 8 wide, else through the scratch tile.
  (func $tile
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32) (param $rows i32) (param $width i32)
    (param $scratch i32) (param $kind i32)
    local.get $width i32.const 8 i32.eq
    if
      (call $kernel (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb)
        (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate)
        (local.get $rows) (local.get $kind))
      return
    end
    local.get $accumulate
    if
      (call $copyTile (local.get $c) (local.get $ldc) (local.get $scratch) (i32.const 32)
        (local.get $rows) (local.get $width))
    end
    (call $kernel (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb)
      (local.get $scratch) (i32.const 32) (local.get $k) (local.get $accumulate)
      (local.get $rows) (local.get $kind))
    (call $copyTile (local.get $scratch) (i32.const 32) (local.get $c) (local.get $ldc)
      (local.get $rows) (local.get $width))
  )

  ;; kind: bit 0 fused multiply-add, bit 1 B packed (its rows 32 bytes apart: k unrolled).
  (func $kernel
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32) (param $rows i32) (param $kind i32)
    (local $fma i32)
    local.get $kind i32.const 1 i32.and local.set $fma
    local.get $kind i32.const 1 i32.shr_u local.get $rows i32.const 4 i32.ge_u i32.and
    if
      (call $packedKernel (local.get $a) (local.get $lda) (local.get $b)
        (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate)
        (local.get $rows) (local.get $fma))
      return
    end
    local.get $rows i32.const 6 i32.eq
    if
      local.get $fma
      if
        (call $tile6x8Fma (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb)
          (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate))
      else
        (call $tile6x8MulAdd (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb)
          (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate))
      end
      return
    end
    local.get $rows i32.const 4 i32.eq
    if
      local.get $fma
      if
        (call $tile4x8Fma (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb)
          (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate))
      else
        (call $tile4x8MulAdd (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb)
          (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate))
      end
    else
      local.get $fma
      if
        (call $tile1x8Fma (local.get $a) (local.get $b) (local.get $ldb)
          (local.get $c) (local.get $k) (local.get $accumulate))
      else
        (call $tile1x8MulAdd (local.get $a) (local.get $b) (local.get $ldb)
          (local.get $c) (local.get $k) (local.get $accumulate))
      end
    end
  )

  (func $packedKernel
    (param $a i32) (param $lda i32) (param $b i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32) (param $rows i32) (param $fma i32)
    local.get $rows i32.const 6 i32.eq
    if
      local.get $fma
      if
        (call $tile6x8FmaPacked (local.get $a) (local.get $lda) (local.get $b)
          (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate))
      else
        (call $tile6x8MulAddPacked (local.get $a) (local.get $lda) (local.get $b)
          (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate))
      end
      return
    end
    local.get $fma
    if
      (call $tile4x8FmaPacked (local.get $a) (local.get $lda) (local.get $b)
        (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate))
    else
      (call $tile4x8MulAddPacked (local.get $a) (local.get $lda) (local.get $b)
        (local.get $c) (local.get $ldc) (local.get $k) (local.get $accumulate))
    end
  )

  ;; rows × width floats from src to dst (row strides in bytes).
  (func $copyTile
    (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32)
    (param $rows i32) (param $width i32)
    (local $r i32) (local $j i32)
    loop $rowLoop
      i32.const 0 local.set $j
      loop $colLoop
        local.get $dst local.get $j i32.const 2 i32.shl i32.add
        local.get $src local.get $j i32.const 2 i32.shl i32.add f32.load
        f32.store
        local.get $j i32.const 1 i32.add local.tee $j
        local.get $width i32.lt_u br_if $colLoop
      end
      local.get $src local.get $srcStride i32.add local.set $src
      local.get $dst local.get $dstStride i32.add local.set $dst
      local.get $r i32.const 1 i32.add local.tee $r
      local.get $rows i32.lt_u br_if $rowLoop
    end
  )

  ;; 6×8 tile, fused.
  (func $tile6x8Fma
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32) (local $a5 i32) (local $aEnd i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128) (local $c40 v128) (local $c41 v128) (local $c50 v128) (local $c51 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    local.get $a local.get $lda i32.add local.set $a1
    local.get $a1 local.get $lda i32.add local.set $a2
    local.get $a2 local.get $lda i32.add local.set $a3
    local.get $a3 local.get $lda i32.add local.set $a4
    local.get $a4 local.get $lda i32.add local.set $a5
    local.get $c local.get $ldc i32.add local.set $c1
    local.get $c1 local.get $ldc i32.add local.set $c2
    local.get $c2 local.get $ldc i32.add local.set $c3
    local.get $c3 local.get $ldc i32.add local.set $c4
    local.get $c4 local.get $ldc i32.add local.set $c5
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $accumulate
    if
      local.get $c v128.load local.set $c00  local.get $c v128.load offset=16 local.set $c01
      local.get $c1 v128.load local.set $c10  local.get $c1 v128.load offset=16 local.set $c11
      local.get $c2 v128.load local.set $c20  local.get $c2 v128.load offset=16 local.set $c21
      local.get $c3 v128.load local.set $c30  local.get $c3 v128.load offset=16 local.set $c31
      local.get $c4 v128.load local.set $c40  local.get $c4 v128.load offset=16 local.set $c41
      local.get $c5 v128.load local.set $c50  local.get $c5 v128.load offset=16 local.set $c51
    end
    local.get $k
    if
      loop $steps
        local.get $b v128.load local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $a4 v128.load32_splat local.tee $x
        local.get $b0 local.get $c40 f32x4.relaxed_madd local.set $c40
        local.get $x local.get $b1 local.get $c41 f32x4.relaxed_madd local.set $c41
        local.get $a5 v128.load32_splat local.tee $x
        local.get $b0 local.get $c50 f32x4.relaxed_madd local.set $c50
        local.get $x local.get $b1 local.get $c51 f32x4.relaxed_madd local.set $c51
        local.get $a1 i32.const 4 i32.add local.set $a1
        local.get $a2 i32.const 4 i32.add local.set $a2
        local.get $a3 i32.const 4 i32.add local.set $a3
        local.get $a4 i32.const 4 i32.add local.set $a4
        local.get $a5 i32.const 4 i32.add local.set $a5
        local.get $b local.get $ldb i32.add local.set $b
        local.get $a i32.const 4 i32.add local.tee $a
        local.get $aEnd i32.lt_u br_if $steps
      end
    end
    local.get $c local.get $c00 v128.store  local.get $c local.get $c01 v128.store offset=16
    local.get $c1 local.get $c10 v128.store  local.get $c1 local.get $c11 v128.store offset=16
    local.get $c2 local.get $c20 v128.store  local.get $c2 local.get $c21 v128.store offset=16
    local.get $c3 local.get $c30 v128.store  local.get $c3 local.get $c31 v128.store offset=16
    local.get $c4 local.get $c40 v128.store  local.get $c4 local.get $c41 v128.store offset=16
    local.get $c5 local.get $c50 v128.store  local.get $c5 local.get $c51 v128.store offset=16
  )

  ;; 6×8 tile, multiply then add.
  (func $tile6x8MulAdd
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32) (local $a5 i32) (local $aEnd i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128) (local $c40 v128) (local $c41 v128) (local $c50 v128) (local $c51 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    local.get $a local.get $lda i32.add local.set $a1
    local.get $a1 local.get $lda i32.add local.set $a2
    local.get $a2 local.get $lda i32.add local.set $a3
    local.get $a3 local.get $lda i32.add local.set $a4
    local.get $a4 local.get $lda i32.add local.set $a5
    local.get $c local.get $ldc i32.add local.set $c1
    local.get $c1 local.get $ldc i32.add local.set $c2
    local.get $c2 local.get $ldc i32.add local.set $c3
    local.get $c3 local.get $ldc i32.add local.set $c4
    local.get $c4 local.get $ldc i32.add local.set $c5
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $accumulate
    if
      local.get $c v128.load local.set $c00  local.get $c v128.load offset=16 local.set $c01
      local.get $c1 v128.load local.set $c10  local.get $c1 v128.load offset=16 local.set $c11
      local.get $c2 v128.load local.set $c20  local.get $c2 v128.load offset=16 local.set $c21
      local.get $c3 v128.load local.set $c30  local.get $c3 v128.load offset=16 local.set $c31
      local.get $c4 v128.load local.set $c40  local.get $c4 v128.load offset=16 local.set $c41
      local.get $c5 v128.load local.set $c50  local.get $c5 v128.load offset=16 local.set $c51
    end
    local.get $k
    if
      loop $steps
        local.get $b v128.load local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $a4 v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c40 f32x4.add local.set $c40
        local.get $x local.get $b1 f32x4.mul local.get $c41 f32x4.add local.set $c41
        local.get $a5 v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c50 f32x4.add local.set $c50
        local.get $x local.get $b1 f32x4.mul local.get $c51 f32x4.add local.set $c51
        local.get $a1 i32.const 4 i32.add local.set $a1
        local.get $a2 i32.const 4 i32.add local.set $a2
        local.get $a3 i32.const 4 i32.add local.set $a3
        local.get $a4 i32.const 4 i32.add local.set $a4
        local.get $a5 i32.const 4 i32.add local.set $a5
        local.get $b local.get $ldb i32.add local.set $b
        local.get $a i32.const 4 i32.add local.tee $a
        local.get $aEnd i32.lt_u br_if $steps
      end
    end
    local.get $c local.get $c00 v128.store  local.get $c local.get $c01 v128.store offset=16
    local.get $c1 local.get $c10 v128.store  local.get $c1 local.get $c11 v128.store offset=16
    local.get $c2 local.get $c20 v128.store  local.get $c2 local.get $c21 v128.store offset=16
    local.get $c3 local.get $c30 v128.store  local.get $c3 local.get $c31 v128.store offset=16
    local.get $c4 local.get $c40 v128.store  local.get $c4 local.get $c41 v128.store offset=16
    local.get $c5 local.get $c50 v128.store  local.get $c5 local.get $c51 v128.store offset=16
  )

  ;; 4×8 tile, fused: c[r] += splat(A[r][k]) × B[k][0..8], for k in 0..k.
  (func $tile4x8Fma
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $aEnd i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    local.get $a local.get $lda i32.add local.tee $a1
    local.get $lda i32.add local.tee $a2
    local.get $lda i32.add local.set $a3
    local.get $c local.get $ldc i32.add local.tee $c1
    local.get $ldc i32.add local.tee $c2
    local.get $ldc i32.add local.set $c3
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $accumulate
    if
      local.get $c v128.load local.set $c00   local.get $c v128.load offset=16 local.set $c01
      local.get $c1 v128.load local.set $c10  local.get $c1 v128.load offset=16 local.set $c11
      local.get $c2 v128.load local.set $c20  local.get $c2 v128.load offset=16 local.set $c21
      local.get $c3 v128.load local.set $c30  local.get $c3 v128.load offset=16 local.set $c31
    end
    local.get $k
    if
      loop $steps
        local.get $b v128.load local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $a1 i32.const 4 i32.add local.set $a1
        local.get $a2 i32.const 4 i32.add local.set $a2
        local.get $a3 i32.const 4 i32.add local.set $a3
        local.get $b local.get $ldb i32.add local.set $b
        local.get $a i32.const 4 i32.add local.tee $a
        local.get $aEnd i32.lt_u br_if $steps
      end
    end
    local.get $c local.get $c00 v128.store   local.get $c local.get $c01 v128.store offset=16
    local.get $c1 local.get $c10 v128.store  local.get $c1 local.get $c11 v128.store offset=16
    local.get $c2 local.get $c20 v128.store  local.get $c2 local.get $c21 v128.store offset=16
    local.get $c3 local.get $c30 v128.store  local.get $c3 local.get $c31 v128.store offset=16
  )

  ;; The same tile with a separate multiply and add (two roundings).
  (func $tile4x8MulAdd
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $aEnd i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    local.get $a local.get $lda i32.add local.tee $a1
    local.get $lda i32.add local.tee $a2
    local.get $lda i32.add local.set $a3
    local.get $c local.get $ldc i32.add local.tee $c1
    local.get $ldc i32.add local.tee $c2
    local.get $ldc i32.add local.set $c3
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $accumulate
    if
      local.get $c v128.load local.set $c00   local.get $c v128.load offset=16 local.set $c01
      local.get $c1 v128.load local.set $c10  local.get $c1 v128.load offset=16 local.set $c11
      local.get $c2 v128.load local.set $c20  local.get $c2 v128.load offset=16 local.set $c21
      local.get $c3 v128.load local.set $c30  local.get $c3 v128.load offset=16 local.set $c31
    end
    local.get $k
    if
      loop $steps
        local.get $b v128.load local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $a1 i32.const 4 i32.add local.set $a1
        local.get $a2 i32.const 4 i32.add local.set $a2
        local.get $a3 i32.const 4 i32.add local.set $a3
        local.get $b local.get $ldb i32.add local.set $b
        local.get $a i32.const 4 i32.add local.tee $a
        local.get $aEnd i32.lt_u br_if $steps
      end
    end
    local.get $c local.get $c00 v128.store   local.get $c local.get $c01 v128.store offset=16
    local.get $c1 local.get $c10 v128.store  local.get $c1 local.get $c11 v128.store offset=16
    local.get $c2 local.get $c20 v128.store  local.get $c2 local.get $c21 v128.store offset=16
    local.get $c3 local.get $c30 v128.store  local.get $c3 local.get $c31 v128.store offset=16
  )

  ;; 1×8 tile (m's last rows), fused.
  (func $tile1x8Fma
    (param $a i32) (param $b i32) (param $ldb i32) (param $c i32) (param $k i32)
    (param $accumulate i32)
    (local $aEnd i32) (local $c0 v128) (local $c1 v128) (local $x v128)
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $accumulate
    if
      local.get $c v128.load local.set $c0
      local.get $c v128.load offset=16 local.set $c1
    end
    local.get $k
    if
      loop $steps
        local.get $a v128.load32_splat local.tee $x
        local.get $b v128.load local.get $c0 f32x4.relaxed_madd local.set $c0
        local.get $x local.get $b v128.load offset=16 local.get $c1 f32x4.relaxed_madd local.set $c1
        local.get $b local.get $ldb i32.add local.set $b
        local.get $a i32.const 4 i32.add local.tee $a
        local.get $aEnd i32.lt_u br_if $steps
      end
    end
    local.get $c local.get $c0 v128.store
    local.get $c local.get $c1 v128.store offset=16
  )

  ;; 1×8 tile, multiply then add.
  (func $tile1x8MulAdd
    (param $a i32) (param $b i32) (param $ldb i32) (param $c i32) (param $k i32)
    (param $accumulate i32)
    (local $aEnd i32) (local $c0 v128) (local $c1 v128) (local $x v128)
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $accumulate
    if
      local.get $c v128.load local.set $c0
      local.get $c v128.load offset=16 local.set $c1
    end
    local.get $k
    if
      loop $steps
        local.get $a v128.load32_splat local.tee $x
        local.get $b v128.load f32x4.mul local.get $c0 f32x4.add local.set $c0
        local.get $x local.get $b v128.load offset=16 f32x4.mul local.get $c1 f32x4.add local.set $c1
        local.get $b local.get $ldb i32.add local.set $b
        local.get $a i32.const 4 i32.add local.tee $a
        local.get $aEnd i32.lt_u br_if $steps
      end
    end
    local.get $c local.get $c0 v128.store
    local.get $c local.get $c1 v128.store offset=16
  )

  ;; 4×8 tile over a packed B (rows 32 bytes apart), k unrolled by 4, fused.
  (func $tile4x8FmaPacked
    (param $a i32) (param $lda i32) (param $b i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $aEnd i32) (local $aEndU i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    local.get $a local.get $lda i32.add local.set $a1
    local.get $a1 local.get $lda i32.add local.set $a2
    local.get $a2 local.get $lda i32.add local.set $a3
    local.get $c local.get $ldc i32.add local.set $c1
    local.get $c1 local.get $ldc i32.add local.set $c2
    local.get $c2 local.get $ldc i32.add local.set $c3
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $a local.get $k i32.const -4 i32.and i32.const 2 i32.shl i32.add local.set $aEndU
    local.get $accumulate
    if
      local.get $c v128.load local.set $c00  local.get $c v128.load offset=16 local.set $c01
      local.get $c1 v128.load local.set $c10  local.get $c1 v128.load offset=16 local.set $c11
      local.get $c2 v128.load local.set $c20  local.get $c2 v128.load offset=16 local.set $c21
      local.get $c3 v128.load local.set $c30  local.get $c3 v128.load offset=16 local.set $c31
    end
    block $unrolledDone
      loop $unrolled
        local.get $a local.get $aEndU i32.ge_u br_if $unrolledDone
        local.get $b v128.load offset=0 local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $b v128.load offset=32 local.set $b0
        local.get $b v128.load offset=48 local.set $b1
        local.get $a v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $b v128.load offset=64 local.set $b0
        local.get $b v128.load offset=80 local.set $b1
        local.get $a v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $b v128.load offset=96 local.set $b0
        local.get $b v128.load offset=112 local.set $b1
        local.get $a v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $a1 i32.const 16 i32.add local.set $a1
        local.get $a2 i32.const 16 i32.add local.set $a2
        local.get $a3 i32.const 16 i32.add local.set $a3
        local.get $b i32.const 128 i32.add local.set $b
        local.get $a i32.const 16 i32.add local.set $a
        br $unrolled
      end
    end
    block $done
      loop $steps
        local.get $a local.get $aEnd i32.ge_u br_if $done
        local.get $b v128.load offset=0 local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $a1 i32.const 4 i32.add local.set $a1
        local.get $a2 i32.const 4 i32.add local.set $a2
        local.get $a3 i32.const 4 i32.add local.set $a3
        local.get $b i32.const 32 i32.add local.set $b
        local.get $a i32.const 4 i32.add local.set $a
        br $steps
      end
    end
    local.get $c local.get $c00 v128.store  local.get $c local.get $c01 v128.store offset=16
    local.get $c1 local.get $c10 v128.store  local.get $c1 local.get $c11 v128.store offset=16
    local.get $c2 local.get $c20 v128.store  local.get $c2 local.get $c21 v128.store offset=16
    local.get $c3 local.get $c30 v128.store  local.get $c3 local.get $c31 v128.store offset=16
  )

  ;; 4×8 tile over a packed B (rows 32 bytes apart), k unrolled by 4, multiply then add.
  (func $tile4x8MulAddPacked
    (param $a i32) (param $lda i32) (param $b i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $aEnd i32) (local $aEndU i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    local.get $a local.get $lda i32.add local.set $a1
    local.get $a1 local.get $lda i32.add local.set $a2
    local.get $a2 local.get $lda i32.add local.set $a3
    local.get $c local.get $ldc i32.add local.set $c1
    local.get $c1 local.get $ldc i32.add local.set $c2
    local.get $c2 local.get $ldc i32.add local.set $c3
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $a local.get $k i32.const -4 i32.and i32.const 2 i32.shl i32.add local.set $aEndU
    local.get $accumulate
    if
      local.get $c v128.load local.set $c00  local.get $c v128.load offset=16 local.set $c01
      local.get $c1 v128.load local.set $c10  local.get $c1 v128.load offset=16 local.set $c11
      local.get $c2 v128.load local.set $c20  local.get $c2 v128.load offset=16 local.set $c21
      local.get $c3 v128.load local.set $c30  local.get $c3 v128.load offset=16 local.set $c31
    end
    block $unrolledDone
      loop $unrolled
        local.get $a local.get $aEndU i32.ge_u br_if $unrolledDone
        local.get $b v128.load offset=0 local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $b v128.load offset=32 local.set $b0
        local.get $b v128.load offset=48 local.set $b1
        local.get $a v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $b v128.load offset=64 local.set $b0
        local.get $b v128.load offset=80 local.set $b1
        local.get $a v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $b v128.load offset=96 local.set $b0
        local.get $b v128.load offset=112 local.set $b1
        local.get $a v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $a1 i32.const 16 i32.add local.set $a1
        local.get $a2 i32.const 16 i32.add local.set $a2
        local.get $a3 i32.const 16 i32.add local.set $a3
        local.get $b i32.const 128 i32.add local.set $b
        local.get $a i32.const 16 i32.add local.set $a
        br $unrolled
      end
    end
    block $done
      loop $steps
        local.get $a local.get $aEnd i32.ge_u br_if $done
        local.get $b v128.load offset=0 local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $a1 i32.const 4 i32.add local.set $a1
        local.get $a2 i32.const 4 i32.add local.set $a2
        local.get $a3 i32.const 4 i32.add local.set $a3
        local.get $b i32.const 32 i32.add local.set $b
        local.get $a i32.const 4 i32.add local.set $a
        br $steps
      end
    end
    local.get $c local.get $c00 v128.store  local.get $c local.get $c01 v128.store offset=16
    local.get $c1 local.get $c10 v128.store  local.get $c1 local.get $c11 v128.store offset=16
    local.get $c2 local.get $c20 v128.store  local.get $c2 local.get $c21 v128.store offset=16
    local.get $c3 local.get $c30 v128.store  local.get $c3 local.get $c31 v128.store offset=16
  )

  ;; 6×8 tile over a packed B (rows 32 bytes apart), k unrolled by 4, fused.
  (func $tile6x8FmaPacked
    (param $a i32) (param $lda i32) (param $b i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32) (local $a5 i32) (local $aEnd i32) (local $aEndU i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128) (local $c40 v128) (local $c41 v128) (local $c50 v128) (local $c51 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    local.get $a local.get $lda i32.add local.set $a1
    local.get $a1 local.get $lda i32.add local.set $a2
    local.get $a2 local.get $lda i32.add local.set $a3
    local.get $a3 local.get $lda i32.add local.set $a4
    local.get $a4 local.get $lda i32.add local.set $a5
    local.get $c local.get $ldc i32.add local.set $c1
    local.get $c1 local.get $ldc i32.add local.set $c2
    local.get $c2 local.get $ldc i32.add local.set $c3
    local.get $c3 local.get $ldc i32.add local.set $c4
    local.get $c4 local.get $ldc i32.add local.set $c5
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $a local.get $k i32.const -4 i32.and i32.const 2 i32.shl i32.add local.set $aEndU
    local.get $accumulate
    if
      local.get $c v128.load local.set $c00  local.get $c v128.load offset=16 local.set $c01
      local.get $c1 v128.load local.set $c10  local.get $c1 v128.load offset=16 local.set $c11
      local.get $c2 v128.load local.set $c20  local.get $c2 v128.load offset=16 local.set $c21
      local.get $c3 v128.load local.set $c30  local.get $c3 v128.load offset=16 local.set $c31
      local.get $c4 v128.load local.set $c40  local.get $c4 v128.load offset=16 local.set $c41
      local.get $c5 v128.load local.set $c50  local.get $c5 v128.load offset=16 local.set $c51
    end
    block $unrolledDone
      loop $unrolled
        local.get $a local.get $aEndU i32.ge_u br_if $unrolledDone
        local.get $b v128.load offset=0 local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $a4 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c40 f32x4.relaxed_madd local.set $c40
        local.get $x local.get $b1 local.get $c41 f32x4.relaxed_madd local.set $c41
        local.get $a5 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c50 f32x4.relaxed_madd local.set $c50
        local.get $x local.get $b1 local.get $c51 f32x4.relaxed_madd local.set $c51
        local.get $b v128.load offset=32 local.set $b0
        local.get $b v128.load offset=48 local.set $b1
        local.get $a v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $a4 v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c40 f32x4.relaxed_madd local.set $c40
        local.get $x local.get $b1 local.get $c41 f32x4.relaxed_madd local.set $c41
        local.get $a5 v128.load32_splat offset=4 local.tee $x
        local.get $b0 local.get $c50 f32x4.relaxed_madd local.set $c50
        local.get $x local.get $b1 local.get $c51 f32x4.relaxed_madd local.set $c51
        local.get $b v128.load offset=64 local.set $b0
        local.get $b v128.load offset=80 local.set $b1
        local.get $a v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $a4 v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c40 f32x4.relaxed_madd local.set $c40
        local.get $x local.get $b1 local.get $c41 f32x4.relaxed_madd local.set $c41
        local.get $a5 v128.load32_splat offset=8 local.tee $x
        local.get $b0 local.get $c50 f32x4.relaxed_madd local.set $c50
        local.get $x local.get $b1 local.get $c51 f32x4.relaxed_madd local.set $c51
        local.get $b v128.load offset=96 local.set $b0
        local.get $b v128.load offset=112 local.set $b1
        local.get $a v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $a4 v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c40 f32x4.relaxed_madd local.set $c40
        local.get $x local.get $b1 local.get $c41 f32x4.relaxed_madd local.set $c41
        local.get $a5 v128.load32_splat offset=12 local.tee $x
        local.get $b0 local.get $c50 f32x4.relaxed_madd local.set $c50
        local.get $x local.get $b1 local.get $c51 f32x4.relaxed_madd local.set $c51
        local.get $a1 i32.const 16 i32.add local.set $a1
        local.get $a2 i32.const 16 i32.add local.set $a2
        local.get $a3 i32.const 16 i32.add local.set $a3
        local.get $a4 i32.const 16 i32.add local.set $a4
        local.get $a5 i32.const 16 i32.add local.set $a5
        local.get $b i32.const 128 i32.add local.set $b
        local.get $a i32.const 16 i32.add local.set $a
        br $unrolled
      end
    end
    block $done
      loop $steps
        local.get $a local.get $aEnd i32.ge_u br_if $done
        local.get $b v128.load offset=0 local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c00 f32x4.relaxed_madd local.set $c00
        local.get $x local.get $b1 local.get $c01 f32x4.relaxed_madd local.set $c01
        local.get $a1 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c10 f32x4.relaxed_madd local.set $c10
        local.get $x local.get $b1 local.get $c11 f32x4.relaxed_madd local.set $c11
        local.get $a2 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c20 f32x4.relaxed_madd local.set $c20
        local.get $x local.get $b1 local.get $c21 f32x4.relaxed_madd local.set $c21
        local.get $a3 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c30 f32x4.relaxed_madd local.set $c30
        local.get $x local.get $b1 local.get $c31 f32x4.relaxed_madd local.set $c31
        local.get $a4 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c40 f32x4.relaxed_madd local.set $c40
        local.get $x local.get $b1 local.get $c41 f32x4.relaxed_madd local.set $c41
        local.get $a5 v128.load32_splat offset=0 local.tee $x
        local.get $b0 local.get $c50 f32x4.relaxed_madd local.set $c50
        local.get $x local.get $b1 local.get $c51 f32x4.relaxed_madd local.set $c51
        local.get $a1 i32.const 4 i32.add local.set $a1
        local.get $a2 i32.const 4 i32.add local.set $a2
        local.get $a3 i32.const 4 i32.add local.set $a3
        local.get $a4 i32.const 4 i32.add local.set $a4
        local.get $a5 i32.const 4 i32.add local.set $a5
        local.get $b i32.const 32 i32.add local.set $b
        local.get $a i32.const 4 i32.add local.set $a
        br $steps
      end
    end
    local.get $c local.get $c00 v128.store  local.get $c local.get $c01 v128.store offset=16
    local.get $c1 local.get $c10 v128.store  local.get $c1 local.get $c11 v128.store offset=16
    local.get $c2 local.get $c20 v128.store  local.get $c2 local.get $c21 v128.store offset=16
    local.get $c3 local.get $c30 v128.store  local.get $c3 local.get $c31 v128.store offset=16
    local.get $c4 local.get $c40 v128.store  local.get $c4 local.get $c41 v128.store offset=16
    local.get $c5 local.get $c50 v128.store  local.get $c5 local.get $c51 v128.store offset=16
  )

  ;; 6×8 tile over a packed B (rows 32 bytes apart), k unrolled by 4, multiply then add.
  (func $tile6x8MulAddPacked
    (param $a i32) (param $lda i32) (param $b i32) (param $c i32) (param $ldc i32)
    (param $k i32) (param $accumulate i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32) (local $a5 i32) (local $aEnd i32) (local $aEndU i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128) (local $c40 v128) (local $c41 v128) (local $c50 v128) (local $c51 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    local.get $a local.get $lda i32.add local.set $a1
    local.get $a1 local.get $lda i32.add local.set $a2
    local.get $a2 local.get $lda i32.add local.set $a3
    local.get $a3 local.get $lda i32.add local.set $a4
    local.get $a4 local.get $lda i32.add local.set $a5
    local.get $c local.get $ldc i32.add local.set $c1
    local.get $c1 local.get $ldc i32.add local.set $c2
    local.get $c2 local.get $ldc i32.add local.set $c3
    local.get $c3 local.get $ldc i32.add local.set $c4
    local.get $c4 local.get $ldc i32.add local.set $c5
    local.get $a local.get $k i32.const 2 i32.shl i32.add local.set $aEnd
    local.get $a local.get $k i32.const -4 i32.and i32.const 2 i32.shl i32.add local.set $aEndU
    local.get $accumulate
    if
      local.get $c v128.load local.set $c00  local.get $c v128.load offset=16 local.set $c01
      local.get $c1 v128.load local.set $c10  local.get $c1 v128.load offset=16 local.set $c11
      local.get $c2 v128.load local.set $c20  local.get $c2 v128.load offset=16 local.set $c21
      local.get $c3 v128.load local.set $c30  local.get $c3 v128.load offset=16 local.set $c31
      local.get $c4 v128.load local.set $c40  local.get $c4 v128.load offset=16 local.set $c41
      local.get $c5 v128.load local.set $c50  local.get $c5 v128.load offset=16 local.set $c51
    end
    block $unrolledDone
      loop $unrolled
        local.get $a local.get $aEndU i32.ge_u br_if $unrolledDone
        local.get $b v128.load offset=0 local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $a4 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c40 f32x4.add local.set $c40
        local.get $x local.get $b1 f32x4.mul local.get $c41 f32x4.add local.set $c41
        local.get $a5 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c50 f32x4.add local.set $c50
        local.get $x local.get $b1 f32x4.mul local.get $c51 f32x4.add local.set $c51
        local.get $b v128.load offset=32 local.set $b0
        local.get $b v128.load offset=48 local.set $b1
        local.get $a v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $a4 v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c40 f32x4.add local.set $c40
        local.get $x local.get $b1 f32x4.mul local.get $c41 f32x4.add local.set $c41
        local.get $a5 v128.load32_splat offset=4 local.tee $x
        local.get $b0 f32x4.mul local.get $c50 f32x4.add local.set $c50
        local.get $x local.get $b1 f32x4.mul local.get $c51 f32x4.add local.set $c51
        local.get $b v128.load offset=64 local.set $b0
        local.get $b v128.load offset=80 local.set $b1
        local.get $a v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $a4 v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c40 f32x4.add local.set $c40
        local.get $x local.get $b1 f32x4.mul local.get $c41 f32x4.add local.set $c41
        local.get $a5 v128.load32_splat offset=8 local.tee $x
        local.get $b0 f32x4.mul local.get $c50 f32x4.add local.set $c50
        local.get $x local.get $b1 f32x4.mul local.get $c51 f32x4.add local.set $c51
        local.get $b v128.load offset=96 local.set $b0
        local.get $b v128.load offset=112 local.set $b1
        local.get $a v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $a4 v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c40 f32x4.add local.set $c40
        local.get $x local.get $b1 f32x4.mul local.get $c41 f32x4.add local.set $c41
        local.get $a5 v128.load32_splat offset=12 local.tee $x
        local.get $b0 f32x4.mul local.get $c50 f32x4.add local.set $c50
        local.get $x local.get $b1 f32x4.mul local.get $c51 f32x4.add local.set $c51
        local.get $a1 i32.const 16 i32.add local.set $a1
        local.get $a2 i32.const 16 i32.add local.set $a2
        local.get $a3 i32.const 16 i32.add local.set $a3
        local.get $a4 i32.const 16 i32.add local.set $a4
        local.get $a5 i32.const 16 i32.add local.set $a5
        local.get $b i32.const 128 i32.add local.set $b
        local.get $a i32.const 16 i32.add local.set $a
        br $unrolled
      end
    end
    block $done
      loop $steps
        local.get $a local.get $aEnd i32.ge_u br_if $done
        local.get $b v128.load offset=0 local.set $b0
        local.get $b v128.load offset=16 local.set $b1
        local.get $a v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c00 f32x4.add local.set $c00
        local.get $x local.get $b1 f32x4.mul local.get $c01 f32x4.add local.set $c01
        local.get $a1 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c10 f32x4.add local.set $c10
        local.get $x local.get $b1 f32x4.mul local.get $c11 f32x4.add local.set $c11
        local.get $a2 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c20 f32x4.add local.set $c20
        local.get $x local.get $b1 f32x4.mul local.get $c21 f32x4.add local.set $c21
        local.get $a3 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c30 f32x4.add local.set $c30
        local.get $x local.get $b1 f32x4.mul local.get $c31 f32x4.add local.set $c31
        local.get $a4 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c40 f32x4.add local.set $c40
        local.get $x local.get $b1 f32x4.mul local.get $c41 f32x4.add local.set $c41
        local.get $a5 v128.load32_splat offset=0 local.tee $x
        local.get $b0 f32x4.mul local.get $c50 f32x4.add local.set $c50
        local.get $x local.get $b1 f32x4.mul local.get $c51 f32x4.add local.set $c51
        local.get $a1 i32.const 4 i32.add local.set $a1
        local.get $a2 i32.const 4 i32.add local.set $a2
        local.get $a3 i32.const 4 i32.add local.set $a3
        local.get $a4 i32.const 4 i32.add local.set $a4
        local.get $a5 i32.const 4 i32.add local.set $a5
        local.get $b i32.const 32 i32.add local.set $b
        local.get $a i32.const 4 i32.add local.set $a
        br $steps
      end
    end
    local.get $c local.get $c00 v128.store  local.get $c local.get $c01 v128.store offset=16
    local.get $c1 local.get $c10 v128.store  local.get $c1 local.get $c11 v128.store offset=16
    local.get $c2 local.get $c20 v128.store  local.get $c2 local.get $c21 v128.store offset=16
    local.get $c3 local.get $c30 v128.store  local.get $c3 local.get $c31 v128.store offset=16
    local.get $c4 local.get $c40 v128.store  local.get $c4 local.get $c41 v128.store offset=16
    local.get $c5 local.get $c50 v128.store  local.get $c5 local.get $c51 v128.store offset=16
  )
)
