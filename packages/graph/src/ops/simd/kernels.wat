;; Float32 loops in WebAssembly SIMD over tfjs-wasm's own memory (imported), for kernels whose
;; op-by-op tfjs form costs more than the arithmetic. Pointers are byte offsets into that memory
;; (tfjs's tensor memoryOffsets); callers pass outputs freshly allocated by tfjs.
;; Compiled by scripts/build_simd.ts (wabt) into simd_binary.ts; the test checks the two agree.
(module
  (import "env" "memory" (memory 1))

  ;; TF's ApplyAdam (training_ops.cc), 4 lanes at a time over the first `bytes` bytes:
  ;;   m1 = m + (g - m) * s1            s1 = 1 - beta1
  ;;   v1 = v + (g * g - v) * s2        s2 = 1 - beta2
  ;;   x1 = x - (g * p + m1 * q) * alpha / (sqrt(v1) + eps)
  ;; with p = 0, q = 1 for Adam and p = 1 - beta1, q = beta1 for Nesterov.
  (func (export "adam")
    (param $x i32) (param $m i32) (param $v i32) (param $g i32)
    (param $x1 i32) (param $m1 i32) (param $v1 i32) (param $bytes i32)
    (param $s1 f32) (param $s2 f32) (param $p f32) (param $q f32) (param $alpha f32) (param $eps f32)
    (local $j i32) (local $gi v128) (local $mi v128) (local $vi v128)
    (local $S1 v128) (local $S2 v128) (local $P v128) (local $Q v128) (local $A v128) (local $E v128)
    (local.set $S1 (f32x4.splat (local.get $s1)))
    (local.set $S2 (f32x4.splat (local.get $s2)))
    (local.set $P (f32x4.splat (local.get $p)))
    (local.set $Q (f32x4.splat (local.get $q)))
    (local.set $A (f32x4.splat (local.get $alpha)))
    (local.set $E (f32x4.splat (local.get $eps)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $gi (v128.load (i32.add (local.get $g) (local.get $j))))
        (local.set $mi (v128.load (i32.add (local.get $m) (local.get $j))))
        (local.set $vi (v128.load (i32.add (local.get $v) (local.get $j))))
        (local.set $mi
          (f32x4.add (local.get $mi) (f32x4.mul (f32x4.sub (local.get $gi) (local.get $mi)) (local.get $S1))))
        (local.set $vi
          (f32x4.add (local.get $vi)
            (f32x4.mul (f32x4.sub (f32x4.mul (local.get $gi) (local.get $gi)) (local.get $vi)) (local.get $S2))))
        (v128.store (i32.add (local.get $m1) (local.get $j)) (local.get $mi))
        (v128.store (i32.add (local.get $v1) (local.get $j)) (local.get $vi))
        (v128.store (i32.add (local.get $x1) (local.get $j))
          (f32x4.sub
            (v128.load (i32.add (local.get $x) (local.get $j)))
            (f32x4.div
              (f32x4.mul
                (f32x4.add (f32x4.mul (local.get $gi) (local.get $P)) (f32x4.mul (local.get $mi) (local.get $Q)))
                (local.get $A))
              (f32x4.add (f32x4.sqrt (local.get $vi)) (local.get $E)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next))))

  ;; TF's ApplyGradientDescent (training_ops.cc), 4 lanes at a time over the first `bytes` bytes:
  ;;   x1 = x - d * alpha
  (func (export "gradientDescent")
    (param $x i32) (param $d i32) (param $x1 i32) (param $bytes i32) (param $alpha f32)
    (local $j i32) (local $A v128)
    (local.set $A (f32x4.splat (local.get $alpha)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
        (v128.store (i32.add (local.get $x1) (local.get $j))
          (f32x4.sub
            (v128.load (i32.add (local.get $x) (local.get $j)))
            (f32x4.mul (v128.load (i32.add (local.get $d) (local.get $j))) (local.get $A))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next))))

    ;; TF's MaxPoolGrad on NHWC with c a multiple of 4: for each output cell and 4 channels, the
  ;; first maximum of its window in row-major order (padding never wins: only in-bounds cells are
  ;; visited), and dy added to `out` there. `out` must be zeroed by the caller.
  (func (export "maxPoolGrad")
    (param $x i32) (param $dy i32) (param $out i32)
    (param $b i32) (param $h i32) (param $w i32) (param $c i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32)
    (param $oh i32) (param $ow i32) (param $padT i32) (param $padL i32)
    (local $n i32) (local $r i32) (local $q i32) (local $ch i32) (local $y i32) (local $z i32)
    (local $r0 i32) (local $r1 i32) (local $c0 i32) (local $c1 i32) (local $o i32) (local $e i32)
    (local $best v128) (local $at v128) (local $d v128) (local $v v128) (local $gt v128) (local $idx v128)
    (loop $batch
      (local.set $r (i32.const 0))
      (loop $row
        ;; window rows [r0, r1): r * sh - padT + [0, kh) clamped to [0, h)
        (local.set $r0 (i32.sub (i32.mul (local.get $r) (local.get $sh)) (local.get $padT)))
        (local.set $r1 (i32.add (local.get $r0) (local.get $kh)))
        (local.set $r0 (select (i32.const 0) (local.get $r0) (i32.lt_s (local.get $r0) (i32.const 0))))
        (local.set $r1 (select (local.get $h) (local.get $r1) (i32.gt_s (local.get $r1) (local.get $h))))
        (local.set $q (i32.const 0))
        (loop $col
          (local.set $c0 (i32.sub (i32.mul (local.get $q) (local.get $sw)) (local.get $padL)))
          (local.set $c1 (i32.add (local.get $c0) (local.get $kw)))
          (local.set $c0 (select (i32.const 0) (local.get $c0) (i32.lt_s (local.get $c0) (i32.const 0))))
          (local.set $c1 (select (local.get $w) (local.get $c1) (i32.gt_s (local.get $c1) (local.get $w))))
          (local.set $ch (i32.const 0))
          (loop $chan
            ;; start from the window's first cell; later cells replace lanes they beat (>)
            (local.set $e
              (i32.add
                (i32.mul
                  (i32.add
                    (i32.mul (i32.add (i32.mul (local.get $n) (local.get $h)) (local.get $r0)) (local.get $w))
                    (local.get $c0))
                  (local.get $c))
                (local.get $ch)))
            (local.set $best (v128.load (i32.add (local.get $x) (i32.shl (local.get $e) (i32.const 2)))))
            (local.set $at (i32x4.add (i32x4.splat (local.get $e)) (v128.const i32x4 0 1 2 3)))
            (local.set $y (local.get $r0))
            (loop $wy
              (local.set $z (local.get $c0))
              (loop $wz
                (local.set $e
                  (i32.add
                    (i32.mul
                      (i32.add
                        (i32.mul (i32.add (i32.mul (local.get $n) (local.get $h)) (local.get $y)) (local.get $w))
                        (local.get $z))
                      (local.get $c))
                    (local.get $ch)))
                (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $e) (i32.const 2)))))
                (local.set $gt (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $gt)))
                (local.set $idx (i32x4.add (i32x4.splat (local.get $e)) (v128.const i32x4 0 1 2 3)))
                (local.set $at (v128.bitselect (local.get $idx) (local.get $at) (local.get $gt)))
                (local.set $z (i32.add (local.get $z) (i32.const 1)))
                (br_if $wz (i32.lt_s (local.get $z) (local.get $c1))))
              (local.set $y (i32.add (local.get $y) (i32.const 1)))
              (br_if $wy (i32.lt_s (local.get $y) (local.get $r1))))
            ;; out[at[k]] += dy[o + ch + k] for the 4 lanes
            (local.set $d (v128.load (i32.add (local.get $dy) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2)))))
            (call $addAt (local.get $out) (i32x4.extract_lane 0 (local.get $at)) (f32x4.extract_lane 0 (local.get $d)))
            (call $addAt (local.get $out) (i32x4.extract_lane 1 (local.get $at)) (f32x4.extract_lane 1 (local.get $d)))
            (call $addAt (local.get $out) (i32x4.extract_lane 2 (local.get $at)) (f32x4.extract_lane 2 (local.get $d)))
            (call $addAt (local.get $out) (i32x4.extract_lane 3 (local.get $at)) (f32x4.extract_lane 3 (local.get $d)))
            (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
            (br_if $chan (i32.lt_s (local.get $ch) (local.get $c))))
          (local.set $o (i32.add (local.get $o) (local.get $c)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br_if $col (i32.lt_s (local.get $q) (local.get $ow))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $row (i32.lt_s (local.get $r) (local.get $oh))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $batch (i32.lt_s (local.get $n) (local.get $b)))))

  ;; One image's one-input-channel filter gradient, straight from its padded copy xp [hp, wp]:
  ;;   acc[tap, o] += Σ over windows (y, z) of xp[y·sh + r·dh, z·sw + q·dw] · dy[y, z, o]
  ;; for tap = r·kw + q < taps (acc rows from taps up to rows, a multiple of 5, get tap 0's sums:
  ;; the caller cuts them off). Tiles of 5 taps × 8 of the n output channels (n % 8 = 0) live
  ;; in registers over all the image's oh × ow windows (oh, ow > 0).
  (func (export "filterGradImage")
    (param $xp i32) (param $dy i32) (param $acc i32) (param $rows i32) (param $taps i32)
    (param $kw i32) (param $dh i32) (param $dw i32) (param $sh i32) (param $sw i32)
    (param $oh i32) (param $ow i32) (param $wp i32) (param $n i32)
    (local $t i32) (local $tap i32) (local $o i32) (local $y i32) (local $pc i32) (local $pb i32)
    (local $base i32) (local $end i32) (local $nBytes i32) (local $step i32)
    (local $off0 i32) (local $off1 i32) (local $off2 i32) (local $off3 i32) (local $off4 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128) (local $c40 v128) (local $c41 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $nBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $step (i32.shl (local.get $sw) (i32.const 2)))
    (loop $tileRows
      (local.set $tap (i32.add (local.get $t) (i32.const 0)))
      (local.set $tap (select (local.get $tap) (i32.const 0) (i32.lt_s (local.get $tap) (local.get $taps))))
      (local.set $off0 (i32.shl
        (i32.add
          (i32.mul (i32.mul (i32.div_u (local.get $tap) (local.get $kw)) (local.get $dh)) (local.get $wp))
          (i32.mul (i32.rem_u (local.get $tap) (local.get $kw)) (local.get $dw)))
        (i32.const 2)))
      (local.set $tap (i32.add (local.get $t) (i32.const 1)))
      (local.set $tap (select (local.get $tap) (i32.const 0) (i32.lt_s (local.get $tap) (local.get $taps))))
      (local.set $off1 (i32.shl
        (i32.add
          (i32.mul (i32.mul (i32.div_u (local.get $tap) (local.get $kw)) (local.get $dh)) (local.get $wp))
          (i32.mul (i32.rem_u (local.get $tap) (local.get $kw)) (local.get $dw)))
        (i32.const 2)))
      (local.set $tap (i32.add (local.get $t) (i32.const 2)))
      (local.set $tap (select (local.get $tap) (i32.const 0) (i32.lt_s (local.get $tap) (local.get $taps))))
      (local.set $off2 (i32.shl
        (i32.add
          (i32.mul (i32.mul (i32.div_u (local.get $tap) (local.get $kw)) (local.get $dh)) (local.get $wp))
          (i32.mul (i32.rem_u (local.get $tap) (local.get $kw)) (local.get $dw)))
        (i32.const 2)))
      (local.set $tap (i32.add (local.get $t) (i32.const 3)))
      (local.set $tap (select (local.get $tap) (i32.const 0) (i32.lt_s (local.get $tap) (local.get $taps))))
      (local.set $off3 (i32.shl
        (i32.add
          (i32.mul (i32.mul (i32.div_u (local.get $tap) (local.get $kw)) (local.get $dh)) (local.get $wp))
          (i32.mul (i32.rem_u (local.get $tap) (local.get $kw)) (local.get $dw)))
        (i32.const 2)))
      (local.set $tap (i32.add (local.get $t) (i32.const 4)))
      (local.set $tap (select (local.get $tap) (i32.const 0) (i32.lt_s (local.get $tap) (local.get $taps))))
      (local.set $off4 (i32.shl
        (i32.add
          (i32.mul (i32.mul (i32.div_u (local.get $tap) (local.get $kw)) (local.get $dh)) (local.get $wp))
          (i32.mul (i32.rem_u (local.get $tap) (local.get $kw)) (local.get $dw)))
        (i32.const 2)))
      (local.set $o (i32.const 0))
      (loop $tileCols
        (local.set $pc (i32.add (local.get $acc)
          (i32.shl (i32.add (i32.mul (local.get $t) (local.get $n)) (local.get $o)) (i32.const 2))))
        (local.set $c00 (v128.load offset=0 (local.get $pc)))
        (local.set $c01 (v128.load offset=16 (local.get $pc)))
        (local.set $c10 (v128.load offset=0 (i32.add (local.get $pc) (i32.mul (i32.const 1) (local.get $nBytes)))))
        (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (i32.const 1) (local.get $nBytes)))))
        (local.set $c20 (v128.load offset=0 (i32.add (local.get $pc) (i32.mul (i32.const 2) (local.get $nBytes)))))
        (local.set $c21 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (i32.const 2) (local.get $nBytes)))))
        (local.set $c30 (v128.load offset=0 (i32.add (local.get $pc) (i32.mul (i32.const 3) (local.get $nBytes)))))
        (local.set $c31 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (i32.const 3) (local.get $nBytes)))))
        (local.set $c40 (v128.load offset=0 (i32.add (local.get $pc) (i32.mul (i32.const 4) (local.get $nBytes)))))
        (local.set $c41 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (i32.const 4) (local.get $nBytes)))))
        (local.set $pb (i32.add (local.get $dy) (i32.shl (local.get $o) (i32.const 2))))
        (local.set $y (i32.const 0))
        (loop $windowRows
          (local.set $base (i32.add (local.get $xp)
            (i32.shl (i32.mul (i32.mul (local.get $y) (local.get $sh)) (local.get $wp)) (i32.const 2))))
          (local.set $end (i32.add (local.get $base) (i32.mul (local.get $ow) (local.get $step))))
          (loop $windows
            (local.set $b0 (v128.load (local.get $pb)))
            (local.set $b1 (v128.load offset=16 (local.get $pb)))
            (local.set $s (v128.load32_splat (i32.add (local.get $base) (local.get $off0))))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (v128.load32_splat (i32.add (local.get $base) (local.get $off1))))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (v128.load32_splat (i32.add (local.get $base) (local.get $off2))))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (v128.load32_splat (i32.add (local.get $base) (local.get $off3))))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $s (v128.load32_splat (i32.add (local.get $base) (local.get $off4))))
            (local.set $c40 (f32x4.add (local.get $c40) (f32x4.mul (local.get $s) (local.get $b0))))
            (local.set $c41 (f32x4.add (local.get $c41) (f32x4.mul (local.get $s) (local.get $b1))))
            (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
            (local.set $base (i32.add (local.get $base) (local.get $step)))
            (br_if $windows (i32.lt_u (local.get $base) (local.get $end))))
          (local.set $y (i32.add (local.get $y) (i32.const 1)))
          (br_if $windowRows (i32.lt_s (local.get $y) (local.get $oh))))
        (v128.store offset=0 (local.get $pc) (local.get $c00))
        (v128.store offset=16 (local.get $pc) (local.get $c01))
        (v128.store offset=0 (i32.add (local.get $pc) (i32.mul (i32.const 1) (local.get $nBytes))) (local.get $c10))
        (v128.store offset=16 (i32.add (local.get $pc) (i32.mul (i32.const 1) (local.get $nBytes))) (local.get $c11))
        (v128.store offset=0 (i32.add (local.get $pc) (i32.mul (i32.const 2) (local.get $nBytes))) (local.get $c20))
        (v128.store offset=16 (i32.add (local.get $pc) (i32.mul (i32.const 2) (local.get $nBytes))) (local.get $c21))
        (v128.store offset=0 (i32.add (local.get $pc) (i32.mul (i32.const 3) (local.get $nBytes))) (local.get $c30))
        (v128.store offset=16 (i32.add (local.get $pc) (i32.mul (i32.const 3) (local.get $nBytes))) (local.get $c31))
        (v128.store offset=0 (i32.add (local.get $pc) (i32.mul (i32.const 4) (local.get $nBytes))) (local.get $c40))
        (v128.store offset=16 (i32.add (local.get $pc) (i32.mul (i32.const 4) (local.get $nBytes))) (local.get $c41))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br_if $tileCols (i32.lt_s (local.get $o) (local.get $n))))
      (local.set $t (i32.add (local.get $t) (i32.const 5)))
      (br_if $tileRows (i32.lt_s (local.get $t) (local.get $rows)))))

  ;; C = A·B (+ bias, relu) for float32 matrices where they lie: XNNPACK (tfjs-wasm's matMul)
  ;; packs its whole right operand again whenever that is a new tensor, in training every step.
  ;; A[i, p] is at a + i·sa + p·sk (byte strides, so Aᵀ costs nothing), B is row-major with row
  ;; stride ldb, C with row stride ldc. Register tiles of 4 rows × 8 columns (1 × 8 for the last
  ;; m mod 4 rows) run over chunks of 256 of the k products; each chunk's 8 columns of B are
  ;; first copied side by side into `scratch` (8 KB), since B's rows n·4 bytes apart share a few
  ;; cache sets when n is 256 or 1024. The last n mod 8 columns are copied padded with zeros, and
  ;; their tiles go through an 8-column copy of C (and of the bias) at scratch + 8192, so every
  ;; column runs at SIMD speed. Each element sums its products in order p = 0, 1, …
  ;; `last` flags: 1 adds bias[j] (after the sum), 2 applies relu (NaN stays NaN). m, n, k > 0.
  (func (export "gemm")
    (param $a i32) (param $sa i32) (param $sk i32) (param $b i32) (param $ldb i32) (param $c i32)
    (param $ldc i32) (param $bias i32) (param $m i32) (param $n i32) (param $kAll i32) (param $last i32)
    (param $scratch i32)
    (local $i i32) (local $j i32) (local $w i32) (local $rows i32) (local $m4 i32) (local $k i32)
    (local $k0 i32) (local $flags i32) (local $pc i32) (local $pb i32) (local $q i32) (local $bj i32)
    (local $tail i32)
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    ;; the tail tile of C (4 rows of 8) and its bias (8) after the 8 KB panel
    (local.set $tail (i32.add (local.get $scratch) (i32.const 8192)))
    (loop $chunk
      (local.set $k (i32.sub (local.get $kAll) (local.get $k0)))
      (local.set $k (select (local.get $k) (i32.const 256) (i32.lt_u (local.get $k) (i32.const 256))))
      ;; flag 4: a later chunk adds to what C holds; bias and relu wait for the last chunk
      (local.set $flags (select (local.get $last) (i32.const 0)
        (i32.eq (i32.add (local.get $k0) (local.get $k)) (local.get $kAll))))
      (if (local.get $k0) (then (local.set $flags (i32.or (local.get $flags) (i32.const 4)))))
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $w (i32.sub (local.get $n) (local.get $j)))
        (local.set $w (select (local.get $w) (i32.const 8) (i32.lt_u (local.get $w) (i32.const 8))))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $bj (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $q (i32.const 0))
        (loop $copy
          (if (i32.eq (local.get $w) (i32.const 8))
            (then
              (v128.store (i32.add (local.get $scratch) (local.get $q)) (v128.load (local.get $pb)))
              (v128.store offset=16 (i32.add (local.get $scratch) (local.get $q)) (v128.load offset=16 (local.get $pb))))
            (else (call $copyRow (local.get $pb) (i32.add (local.get $scratch) (local.get $q)) (local.get $w))))
          (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (br_if $copy (i32.lt_u (local.get $q) (i32.shl (local.get $k) (i32.const 5)))))
        (if (i32.lt_u (local.get $w) (i32.const 8))
          (then
            (call $copyRow (local.get $bj) (i32.add (local.get $tail) (i32.const 128)) (local.get $w))
            (local.set $bj (i32.add (local.get $tail) (i32.const 128)))))
        (local.set $i (i32.const 0))
        (loop $row
          (local.set $rows (select (i32.const 4) (i32.const 1) (i32.lt_u (local.get $i) (local.get $m4))))
          (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc)))
            (i32.shl (local.get $j) (i32.const 2))))
          (if (i32.eq (local.get $w) (i32.const 8))
            (then
              (call $tile (local.get $rows) (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $sa)))
                (local.get $sa) (local.get $sk) (local.get $scratch) (local.get $pc) (local.get $ldc)
                (local.get $k) (local.get $bj) (local.get $flags)))
            (else
              (if (i32.and (local.get $flags) (i32.const 4))
                (then (call $copyTile (local.get $pc) (local.get $ldc) (local.get $tail) (i32.const 32)
                  (local.get $rows) (local.get $w))))
              (call $tile (local.get $rows) (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $sa)))
                (local.get $sa) (local.get $sk) (local.get $scratch) (local.get $tail) (i32.const 32)
                (local.get $k) (local.get $bj) (local.get $flags))
              (call $copyTile (local.get $tail) (i32.const 32) (local.get $pc) (local.get $ldc)
                (local.get $rows) (local.get $w))))
          (local.set $i (i32.add (local.get $i) (local.get $rows)))
          (br_if $row (i32.lt_u (local.get $i) (local.get $m))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br_if $cols (i32.lt_u (local.get $j) (local.get $n))))
      (local.set $a (i32.add (local.get $a) (i32.mul (local.get $k) (local.get $sk))))
      (local.set $b (i32.add (local.get $b) (i32.mul (local.get $k) (local.get $ldb))))
      (local.set $k0 (i32.add (local.get $k0) (local.get $k)))
      (br_if $chunk (i32.lt_u (local.get $k0) (local.get $kAll)))))

  ;; One tile of `rows` (4 or 1) × 8 of C from the panel (B's 8 columns side by side).
  (func $tile
    (param $rows i32) (param $pa i32) (param $sa i32) (param $sk i32) (param $pb i32)
    (param $pc i32) (param $ldc i32) (param $k i32) (param $bias i32) (param $flags i32)
    (if (i32.eq (local.get $rows) (i32.const 1))
      (then (call $tile1x8 (local.get $pa) (local.get $sk) (local.get $pb) (i32.const 32)
        (local.get $pc) (local.get $k) (local.get $bias) (local.get $flags)))
      (else
        ;; a transposed A (rows 4 bytes apart) has the tile's four A values side by side
        (if (i32.eq (local.get $sa) (i32.const 4))
          (then (call $tile4x8T (local.get $pa) (local.get $sa) (local.get $sk) (local.get $pb) (i32.const 32)
            (local.get $pc) (local.get $ldc) (local.get $k) (local.get $bias) (local.get $flags)))
          (else (call $tile4x8 (local.get $pa) (local.get $sa) (local.get $sk) (local.get $pb) (i32.const 32)
            (local.get $pc) (local.get $ldc) (local.get $k) (local.get $bias) (local.get $flags)))))))

  ;; 8 floats at dst: the first w (< 8) from src, zeros after.
  (func $copyRow (param $src i32) (param $dst i32) (param $w i32)
    (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
    (v128.store offset=16 (local.get $dst) (v128.const i32x4 0 0 0 0))
    (call $copyTile (local.get $src) (i32.const 0) (local.get $dst) (i32.const 0) (i32.const 1) (local.get $w)))

  ;; The first w columns of `rows` rows from src (row stride ss) to dst (row stride ds).
  (func $copyTile (param $src i32) (param $ss i32) (param $dst i32) (param $ds i32) (param $rows i32) (param $w i32)
    (local $c i32)
    (loop $row
      (local.set $c (i32.const 0))
      (loop $col
        (f32.store (i32.add (local.get $dst) (local.get $c)) (f32.load (i32.add (local.get $src) (local.get $c))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br_if $col (i32.lt_u (local.get $c) (i32.shl (local.get $w) (i32.const 2)))))
      (local.set $src (i32.add (local.get $src) (local.get $ss)))
      (local.set $dst (i32.add (local.get $dst) (local.get $ds)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br_if $row (local.get $rows))))

  ;; One 4 × 8 tile of C over k products (see gemm): 8 accumulators, two B vectors, one splat.
  (func $tile4x8
    (param $pa i32) (param $sa i32) (param $sk i32) (param $pb i32) (param $ldb i32)
    (param $pc i32) (param $ldc i32) (param $k i32) (param $bias i32) (param $flags i32)
    (local $end i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $a1 (i32.add (local.get $pa) (local.get $sa)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $sa)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $sa)))
    (local.set $c1 (i32.add (local.get $pc) (local.get $ldc)))
    (local.set $c2 (i32.add (local.get $c1) (local.get $ldc)))
    (local.set $c3 (i32.add (local.get $c2) (local.get $ldc)))
    (if (i32.and (local.get $flags) (i32.const 4))
      (then
        (local.set $c00 (v128.load (local.get $pc))) (local.set $c01 (v128.load offset=16 (local.get $pc)))
        (local.set $c10 (v128.load (local.get $c1))) (local.set $c11 (v128.load offset=16 (local.get $c1)))
        (local.set $c20 (v128.load (local.get $c2))) (local.set $c21 (v128.load offset=16 (local.get $c2)))
        (local.set $c30 (v128.load (local.get $c3))) (local.set $c31 (v128.load offset=16 (local.get $c3)))))
    (local.set $end (i32.add (local.get $pb) (i32.mul (local.get $k) (local.get $ldb))))
    (loop $dot
      (local.set $b0 (v128.load (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $s (v128.load32_splat (local.get $pa)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat (local.get $a1)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat (local.get $a2)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat (local.get $a3)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $pa (i32.add (local.get $pa) (local.get $sk)))
      (local.set $a1 (i32.add (local.get $a1) (local.get $sk)))
      (local.set $a2 (i32.add (local.get $a2) (local.get $sk)))
      (local.set $a3 (i32.add (local.get $a3) (local.get $sk)))
      (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
      (br_if $dot (i32.lt_u (local.get $pb) (local.get $end))))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (local.set $b0 (v128.load (local.get $bias)))
        (local.set $b1 (v128.load offset=16 (local.get $bias)))
        (local.set $c00 (f32x4.add (local.get $c00) (local.get $b0))) (local.set $c01 (f32x4.add (local.get $c01) (local.get $b1)))
        (local.set $c10 (f32x4.add (local.get $c10) (local.get $b0))) (local.set $c11 (f32x4.add (local.get $c11) (local.get $b1)))
        (local.set $c20 (f32x4.add (local.get $c20) (local.get $b0))) (local.set $c21 (f32x4.add (local.get $c21) (local.get $b1)))
        (local.set $c30 (f32x4.add (local.get $c30) (local.get $b0))) (local.set $c31 (f32x4.add (local.get $c31) (local.get $b1)))))
    (if (i32.and (local.get $flags) (i32.const 2))
      (then
        (local.set $c00 (call $relu (local.get $c00))) (local.set $c01 (call $relu (local.get $c01)))
        (local.set $c10 (call $relu (local.get $c10))) (local.set $c11 (call $relu (local.get $c11)))
        (local.set $c20 (call $relu (local.get $c20))) (local.set $c21 (call $relu (local.get $c21)))
        (local.set $c30 (call $relu (local.get $c30))) (local.set $c31 (call $relu (local.get $c31)))))
    (v128.store (local.get $pc) (local.get $c00)) (v128.store offset=16 (local.get $pc) (local.get $c01))
    (v128.store (local.get $c1) (local.get $c10)) (v128.store offset=16 (local.get $c1) (local.get $c11))
    (v128.store (local.get $c2) (local.get $c20)) (v128.store offset=16 (local.get $c2) (local.get $c21))
    (v128.store (local.get $c3) (local.get $c30)) (v128.store offset=16 (local.get $c3) (local.get $c31)))

  ;; tile4x8 for sa = 4: one A pointer, the rows at offsets 0, 4, 8, 12 (3 fewer adds per k; ~6%).
  (func $tile4x8T
    (param $pa i32) (param $sa i32) (param $sk i32) (param $pb i32) (param $ldb i32)
    (param $pc i32) (param $ldc i32) (param $k i32) (param $bias i32) (param $flags i32)
    (local $end i32) (local $q1 i32) (local $q2 i32) (local $q3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $q1 (i32.add (local.get $pc) (local.get $ldc)))
    (local.set $q2 (i32.add (local.get $q1) (local.get $ldc)))
    (local.set $q3 (i32.add (local.get $q2) (local.get $ldc)))
    (if (i32.and (local.get $flags) (i32.const 4))
      (then
        (local.set $c00 (v128.load (local.get $pc))) (local.set $c01 (v128.load offset=16 (local.get $pc)))
        (local.set $c10 (v128.load (local.get $q1))) (local.set $c11 (v128.load offset=16 (local.get $q1)))
        (local.set $c20 (v128.load (local.get $q2))) (local.set $c21 (v128.load offset=16 (local.get $q2)))
        (local.set $c30 (v128.load (local.get $q3))) (local.set $c31 (v128.load offset=16 (local.get $q3)))))
    (local.set $end (i32.add (local.get $pb) (i32.mul (local.get $k) (local.get $ldb))))
    (loop $dot
      (local.set $b0 (v128.load (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $s (v128.load32_splat (local.get $pa)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat offset=4 (local.get $pa)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat offset=8 (local.get $pa)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat offset=12 (local.get $pa)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $pa (i32.add (local.get $pa) (local.get $sk)))
      (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
      (br_if $dot (i32.lt_u (local.get $pb) (local.get $end))))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (local.set $b0 (v128.load (local.get $bias)))
        (local.set $b1 (v128.load offset=16 (local.get $bias)))
        (local.set $c00 (f32x4.add (local.get $c00) (local.get $b0))) (local.set $c01 (f32x4.add (local.get $c01) (local.get $b1)))
        (local.set $c10 (f32x4.add (local.get $c10) (local.get $b0))) (local.set $c11 (f32x4.add (local.get $c11) (local.get $b1)))
        (local.set $c20 (f32x4.add (local.get $c20) (local.get $b0))) (local.set $c21 (f32x4.add (local.get $c21) (local.get $b1)))
        (local.set $c30 (f32x4.add (local.get $c30) (local.get $b0))) (local.set $c31 (f32x4.add (local.get $c31) (local.get $b1)))))
    (if (i32.and (local.get $flags) (i32.const 2))
      (then
        (local.set $c00 (call $relu (local.get $c00))) (local.set $c01 (call $relu (local.get $c01)))
        (local.set $c10 (call $relu (local.get $c10))) (local.set $c11 (call $relu (local.get $c11)))
        (local.set $c20 (call $relu (local.get $c20))) (local.set $c21 (call $relu (local.get $c21)))
        (local.set $c30 (call $relu (local.get $c30))) (local.set $c31 (call $relu (local.get $c31)))))
    (v128.store (local.get $pc) (local.get $c00)) (v128.store offset=16 (local.get $pc) (local.get $c01))
    (v128.store (local.get $q1) (local.get $c10)) (v128.store offset=16 (local.get $q1) (local.get $c11))
    (v128.store (local.get $q2) (local.get $c20)) (v128.store offset=16 (local.get $q2) (local.get $c21))
    (v128.store (local.get $q3) (local.get $c30)) (v128.store offset=16 (local.get $q3) (local.get $c31)))

  ;; One 1 × 8 tile of C (the last m mod 4 rows).
  (func $tile1x8
    (param $pa i32) (param $sk i32) (param $pb i32) (param $ldb i32)
    (param $pc i32) (param $k i32) (param $bias i32) (param $flags i32)
    (local $end i32) (local $c0 v128) (local $c1 v128) (local $s v128)
    (if (i32.and (local.get $flags) (i32.const 4))
      (then
        (local.set $c0 (v128.load (local.get $pc)))
        (local.set $c1 (v128.load offset=16 (local.get $pc)))))
    (local.set $end (i32.add (local.get $pb) (i32.mul (local.get $k) (local.get $ldb))))
    (loop $dot
      (local.set $s (v128.load32_splat (local.get $pa)))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $s) (v128.load (local.get $pb)))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $pb)))))
      (local.set $pa (i32.add (local.get $pa) (local.get $sk)))
      (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
      (br_if $dot (i32.lt_u (local.get $pb) (local.get $end))))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (local.set $c0 (f32x4.add (local.get $c0) (v128.load (local.get $bias))))
        (local.set $c1 (f32x4.add (local.get $c1) (v128.load offset=16 (local.get $bias))))))
    (if (i32.and (local.get $flags) (i32.const 2))
      (then
        (local.set $c0 (call $relu (local.get $c0)))
        (local.set $c1 (call $relu (local.get $c1)))))
    (v128.store (local.get $pc) (local.get $c0))
    (v128.store offset=16 (local.get $pc) (local.get $c1)))

  ;; max(x, 0) lane by lane, NaN kept (f32x4.max propagates it, as TF's relu does)
  (func $relu (param $x v128) (result v128)
    (f32x4.max (local.get $x) (v128.const f32x4 0 0 0 0)))

  ;; out[i] += d (i an element index)
  (func $addAt (param $out i32) (param $i i32) (param $d f32)
    (local $p i32)
    (local.set $p (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))))
    (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (local.get $d)))))
