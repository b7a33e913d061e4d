;; One's-complement sum (RFC 1071) of bytes copied into this module's memory, with WebAssembly SIMD.
;;
;; Source of src/net/checksum-simd.wasm.ts: after editing, regenerate it with
;; `npx tsx tools/wasm/gen-checksum-wasm.ts` (test/net/checksum-wasm.test.ts checks that they match).
;;
;; `sum(start, end)` adds the bytes mem[start, end) as LITTLE-endian 16-bit words (an odd last byte is
;; the low byte of a word whose high byte is 0) and returns the sum folded to 16 bits with end-around
;; carry, 0..0xffff. The caller swaps the two bytes of the result to get the big-endian (network
;; order) sum: the one's-complement sum is byte-order independent up to that swap (RFC 1071 §2(B)).
;; Words are counted from `start`, so an odd `start` is fine; v128 loads need no alignment.
;;
;; Limits: 0 <= start <= end <= 65536 (one page, which never grows; the caller guarantees it). Each
;; i32x4 lane of an accumulator gains at most 2 * 0xffff per 16 bytes, so 65536 bytes add at most
;; 4096 * 0x1fffe < 2^29 per lane: no lane overflows, and the 64-bit total is below 2^34.
(module
  (memory (export "mem") 1 1)

  (func (export "sum") (param $i i32) (param $stop i32) (result i32)
    (local $end i32)
    (local $a v128)
    (local $b v128)
    (local $s i64)
    ;; 64 bytes per iteration into two accumulators (extadd_pairwise: 8 u16 lanes -> 4 u32 lanes).
    (local.set $end (i32.sub (local.get $stop) (i32.const 63)))
    (block $done64
      (loop $loop64
        (br_if $done64 (i32.ge_s (local.get $i) (local.get $end)))
        (local.set $a (i32x4.add (local.get $a)
          (i32x4.extadd_pairwise_i16x8_u (v128.load offset=0 (local.get $i)))))
        (local.set $b (i32x4.add (local.get $b)
          (i32x4.extadd_pairwise_i16x8_u (v128.load offset=16 (local.get $i)))))
        (local.set $a (i32x4.add (local.get $a)
          (i32x4.extadd_pairwise_i16x8_u (v128.load offset=32 (local.get $i)))))
        (local.set $b (i32x4.add (local.get $b)
          (i32x4.extadd_pairwise_i16x8_u (v128.load offset=48 (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $loop64)))
    ;; Remaining whole 16-byte blocks.
    (local.set $end (i32.sub (local.get $stop) (i32.const 15)))
    (block $done16
      (loop $loop16
        (br_if $done16 (i32.ge_s (local.get $i) (local.get $end)))
        (local.set $a (i32x4.add (local.get $a)
          (i32x4.extadd_pairwise_i16x8_u (v128.load (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $loop16)))
    ;; Horizontal sum of the 8 lanes in 64 bits.
    (local.set $a (i32x4.add (local.get $a) (local.get $b)))
    (local.set $s (i64.add
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $a)))
               (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $a))))
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $a)))
               (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $a))))))
    ;; Tail of 0..15 bytes: whole 16-bit words, then an odd last byte (low byte, high byte 0).
    (local.set $end (i32.sub (local.get $stop) (i32.const 1)))
    (block $done2
      (loop $loop2
        (br_if $done2 (i32.ge_s (local.get $i) (local.get $end)))
        (local.set $s (i64.add (local.get $s) (i64.load16_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $loop2)))
    (if (i32.lt_u (local.get $i) (local.get $stop))
      (then (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $i))))))
    ;; Fold to 16 bits with end-around carry (s < 2^34, so three folds are enough; loop for clarity).
    (block $folded
      (loop $fold
        (br_if $folded (i64.eqz (i64.shr_u (local.get $s) (i64.const 16))))
        (local.set $s (i64.add (i64.and (local.get $s) (i64.const 0xffff))
                               (i64.shr_u (local.get $s) (i64.const 16))))
        (br $fold)))
    (i32.wrap_i64 (local.get $s)))
)
