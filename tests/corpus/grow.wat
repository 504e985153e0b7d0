;; Grows memory 1 MiB at a time until a grow is refused, then traps: must end as `memory-limit`.
(module
  (memory 1)
  (func (export "_start")
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))
