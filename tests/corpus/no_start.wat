;; A valid module with no `_start` (a library, not a command): refused when loaded.
(module (func (export "main") (result i32) (i32.const 0)))
