;; Imports a function Nebula does not provide: refused when loaded (link error).
(module
  (import "env" "launch_missiles" (func $m (param i32)))
  (func (export "_start") (call $m (i32.const 1))))
