;; Declares a table of 50 million elements: refused when loaded (the pooling allocator caps tables).
(module (table 50000000 funcref) (func (export "_start")))
