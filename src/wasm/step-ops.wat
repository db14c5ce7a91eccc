;; The element-wise loops around a training step's gemm products (src/worker/sequential-gemm.ts),
;; in WebAssembly SIMD (128-bit): bias + ReLU, the ReLU gradient, column sums, im2col, col2im,
;; 2×2 max-pooling and its gradient, and transposes. Each gives the same bits as its plain-TS
;; twin (src/worker/matrix-loops.ts, src/core/model/{im2col,col2im,max-pool,
;; max-pool-gradient}.ts): the same float operations in the same order, ReLU and pooling as
;; compare + select (f32x4.max would turn −0 into 0 and differs on NaN), column sums in f64.
;;
;; Matrices are row-major float32, channels innermost; all pointers are byte offsets into the
;; imported memory, and the TS wrapper (step-ops.ts) checks they lie inside it.
;; `npm run build:wasm` assembles this into step-ops.wasm.ts (features: simd).
(module
  (import "env" "memory" (memory 1))

  ;; dst[i] += src[i] for n floats.
  (func $add (param $src i32) (param $dst i32) (param $n i32)
    (block $quadsDone
      (loop $quads
        (br_if $quadsDone (i32.lt_u (local.get $n) (i32.const 4)))
        (v128.store (local.get $dst)
          (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))
        (br $quads)))
    (block $done
      (loop $singles
        (br_if $done (i32.eqz (local.get $n)))
        (f32.store (local.get $dst)
          (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
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

  ;; z[r][c] += bias[c]; then, if relu, z < 0 becomes +0 (−0 and NaN stay: `if (v < 0) v = 0`).
  (func (export "biasRelu")
    (param $z i32) (param $bias i32) (param $rows i32) (param $cols i32) (param $relu i32)
    (local $r i32) (local $j i32) (local $p i32) (local $v v128) (local $reluLanes v128)
    (local $s f32)
    ;; all ones when relu, so `lt & reluLanes` clears only the negative lanes, and only then
    (local.set $reluLanes (i32x4.splat (i32.sub (i32.const 0) (i32.ne (local.get $relu) (i32.const 0)))))
    (local.set $p (local.get $z))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $quadsDone
          (loop $quads
            (br_if $quadsDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))
            (local.set $v (f32x4.add (v128.load (local.get $p))
              (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
            (v128.store (local.get $p) (v128.andnot (local.get $v)
              (v128.and (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0)) (local.get $reluLanes))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $quads)))
        (block $singlesDone
          (loop $singles
            (br_if $singlesDone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $s (f32.add (f32.load (local.get $p))
              (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
            (if (i32.and (local.get $relu) (f32.lt (local.get $s) (f32.const 0)))
              (then (local.set $s (f32.const 0))))
            (f32.store (local.get $p) (local.get $s))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $singles)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop))))

  ;; dz[i] = out[i] > 0 ? dy[i] : +0, for n floats; dz may be dy.
  (func (export "reluMask") (param $dy i32) (param $out i32) (param $dz i32) (param $n i32)
    (block $quadsDone
      (loop $quads
        (br_if $quadsDone (i32.lt_u (local.get $n) (i32.const 4)))
        (v128.store (local.get $dz) (v128.and (v128.load (local.get $dy))
          (f32x4.gt (v128.load (local.get $out)) (v128.const f32x4 0 0 0 0))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $dz (i32.add (local.get $dz) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))
        (br $quads)))
    (block $done
      (loop $singles
        (br_if $done (i32.eqz (local.get $n)))
        (i32.store (local.get $dz) (select (i32.load (local.get $dy)) (i32.const 0)
          (f32.gt (f32.load (local.get $out)) (f32.const 0))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $dz (i32.add (local.get $dz) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $singles))))

  ;; The f64 pair of a v128's upper two floats.
  (func $promoteHigh (param $v v128) (result v128)
    (f64x2.promote_low_f32x4
      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))

  ;; Two f64 pairs rounded to four floats: [a0 a1 b0 b1].
  (func $demote4 (param $a v128) (param $b v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $a)) (f32x4.demote_f64x2_zero (local.get $b))))

  ;; 16 column sums from m (row stride in bytes) into sums: eight f64x2 sums in registers, one
  ;; pass over the rows reading whole 64-byte lines.
  (func $columnSums8 (param $m i32) (param $rows i32) (param $stride i32) (param $sums i32)
    (local $r i32) (local $v v128) (local $w v128) (local $x v128) (local $y v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $v (v128.load (local.get $m)))
        (local.set $w (v128.load offset=16 (local.get $m)))
        (local.set $x (v128.load offset=32 (local.get $m)))
        (local.set $y (v128.load offset=48 (local.get $m)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $v))))
        (local.set $a1 (f64x2.add (local.get $a1) (call $promoteHigh (local.get $v))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.promote_low_f32x4 (local.get $w))))
        (local.set $a3 (f64x2.add (local.get $a3) (call $promoteHigh (local.get $w))))
        (local.set $a4 (f64x2.add (local.get $a4) (f64x2.promote_low_f32x4 (local.get $x))))
        (local.set $a5 (f64x2.add (local.get $a5) (call $promoteHigh (local.get $x))))
        (local.set $a6 (f64x2.add (local.get $a6) (f64x2.promote_low_f32x4 (local.get $y))))
        (local.set $a7 (f64x2.add (local.get $a7) (call $promoteHigh (local.get $y))))
        (local.set $m (i32.add (local.get $m) (local.get $stride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop)))
    (v128.store (local.get $sums) (call $demote4 (local.get $a0) (local.get $a1)))
    (v128.store offset=16 (local.get $sums) (call $demote4 (local.get $a2) (local.get $a3)))
    (v128.store offset=32 (local.get $sums) (call $demote4 (local.get $a4) (local.get $a5)))
    (v128.store offset=48 (local.get $sums) (call $demote4 (local.get $a6) (local.get $a7))))

  ;; sums[c] = Σ_r m[r][c], added in float64 in row order and rounded once to float32. Columns
  ;; go in blocks of 16 and 8 (f64x2 sums in registers over all rows), then 2, then 1.
  (func (export "columnSums") (param $m i32) (param $rows i32) (param $cols i32) (param $sums i32)
    (local $j i32) (local $r i32) (local $p i32) (local $stride i32) (local $v v128) (local $w v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64)
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (block $sixteensDone
      (loop $sixteens
        (br_if $sixteensDone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $cols)))
        (call $columnSums8 (i32.add (local.get $m) (i32.shl (local.get $j) (i32.const 2)))
          (local.get $rows) (local.get $stride) (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $sixteens)))
    (block $eightsDone
      (loop $eights
        (br_if $eightsDone (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $cols)))
        (local.set $a0 (v128.const i64x2 0 0))
        (local.set $a1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0))
        (local.set $a3 (v128.const i64x2 0 0))
        (local.set $p (i32.add (local.get $m) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $rowsLoop
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $w (v128.load offset=16 (local.get $p)))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $v))))
            (local.set $a1 (f64x2.add (local.get $a1) (call $promoteHigh (local.get $v))))
            (local.set $a2 (f64x2.add (local.get $a2) (f64x2.promote_low_f32x4 (local.get $w))))
            (local.set $a3 (f64x2.add (local.get $a3) (call $promoteHigh (local.get $w))))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rowsLoop)))
        (local.set $p (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store (local.get $p) (call $demote4 (local.get $a0) (local.get $a1)))
        (v128.store offset=16 (local.get $p) (call $demote4 (local.get $a2) (local.get $a3)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $eights)))
    (block $pairsDone
      (loop $pairs
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $cols)))
        (local.set $a0 (v128.const i64x2 0 0))
        (local.set $p (i32.add (local.get $m) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $rowsLoop
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $a0 (f64x2.add (local.get $a0)
              (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rowsLoop)))
        (v128.store64_lane 0 (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.demote_f64x2_zero (local.get $a0)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $pairs)))
    (if (i32.lt_u (local.get $j) (local.get $cols))
      (then
        (local.set $p (i32.add (local.get $m) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $rowsLoop
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rowsLoop)))
        (f32.store (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 2)))
          (f32.demote_f64 (local.get $s))))))

  ;; i32 lanes [a_k b_k a_{k+1} b_{k+1}] (k = 0 or 2) and their pairs, for the 4×4 transpose.
  (func $interleaveLow (param $a v128) (param $b v128) (result v128)
    (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
  (func $interleaveHigh (param $a v128) (param $b v128) (result v128)
    (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
  (func $lowHalves (param $a v128) (param $b v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))
  (func $highHalves (param $a v128) (param $b v128) (result v128)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b)))

  ;; dst[c][r] = src[r][c], src rows × cols: 4×4 blocks through shuffles, the edges one by one.
  (func (export "transpose") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $in i32) (local $srcStride i32) (local $dstStride i32)
    (local $a v128) (local $b v128) (local $x v128) (local $y v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $out i32)
    (local.set $srcStride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $dstStride (i32.shl (local.get $rows) (i32.const 2)))
    (block $blockRowsDone
      (loop $blockRows
        (br_if $blockRowsDone (i32.gt_u (i32.add (local.get $r) (i32.const 4)) (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $blocksDone
          (loop $blocks
            (br_if $blocksDone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $cols)))
            (local.set $in (i32.add (local.get $src) (i32.shl
              (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
            (local.set $a (v128.load (local.get $in)))
            (local.set $in (i32.add (local.get $in) (local.get $srcStride)))
            (local.set $b (v128.load (local.get $in)))
            (local.set $in (i32.add (local.get $in) (local.get $srcStride)))
            (local.set $x (v128.load (local.get $in)))
            (local.set $in (i32.add (local.get $in) (local.get $srcStride)))
            (local.set $y (v128.load (local.get $in)))
            (local.set $t0 (call $interleaveLow (local.get $a) (local.get $b)))
            (local.set $t1 (call $interleaveHigh (local.get $a) (local.get $b)))
            (local.set $t2 (call $interleaveLow (local.get $x) (local.get $y)))
            (local.set $t3 (call $interleaveHigh (local.get $x) (local.get $y)))
            (local.set $out (i32.add (local.get $dst) (i32.shl
              (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2))))
            (v128.store (local.get $out) (call $lowHalves (local.get $t0) (local.get $t2)))
            (local.set $out (i32.add (local.get $out) (local.get $dstStride)))
            (v128.store (local.get $out) (call $highHalves (local.get $t0) (local.get $t2)))
            (local.set $out (i32.add (local.get $out) (local.get $dstStride)))
            (v128.store (local.get $out) (call $lowHalves (local.get $t1) (local.get $t3)))
            (local.set $out (i32.add (local.get $out) (local.get $dstStride)))
            (v128.store (local.get $out) (call $highHalves (local.get $t1) (local.get $t3)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $blocks)))
        (call $transposeEdge (local.get $src) (local.get $rows) (local.get $cols) (local.get $dst)
          (local.get $r) (i32.add (local.get $r) (i32.const 4)) (local.get $c))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $blockRows)))
    (call $transposeEdge (local.get $src) (local.get $rows) (local.get $cols) (local.get $dst)
      (local.get $r) (local.get $rows) (i32.const 0)))

  ;; dst[c][r] = src[r][c] for rows r0 ≤ r < r1 and columns c0 ≤ c < cols, one float at a time.
  (func $transposeEdge (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (param $r0 i32) (param $r1 i32) (param $c0 i32)
    (local $r i32) (local $c i32)
    (local.set $r (local.get $r0))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $c (local.get $c0))
        (block $colsDone
          (loop $colsLoop
            (br_if $colsDone (i32.ge_u (local.get $c) (local.get $cols)))
            (i32.store
              (i32.add (local.get $dst) (i32.shl
                (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
              (i32.load (i32.add (local.get $src) (i32.shl
                (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $colsLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop))))

  ;; im2col: each window of x ([batch, h, w, c]) as one row of out ([batch·oh·ow, kh·kw·c]),
  ;; columns (i, j, ci). Row i of a window is one contiguous run of x: its taps inside the input
  ;; (j0 ≤ j < j1) copied, the padding taps before and after set to +0, a row off the input all +0.
  (func (export "im2col") (param $x i32) (param $batch i32)
    (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32)
    (param $left i32) (param $out i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $i i32) (local $y i32) (local $x0 i32)
    (local $j0 i32) (local $j1 i32) (local $base i32) (local $plane i32) (local $kwc i32)
    (local $rowStride i32) (local $from i32) (local $src i32) (local $dst i32) (local $n i32)
    (local $run i32)
    (local.set $plane (i32.shl (i32.mul (i32.mul (local.get $h) (local.get $w)) (local.get $c)) (i32.const 2)))
    (local.set $rowStride (i32.shl (i32.mul (local.get $w) (local.get $c)) (i32.const 2)))
    (local.set $kwc (i32.mul (local.get $kw) (local.get $c)))
    (local.set $base (local.get $x))
    (block $batchDone
      (loop $batchLoop
        (br_if $batchDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $oy (i32.const 0))
        (block $oyDone
          (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
            (local.set $ox (i32.const 0))
            (block $oxDone
              (loop $oxLoop
                (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
                (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
                (local.set $j0 (call $firstInside (local.get $x0)))
                (local.set $j1 (call $endInside (local.get $x0) (local.get $kw) (local.get $w) (local.get $j0)))
                (local.set $run (i32.mul (i32.sub (local.get $j1) (local.get $j0)) (local.get $c)))
                (local.set $y (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)))
                ;; the window's first inside tap in row y (an address off the input when y is)
                (local.set $from (i32.add (local.get $base) (i32.add
                  (i32.mul (local.get $y) (local.get $rowStride))
                  (i32.shl (i32.mul (i32.add (local.get $x0) (local.get $j0)) (local.get $c)) (i32.const 2)))))
                (local.set $i (i32.const 0))
                (block $iDone
                  (loop $iLoop
                    (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
                    (if (i32.lt_u (local.get $y) (local.get $h)) ;; unsigned: y < 0 is off too
                      (then
                        (if (local.get $j0)
                          (then (call $zero (local.get $out) (i32.mul (local.get $j0) (local.get $c)))))
                        ;; the copy inline: conv1's runs are 3 floats, where a call costs as much
                        (local.set $src (local.get $from))
                        (local.set $dst (i32.add (local.get $out) (i32.shl (i32.mul (local.get $j0) (local.get $c)) (i32.const 2))))
                        (local.set $n (local.get $run))
                        (block $quadsDone
                          (loop $quads
                            (br_if $quadsDone (i32.lt_u (local.get $n) (i32.const 4)))
                            (v128.store (local.get $dst) (v128.load (local.get $src)))
                            (local.set $src (i32.add (local.get $src) (i32.const 16)))
                            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                            (local.set $n (i32.sub (local.get $n) (i32.const 4)))
                            (br $quads)))
                        (if (i32.ge_u (local.get $n) (i32.const 2))
                          (then
                            (i64.store (local.get $dst) (i64.load (local.get $src)))
                            (local.set $src (i32.add (local.get $src) (i32.const 8)))
                            (local.set $dst (i32.add (local.get $dst) (i32.const 8)))))
                        (if (i32.and (local.get $n) (i32.const 1))
                          (then
                            (i32.store (local.get $dst) (i32.load (local.get $src)))
                            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))))
                        (if (i32.lt_u (local.get $j1) (local.get $kw))
                          (then (call $zero (local.get $dst)
                            (i32.mul (i32.sub (local.get $kw) (local.get $j1)) (local.get $c))))))
                      (else (call $zero (local.get $out) (local.get $kwc))))
                    (local.set $out (i32.add (local.get $out) (i32.shl (local.get $kwc) (i32.const 2))))
                    (local.set $from (i32.add (local.get $from) (local.get $rowStride)))
                    (local.set $y (i32.add (local.get $y) (i32.const 1)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $iLoop)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxLoop)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
        (local.set $base (i32.add (local.get $base) (local.get $plane)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batchLoop))))

  ;; The first tap j of a window row starting at column x0 with x0 + j ≥ 0.
  (func $firstInside (param $x0 i32) (result i32)
    (select (i32.sub (i32.const 0) (local.get $x0)) (i32.const 0) (i32.lt_s (local.get $x0) (i32.const 0))))

  ;; One past the last tap j < kw with x0 + j < w (never below j0).
  (func $endInside (param $x0 i32) (param $kw i32) (param $w i32) (param $j0 i32) (result i32)
    (local $end i32)
    (local.set $end (i32.sub (local.get $w) (local.get $x0)))
    (if (i32.gt_s (local.get $end) (local.get $kw)) (then (local.set $end (local.get $kw))))
    (select (local.get $j0) (local.get $end) (i32.lt_s (local.get $end) (local.get $j0))))

  ;; col2im: dx = +0, then each window's row of cols ([batch·oh·ow, kh·kw·c]) added back onto the
  ;; pixels it was read from, windows in order (b, oy, ox) and taps (i, j) as col2im.ts adds
  ;; them (within a window no two taps share a pixel); taps on padding are dropped.
  (func (export "col2im") (param $cols i32) (param $batch i32)
    (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32)
    (param $left i32) (param $dx i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $i i32) (local $y i32) (local $x0 i32)
    (local $j0 i32) (local $j1 i32) (local $base i32) (local $plane i32) (local $seg i32)
    (local $kwc i32)
    (local.set $plane (i32.shl (i32.mul (i32.mul (local.get $h) (local.get $w)) (local.get $c)) (i32.const 2)))
    (local.set $kwc (i32.mul (local.get $kw) (local.get $c)))
    (call $zero (local.get $dx) (i32.shr_u (i32.mul (local.get $plane) (local.get $batch)) (i32.const 2)))
    (local.set $base (local.get $dx))
    (local.set $seg (local.get $cols))
    (block $batchDone
      (loop $batchLoop
        (br_if $batchDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $oy (i32.const 0))
        (block $oyDone
          (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
            (local.set $ox (i32.const 0))
            (block $oxDone
              (loop $oxLoop
                (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
                (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
                (local.set $j0 (call $firstInside (local.get $x0)))
                (local.set $j1 (call $endInside (local.get $x0) (local.get $kw) (local.get $w) (local.get $j0)))
                (local.set $i (i32.const 0))
                (block $iDone
                  (loop $iLoop
                    (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
                    (local.set $y (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)) (local.get $i)))
                    (if (i32.and (i32.ge_s (local.get $y) (i32.const 0)) (i32.lt_s (local.get $y) (local.get $h)))
                      (then
                        (call $add
                          (i32.add (local.get $seg) (i32.shl (i32.mul (local.get $j0) (local.get $c)) (i32.const 2)))
                          (i32.add (local.get $base) (i32.shl (i32.mul
                            (i32.add (i32.mul (local.get $y) (local.get $w)) (i32.add (local.get $x0) (local.get $j0)))
                            (local.get $c)) (i32.const 2)))
                          (i32.mul (i32.sub (local.get $j1) (local.get $j0)) (local.get $c)))))
                    (local.set $seg (i32.add (local.get $seg) (i32.shl (local.get $kwc) (i32.const 2))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $iLoop)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxLoop)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
        (local.set $base (i32.add (local.get $base) (local.get $plane)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batchLoop))))

  ;; The maximum of four taps in row-major order, a later one only if strictly greater.
  (func $max4 (param $v0 v128) (param $v1 v128) (param $v2 v128) (param $v3 v128) (result v128)
    (local $best v128)
    (local.set $best (v128.bitselect (local.get $v1) (local.get $v0) (f32x4.gt (local.get $v1) (local.get $v0))))
    (local.set $best (v128.bitselect (local.get $v2) (local.get $best) (f32x4.gt (local.get $v2) (local.get $best))))
    (v128.bitselect (local.get $v3) (local.get $best) (f32x4.gt (local.get $v3) (local.get $best))))

  ;; Which of a 2×2 window's four scalar taps wins (0–3), by the same rule; p0 is its first tap,
  ;; the others at + c, + rowStride, + rowStride + c (bytes).
  (func $winner (param $p0 i32) (param $rowStride i32) (param $c i32) (result i32)
    (local $best f32) (local $k i32) (local $v f32)
    (local.set $best (f32.load (local.get $p0)))
    (local.set $v (f32.load (i32.add (local.get $p0) (local.get $c))))
    (if (f32.gt (local.get $v) (local.get $best))
      (then (local.set $best (local.get $v)) (local.set $k (i32.const 1))))
    (local.set $v (f32.load (i32.add (local.get $p0) (local.get $rowStride))))
    (if (f32.gt (local.get $v) (local.get $best))
      (then (local.set $best (local.get $v)) (local.set $k (i32.const 2))))
    (local.set $v (f32.load (i32.add (i32.add (local.get $p0) (local.get $rowStride)) (local.get $c))))
    (if (f32.gt (local.get $v) (local.get $best))
      (then (local.set $k (i32.const 3))))
    (local.get $k))

  ;; Byte offset of tap k (0–3) of a 2×2 window from its first tap.
  (func $tapOffset (param $k i32) (param $rowStride i32) (param $c i32) (result i32)
    (i32.add
      (select (local.get $rowStride) (i32.const 0) (i32.ge_u (local.get $k) (i32.const 2)))
      (select (local.get $c) (i32.const 0) (i32.and (local.get $k) (i32.const 1)))))

  ;; 2×2 max-pooling, stride 2, no padding (2·oh ≤ h, 2·ow ≤ w): out [batch, oh, ow, c].
  (func (export "maxPool2x2") (param $x i32) (param $batch i32) (param $h i32) (param $w i32)
    (param $c i32) (param $oh i32) (param $ow i32) (param $out i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ch i32) (local $p i32)
    (local $rowStride i32) (local $cBytes i32)
    (local.set $rowStride (i32.shl (i32.mul (local.get $w) (local.get $c)) (i32.const 2)))
    (local.set $cBytes (i32.shl (local.get $c) (i32.const 2)))
    (block $batchDone
      (loop $batchLoop
        (br_if $batchDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $oy (i32.const 0))
        (block $oyDone
          (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
            (local.set $ox (i32.const 0))
            (block $oxDone
              (loop $oxLoop
                (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
                (local.set $p (call $windowStart (local.get $x) (local.get $b) (local.get $h)
                  (local.get $oy) (local.get $ox) (local.get $rowStride) (local.get $cBytes)))
                (local.set $ch (i32.const 0))
                (block $quadsDone
                  (loop $quads
                    (br_if $quadsDone (i32.gt_u (i32.add (local.get $ch) (i32.const 4)) (local.get $c)))
                    (v128.store (local.get $out) (call $max4
                      (v128.load (local.get $p))
                      (v128.load (i32.add (local.get $p) (local.get $cBytes)))
                      (v128.load (i32.add (local.get $p) (local.get $rowStride)))
                      (v128.load (i32.add (i32.add (local.get $p) (local.get $rowStride)) (local.get $cBytes)))))
                    (local.set $p (i32.add (local.get $p) (i32.const 16)))
                    (local.set $out (i32.add (local.get $out) (i32.const 16)))
                    (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
                    (br $quads)))
                (block $singlesDone
                  (loop $singles
                    (br_if $singlesDone (i32.ge_u (local.get $ch) (local.get $c)))
                    (i32.store (local.get $out) (i32.load (i32.add (local.get $p) (call $tapOffset
                      (call $winner (local.get $p) (local.get $rowStride) (local.get $cBytes))
                      (local.get $rowStride) (local.get $cBytes)))))
                    (local.set $p (i32.add (local.get $p) (i32.const 4)))
                    (local.set $out (i32.add (local.get $out) (i32.const 4)))
                    (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
                    (br $singles)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxLoop)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batchLoop))))

  ;; Byte address of window (oy, ox)'s first tap in image b, from `image` (x or dx).
  (func $windowStart (param $image i32) (param $b i32) (param $h i32) (param $oy i32) (param $ox i32)
    (param $rowStride i32) (param $cBytes i32) (result i32)
    (i32.add (local.get $image) (i32.add
      (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.shl (local.get $oy) (i32.const 1)))
        (local.get $rowStride))
      (i32.mul (i32.shl (local.get $ox) (i32.const 1)) (local.get $cBytes)))))

  ;; The gradient of maxPool2x2: dy ([batch, oh, ow, c]) to each window's winning tap in dx (x's
  ;; shape), +0 to its other taps — each tap stored once, as dy & (its winning mask) — and +0
  ;; where no window reaches (the last row or column of an odd size).
  (func (export "maxPool2x2Gradient") (param $x i32) (param $dy i32) (param $batch i32)
    (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32) (param $dx i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ch i32) (local $p i32) (local $q i32)
    (local $rowStride i32) (local $cBytes i32) (local $k i32) (local $g i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $best v128)
    (local $m1 v128) (local $m2 v128) (local $m3 v128) (local $later2 v128) (local $d v128)
    (local.set $rowStride (i32.shl (i32.mul (local.get $w) (local.get $c)) (i32.const 2)))
    (local.set $cBytes (i32.shl (local.get $c) (i32.const 2)))
    (block $batchDone
      (loop $batchLoop
        (br_if $batchDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $oy (i32.const 0))
        (block $oyDone
          (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
            (local.set $ox (i32.const 0))
            (block $oxDone
              (loop $oxLoop
                (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
                (local.set $p (call $windowStart (local.get $x) (local.get $b) (local.get $h)
                  (local.get $oy) (local.get $ox) (local.get $rowStride) (local.get $cBytes)))
                (local.set $q (call $windowStart (local.get $dx) (local.get $b) (local.get $h)
                  (local.get $oy) (local.get $ox) (local.get $rowStride) (local.get $cBytes)))
                (local.set $ch (i32.const 0))
                (block $quadsDone
                  (loop $quads
                    (br_if $quadsDone (i32.gt_u (i32.add (local.get $ch) (i32.const 4)) (local.get $c)))
                    (local.set $v0 (v128.load (local.get $p)))
                    (local.set $v1 (v128.load (i32.add (local.get $p) (local.get $cBytes))))
                    (local.set $v2 (v128.load (i32.add (local.get $p) (local.get $rowStride))))
                    (local.set $v3 (v128.load (i32.add (i32.add (local.get $p) (local.get $rowStride)) (local.get $cBytes))))
                    (local.set $m1 (f32x4.gt (local.get $v1) (local.get $v0)))
                    (local.set $best (v128.bitselect (local.get $v1) (local.get $v0) (local.get $m1)))
                    (local.set $m2 (f32x4.gt (local.get $v2) (local.get $best)))
                    (local.set $best (v128.bitselect (local.get $v2) (local.get $best) (local.get $m2)))
                    (local.set $m3 (f32x4.gt (local.get $v3) (local.get $best)))
                    ;; tap 3 wins if it beat the best before it; tap 2 if it did and tap 3 did
                    ;; not; tap 1 if it beat tap 0 and neither later one won; tap 0 otherwise
                    (local.set $later2 (v128.or (local.get $m2) (local.get $m3)))
                    (local.set $d (v128.load (local.get $dy)))
                    (v128.store (local.get $q)
                      (v128.andnot (local.get $d) (v128.or (local.get $m1) (local.get $later2))))
                    (v128.store (i32.add (local.get $q) (local.get $cBytes))
                      (v128.and (local.get $d) (v128.andnot (local.get $m1) (local.get $later2))))
                    (v128.store (i32.add (local.get $q) (local.get $rowStride))
                      (v128.and (local.get $d) (v128.andnot (local.get $m2) (local.get $m3))))
                    (v128.store (i32.add (i32.add (local.get $q) (local.get $rowStride)) (local.get $cBytes))
                      (v128.and (local.get $d) (local.get $m3)))
                    (local.set $p (i32.add (local.get $p) (i32.const 16)))
                    (local.set $q (i32.add (local.get $q) (i32.const 16)))
                    (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
                    (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
                    (br $quads)))
                (block $singlesDone
                  (loop $singles
                    (br_if $singlesDone (i32.ge_u (local.get $ch) (local.get $c)))
                    (local.set $k (call $winner (local.get $p) (local.get $rowStride) (local.get $cBytes)))
                    (local.set $g (i32.load (local.get $dy)))
                    (i32.store (local.get $q)
                      (select (local.get $g) (i32.const 0) (i32.eq (local.get $k) (i32.const 0))))
                    (i32.store (i32.add (local.get $q) (local.get $cBytes))
                      (select (local.get $g) (i32.const 0) (i32.eq (local.get $k) (i32.const 1))))
                    (i32.store (i32.add (local.get $q) (local.get $rowStride))
                      (select (local.get $g) (i32.const 0) (i32.eq (local.get $k) (i32.const 2))))
                    (i32.store (i32.add (i32.add (local.get $q) (local.get $rowStride)) (local.get $cBytes))
                      (select (local.get $g) (i32.const 0) (i32.eq (local.get $k) (i32.const 3))))
                    (local.set $p (i32.add (local.get $p) (i32.const 4)))
                    (local.set $q (i32.add (local.get $q) (i32.const 4)))
                    (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
                    (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
                    (br $singles)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxLoop)))
            ;; an odd width: the last column of both rows, past the windows
            (local.set $q (call $windowStart (local.get $dx) (local.get $b) (local.get $h)
              (local.get $oy) (local.get $ow) (local.get $rowStride) (local.get $cBytes)))
            (local.set $k (i32.mul (i32.sub (local.get $w) (i32.shl (local.get $ow) (i32.const 1))) (local.get $c)))
            (call $zero (local.get $q) (local.get $k))
            (call $zero (i32.add (local.get $q) (local.get $rowStride)) (local.get $k))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
        ;; an odd height: the last row, past the windows
        (call $zero
          (call $windowStart (local.get $dx) (local.get $b) (local.get $h)
            (local.get $oh) (i32.const 0) (local.get $rowStride) (local.get $cBytes))
          (i32.mul (i32.sub (local.get $h) (i32.shl (local.get $oh) (i32.const 1)))
            (i32.mul (local.get $w) (local.get $c))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batchLoop))))
)
