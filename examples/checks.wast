;; A spec-style test script: `lattice wast examples/checks.wast`.
(module
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "div_s") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "f64_min") (param f64 f64) (result f64)
    (f64.min (local.get 0) (local.get 1)))
)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 0x7fffffff) (i32.const 1)) (i32.const 0x80000000))
(assert_return (invoke "div_s" (i32.const -7) (i32.const 2)) (i32.const -3))
(assert_trap (invoke "div_s" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div_s" (i32.const 0x80000000) (i32.const -1)) "integer overflow")
(assert_return (invoke "f64_min" (f64.const -0.0) (f64.const 0.0)) (f64.const -0.0))
(assert_return (invoke "f64_min" (f64.const nan) (f64.const 1)) (f64.const nan:canonical))

(assert_invalid
  (module (func (result i32) (i64.const 1)))
  "type mismatch")
(assert_malformed
  (module binary "\00asm" "\02\00\00\00")
  "unknown binary version")
