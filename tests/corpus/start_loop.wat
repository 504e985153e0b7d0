;; A `start` section that never returns: guest code that runs during instantiation: `timeout`.
(module (func $s (loop $l (br $l))) (start $s) (func (export "_start")))
