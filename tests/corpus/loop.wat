;; Infinite loop: must end as `timeout`.
(module (func (export "_start") (loop $l (br $l))))
