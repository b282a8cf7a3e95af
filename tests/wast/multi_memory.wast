;; Multi-memory: an access to memory k != 0 is bracketed by mem_select /
;; mem_restore in the internal code (wasm_translate.c), so these check that
;; no peephole folds across the bracket and that memory 0 is back after it.

(module
  (memory $m0 1)
  (memory $m1 2 3)
  (data (memory $m0) (i32.const 0) "\01\02\03\04\05\06\07\08")
  (data (memory $m1) (i32.const 0) "\10\20\30\40\50\60\70\80")
  (data $p "\aa\bb\cc\dd")

  ;; an i32.add address folded into a load of memory 0, then one of memory 1
  (func (export "add-addr") (param i32) (result i32)
    (i32.add (i32.load8_u $m0 (i32.add (local.get 0) (i32.const 1)))
             (i32.load8_u $m1 (i32.add (local.get 0) (i32.const 1)))))
  ;; a full-width load of memory 1 consumed by a binop (the _m fold)
  (func (export "load-op") (result i64)
    (i64.add (i64.const 1) (i64.load $m1 (i32.const 0))))
  (func (export "load-op0") (result i64)
    (i64.add (i64.const 1) (i64.load $m0 (i32.const 0))))
  ;; stores of immediates and of the accumulator, memory by number
  (func (export "store") (param i32)
    (i32.store 1 offset=16 (local.get 0) (i32.const 0x11223344))
    (i32.store 0 offset=16 (local.get 0) (i32.mul (local.get 0) (i32.const 3))))
  (func (export "load1") (param i32) (result i32) (i32.load $m1 offset=16 (local.get 0)))
  (func (export "load0") (param i32) (result i32) (i32.load offset=16 (local.get 0)))
  ;; sizes and growth of each memory; memory 0 is still usable after
  (func (export "sizes") (result i32)
    (i32.add (i32.mul (memory.size $m0) (i32.const 10)) (memory.size $m1)))
  (func (export "grow1") (param i32) (result i32) (memory.grow $m1 (local.get 0)))
  (func (export "grow0") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "hi1") (result i32) (i32.load8_u $m1 (i32.const 196607)))
  (func (export "hi0") (result i32) (i32.load8_u (i32.const 65536)))
  ;; bulk memory between memories
  (func (export "copy10") (param i32 i32 i32) (memory.copy $m1 $m0 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy11") (param i32 i32 i32) (memory.copy $m1 $m1 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill1") (param i32 i32 i32) (memory.fill $m1 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init1") (param i32 i32 i32) (memory.init $m1 $p (local.get 0) (local.get 1) (local.get 2)))
  ;; SIMD on memory 1: a lane load and a plain load
  (func (export "lane1") (result i32)
    (i8x16.extract_lane_u 3
      (v128.load8_lane $m1 offset=1 3 (i32.const 0) (v128.const i64x2 0 0))))
  (func (export "v128sum") (result i64)
    (i64x2.extract_lane 0 (i64x2.add (v128.load $m1 (i32.const 0)) (v128.load $m0 (i32.const 0)))))
)

(assert_return (invoke "add-addr" (i32.const 0)) (i32.const 0x22))
(assert_return (invoke "load-op") (i64.const 0x8070605040302011))
(assert_return (invoke "load-op0") (i64.const 0x0807060504030202))
(invoke "store" (i32.const 4))
(assert_return (invoke "load1" (i32.const 4)) (i32.const 0x11223344))
(assert_return (invoke "load0" (i32.const 4)) (i32.const 12))
(assert_return (invoke "sizes") (i32.const 12))
(assert_return (invoke "grow1" (i32.const 1)) (i32.const 2))
(assert_return (invoke "grow1" (i32.const 1)) (i32.const -1))
(assert_return (invoke "hi1") (i32.const 0))
(assert_trap (invoke "hi0") "out of bounds memory access")
(assert_return (invoke "grow0" (i32.const 0)) (i32.const 1))
(assert_return (invoke "sizes") (i32.const 13))
(assert_trap (invoke "load0" (i32.const 65530)) "out of bounds memory access")
(assert_return (invoke "load1" (i32.const 65530)) (i32.const 0))
(invoke "copy10" (i32.const 100) (i32.const 0) (i32.const 4))
(assert_return (invoke "load1" (i32.const 84)) (i32.const 0x04030201))
(assert_trap (invoke "copy10" (i32.const 0) (i32.const 65535) (i32.const 2)) "out of bounds memory access")
(invoke "copy11" (i32.const 101) (i32.const 100) (i32.const 4))
(assert_return (invoke "load1" (i32.const 84)) (i32.const 0x03020101))
(invoke "fill1" (i32.const 200) (i32.const 0x7f) (i32.const 4))
(assert_return (invoke "load1" (i32.const 184)) (i32.const 0x7f7f7f7f))
(invoke "init1" (i32.const 300) (i32.const 1) (i32.const 3))
(assert_return (invoke "load1" (i32.const 284)) (i32.const 0x00ddccbb))
(assert_return (invoke "load0" (i32.const 284)) (i32.const 0))
(assert_return (invoke "lane1") (i32.const 0x20))
(assert_return (invoke "v128sum") (i64.const 0x8877665544332211))

;; without multi-memory (lattice wast --wasm multi-memory=n) a second memory
;; is invalid; with it, a memory index must exist
(assert_invalid (module (memory 1) (func (drop (i32.load 1 (i32.const 0))))) "unknown memory 1")
