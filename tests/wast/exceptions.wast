;; Exception handling: throws caught several frames up, in another
;; instance, at a loop label (a retry), at the function's own label (a
;; return), with v128 and multi-value payloads, rethrown with throw_ref.

(module $a
  (tag $e (export "e") (param i32))
  (func (export "thrower") (param i32) (throw $e (local.get 0)))
)
(register "a" $a)

(module
  (import "a" "e" (tag $e (param i32)))
  (import "a" "thrower" (func $thrower (param i32)))
  (tag $v (param v128 i64))
  (tag $none)

  (func $deep (param i32)
    (if (i32.eqz (local.get 0)) (then (throw $e (i32.const 42))))
    (call $deep (i32.sub (local.get 0) (i32.const 1))))

  ;; caught 1000 frames up; locals of the catching frame are intact
  (func (export "deep") (result i32) (local $k i32)
    (local.set $k (i32.const 7))
    (block $h (result i32)
      (try_table (catch $e $h) (call $deep (i32.const 1000)))
      (i32.const -1))
    (i32.add (local.get $k)))

  ;; thrown in another instance, same tag (imported)
  (func (export "cross") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $thrower (i32.const 5)))
      (i32.const -1)))

  ;; a catch to a loop label runs the loop again
  (func (export "retry") (result i32) (local $n i32)
    (loop $again
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (try_table (catch_all $again)
        (if (i32.lt_u (local.get $n) (i32.const 5)) (then (throw $none)))))
    (local.get $n))

  ;; a catch to the function's own label returns the payload
  (func (export "ret") (result i32)
    (try_table (catch $e 0) (call $thrower (i32.const 9)))
    (i32.const -1))

  ;; v128 and i64 payload
  (func (export "vec2") (result i64) (local v128) (local i64)
    (block $h (result v128 i64)
      (try_table (catch $v $h) (throw $v (v128.const i64x2 3 4) (i64.const 5)))
      (unreachable))
    (local.set 1) (local.set 0)
    (i64.add (local.get 1) (i64x2.extract_lane 1 (local.get 0))))

  ;; catch_all_ref then throw_ref rethrows the same exception outward
  (func $rethrow (param i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call $thrower (local.get 0)))
      (return))
    (throw_ref))
  (func (export "rethrow") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $rethrow (i32.const 11)))
      (i32.const -1)))

  ;; the inner try_table catches a different tag: the outer one gets it
  (func (export "nested") (result i32)
    (block $outer (result i32)
      (try_table (result i32) (catch $e $outer)
        (block $inner
          (try_table (catch $none $inner) (call $thrower (i32.const 3))))
        (i32.const -2))))

  (func (export "uncaught") (call $thrower (i32.const 1)))
  (func (export "null") (throw_ref (ref.null exn)))
)

(assert_return (invoke "deep") (i32.const 49))
(assert_return (invoke "cross") (i32.const 5))
(assert_return (invoke "retry") (i32.const 5))
(assert_return (invoke "ret") (i32.const 9))
(assert_return (invoke "vec2") (i64.const 9))
(assert_return (invoke "rethrow") (i32.const 11))
(assert_return (invoke "nested") (i32.const 3))
(assert_exception (invoke "uncaught"))
(assert_trap (invoke "null") "null reference")
;; the store is still usable after an uncaught exception
(assert_return (invoke "deep") (i32.const 49))
