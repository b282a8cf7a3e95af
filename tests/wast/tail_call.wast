;; Tail calls (return_call, return_call_indirect) must not grow the call
;; stack: a million tail calls run under the default limits (20,000 frames,
;; 8 MiB of value stack) while the same recursion without tail calls is
;; exhausted.  Also: frames of different sizes, v128 arguments, a host
;; target, a target in another instance.

(module $other
  (func $far (export "far") (param i64 i64) (result i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call $far (i64.sub (local.get 0) (i64.const 1))
                              (i64.add (local.get 1) (i64.const 2))))))
  (table (export "tab") 1 funcref)
  (elem (i32.const 0) $far))
(register "other" $other)

(module
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "other" "tab" (table $ot 1 funcref))
  (type $ll_l (func (param i64 i64) (result i64)))
  (type $l_l (func (param i64) (result i64)))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $even $odd)

  (func $count (export "count") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 42))
      (else (return_call $count (i64.sub (local.get 0) (i64.const 1))))))

  (func $deep (export "deep") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 42))
      (else (call $deep (i64.sub (local.get 0) (i64.const 1))))))

  ;; mutual recursion through the table
  (func $even (export "even") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (return_call_indirect $t (type $l_l)
              (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
  (func $odd (param i64) (result i64)
    (local v128 v128 v128) ;; a bigger frame than $even's
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 0))
      (else (return_call_indirect $t (type $l_l)
              (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))

  ;; arguments that are the caller's locals, swapped
  (func $swap (export "swap") (param i32 i64 i32) (result i64)
    (if (result i64) (i32.eqz (local.get 0))
      (then (i64.add (local.get 1) (i64.extend_i32_u (local.get 2))))
      (else (return_call $swap (i32.sub (local.get 0) (i32.const 1))
                               (i64.extend_i32_u (local.get 2))
                               (i32.wrap_i64 (local.get 1))))))

  ;; v128 arguments take two slots each
  (func $vsum (export "vsum") (param i32 v128 v128) (result i64)
    (if (result i64) (i32.eqz (local.get 0))
      (then (i64.add (i64x2.extract_lane 0 (local.get 1))
                     (i64x2.extract_lane 1 (local.get 2))))
      (else (return_call $vsum (i32.sub (local.get 0) (i32.const 1))
                               (i64x2.add (local.get 1) (v128.const i64x2 1 0))
                               (i64x2.add (local.get 2) (v128.const i64x2 0 2))))))

  ;; a host function as the target: an ordinary call and return
  (func (export "to-host") (param i32)
    (return_call $print (local.get 0)))

  ;; a wasm function of another instance, then a million more there
  (func (export "to-other") (param i64) (result i64)
    (return_call_indirect $ot (type $ll_l) (local.get 0) (i64.const 0) (i32.const 0)))

  ;; the result of a tail call is the caller's result (acc after a call)
  (func (export "after") (result i64)
    (i64.add (call $count (i64.const 5)) (i64.const 1)))
)

(assert_return (invoke "count" (i64.const 1000000)) (i64.const 42))
(assert_exhaustion (invoke "deep" (i64.const 1000000)) "call stack exhausted")
(assert_return (invoke "even" (i64.const 1000000)) (i64.const 1))
(assert_return (invoke "even" (i64.const 1000001)) (i64.const 0))
(assert_return (invoke "swap" (i32.const 3) (i64.const 10) (i32.const 20)) (i64.const 30))
(assert_return (invoke "swap" (i32.const 1000000) (i64.const 7) (i32.const 9)) (i64.const 16))
(assert_return (invoke "vsum" (i32.const 1000000) (v128.const i64x2 0 0) (v128.const i64x2 0 0))
               (i64.const 3000000))
(assert_return (invoke "to-host" (i32.const 7)))
(assert_return (invoke "to-other" (i64.const 1000000)) (i64.const 2000000))
(assert_return (invoke "after") (i64.const 43))

;; return_call type rules
(assert_invalid
  (module (func $f (result i32) (i32.const 0))
          (func (result i64) (return_call $f)))
  "type mismatch")
(assert_invalid
  (module (type $t (func (result i32))) (table 1 funcref)
          (func (return_call_indirect (type $t) (i32.const 0))))
  "type mismatch")
