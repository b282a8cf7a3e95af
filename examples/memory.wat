;; Linear memory: fill an array of squares, then sum it.
;;   lattice run examples/memory.wat --invoke sum_squares 1000   => 332833500
;;   lattice run examples/memory.wat --invoke load 70000         => a trap:
;;     out of bounds memory access (one page is 65536 bytes)
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "Lattice")

  (func (export "sum_squares") (param $n i32) (result i64)
    (local $i i32) (local $sum i64)
    ;; squares[i] = i*i as i64 at address 1024 + 8*i
    (block $fill_done
      (loop $fill
        (br_if $fill_done (i32.ge_u (local.get $i) (local.get $n)))
        (i64.store offset=1024
          (i32.shl (local.get $i) (i32.const 3))
          (i64.mul (i64.extend_i32_u (local.get $i))
                   (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $i (i32.const 0))
    (block $sum_done
      (loop $add
        (br_if $sum_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum
          (i64.add (local.get $sum)
                   (i64.load offset=1024 (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $add)))
    (local.get $sum))

  (func (export "load") (param $addr i32) (result i32)
    (i32.load8_u (local.get $addr)))
)
