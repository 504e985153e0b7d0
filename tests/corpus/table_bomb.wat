;; Grows a table 100k elements at a time until refused, then traps: `trap`, the host's cap holds.
(module
  (table $t 1 funcref)
  (func (export "_start")
    (loop $l (br_if $l (i32.ne (table.grow $t (ref.null func) (i32.const 100000)) (i32.const -1))))
    unreachable))
