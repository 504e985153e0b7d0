;; Executes `unreachable`: must end as `trap`.
(module (func (export "_start") unreachable))
