;; Sleeps 60 s in one `poll_oneoff` (a relative monotonic clock subscription): epoch
;; interruption cannot reach a guest inside a host call, so the call's deadline must drop it:
;; must end as `timeout`, on time.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    ;; subscription at 0: userdata 0, tag 0 (clock); clock id 1 (monotonic), timeout 60 s, flags 0
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 60000000000))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))
