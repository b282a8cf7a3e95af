;; Lattice's own script: instruction sequences that meet the translator's
;; peephole fusions (wasm_translate.c: address folding, memory operands,
;; compare+branch, result retargeting, the accumulator) back to back, where
;; a fusion's output is itself the input of the next candidate.  Each
;; result is what the plain, unfused instructions compute.

(module
  (memory 1)
  ;; a pointer chain: [16] -> 32, [32] -> 48, [48] -> 7; [52] = 9
  (data (i32.const 16) "\20\00\00\00")
  (data (i32.const 32) "\30\00\00\00")
  (data (i32.const 48) "\07\00\00\00\09\00\00\00")
  ;; f64 1.5 at 64, i64 0x100000001 at 72
  (data (i32.const 64) "\00\00\00\00\00\00\f8\3f")
  (data (i32.const 72) "\01\00\00\00\01\00\00\00")

  ;; add; load; load: the second load's address is the first load's value
  (func (export "deref2") (param $p i32) (param $k i32) (result i32)
    (i32.load (i32.load (i32.add (local.get $p) (local.get $k)))))
  (func (export "deref2i") (param $p i32) (result i32)
    (i32.load (i32.load (i32.add (local.get $p) (i32.const 8)))))
  (func (export "deref3") (param $p i32) (result i32)
    (i32.load offset=4 (i32.load (i32.load (i32.add (local.get $p) (i32.const 8))))))
  ;; add; load8; load16 (narrow loads share the folding)
  (func (export "deref_narrow") (param $p i32) (result i32)
    (i32.load16_u (i32.load8_u (i32.add (local.get $p) (i32.const 8)))))
  ;; add; load; store: the store's address is the loaded value
  (func (export "store_via") (param $p i32) (param $v i32) (result i32)
    (i32.store (i32.load (i32.add (local.get $p) (i32.const 8))) (local.get $v))
    (i32.load (i32.const 32)))
  ;; add; store (folded), then add; load; load again
  (func (export "store_then_deref") (param $p i32) (result i32)
    (i32.store (i32.add (local.get $p) (i32.const 100)) (i32.const 5))
    (i32.load (i32.load (i32.add (local.get $p) (i32.const 8)))))
  ;; load; add (memory operand) whose result is an address, loaded twice
  (func (export "memop_addr") (param $p i32) (result i32)
    (i32.load (i32.add (i32.const 16) (i32.load (local.get $p)))))
  ;; load; add (memory operand); add (memory operand)
  (func (export "memop2") (param $p i32) (result i32)
    (i32.add (i32.add (local.get $p) (i32.load (i32.const 48)))
             (i32.load (i32.const 52))))
  ;; load; add; load; add with the loaded operand first
  (func (export "memop_left") (param $p i32) (result i32)
    (i32.add (i32.load (i32.const 52)) (i32.add (i32.load (i32.const 48)) (local.get $p))))
  ;; add; load; eqz; br_if  and  add; load; lt_s; if
  (func (export "load_cmp") (param $p i32) (result i32)
    (block $z
      (br_if $z (i32.eqz (i32.load (i32.load (i32.add (local.get $p) (i32.const 8))))))
      (if (i32.lt_s (i32.load (i32.add (local.get $p) (i32.const 40))) (i32.const 8))
        (then (return (i32.const 1))))
      (return (i32.const 2)))
    (i32.const 3))
  ;; add; load; local.tee; load (the retargeted result is a local)
  (func (export "tee_deref") (param $p i32) (result i32) (local $q i32)
    (i32.add
      (i32.load (local.tee $q (i32.load (i32.add (local.get $p) (i32.const 8)))))
      (local.get $q)))
  ;; i64 and f64 loads as memory operands, chained
  (func (export "i64_chain") (param $x i64) (result i64)
    (i64.add (i64.add (local.get $x) (i64.load (i32.const 72))) (i64.load (i32.const 72))))
  (func (export "f64_chain") (param $x f64) (result f64)
    (f64.mul (f64.mul (local.get $x) (f64.load (i32.const 64))) (f64.load (i32.const 64))))
  ;; the address comes from a load whose own address was folded; in a loop
  (func (export "walk") (param $p i32) (param $n i32) (result i32)
    (loop $l
      (local.set $p (i32.load (i32.add (local.get $p) (i32.const 0))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $p))
)
(assert_return (invoke "deref2" (i32.const 8) (i32.const 8)) (i32.const 48))
(assert_return (invoke "deref2i" (i32.const 8)) (i32.const 48))
(assert_return (invoke "deref3" (i32.const 8)) (i32.const 9))
(assert_return (invoke "deref_narrow" (i32.const 8)) (i32.const 48))
(assert_return (invoke "store_via" (i32.const 8) (i32.const 77)) (i32.const 77))
(assert_return (invoke "deref2i" (i32.const 8)) (i32.const 77))
(assert_return (invoke "store_then_deref" (i32.const 8)) (i32.const 77))
(assert_return (invoke "memop_addr" (i32.const 16)) (i32.const 7))
(assert_return (invoke "memop2" (i32.const 1)) (i32.const 17))
(assert_return (invoke "memop_left" (i32.const 1)) (i32.const 17))
(assert_return (invoke "load_cmp" (i32.const 8)) (i32.const 1))
(assert_return (invoke "load_cmp" (i32.const 36)) (i32.const 3))
(assert_return (invoke "tee_deref" (i32.const 8)) (i32.const 109))
(assert_return (invoke "i64_chain" (i64.const 1)) (i64.const 0x200000003))
(assert_return (invoke "f64_chain" (f64.const 2)) (f64.const 4.5))
(assert_return (invoke "walk" (i32.const 16) (i32.const 1)) (i32.const 32))
(assert_return (invoke "walk" (i32.const 16) (i32.const 2)) (i32.const 77))
