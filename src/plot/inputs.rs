//! How the charts draw a function's input ([`InputKind`], read with the run by
//! `crate::results::inputs`): what the axis measures, the input in the axis' unit, and an input
//! as a category label.

use super::axis::{fmt_value, Quantity};
use crate::results::InputKind;

impl InputKind {
    /// What the axis measures: bytes, or a plain number.
    pub fn quantity(&self) -> Quantity {
        match self.bytes_per_unit {
            Some(_) => Quantity::Bytes,
            None => Quantity::Plain(""),
        }
    }

    /// The input `n` in the axis' base unit (bytes for a size).
    pub fn value(&self, n: f64) -> f64 {
        n * self.bytes_per_unit.unwrap_or(1.0)
    }

    /// An input as a category label: a size in bytes as "16 MiB", anything else as it is.
    pub fn category(&self, input: &str) -> String {
        match (self.bytes_per_unit, super::data::input_number(input)) {
            (Some(_), Some(n)) => fmt_value(self.value(n), Quantity::Bytes),
            _ => input.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::inputs::from_default_suite;

    #[test]
    fn the_suite_describes_every_input() {
        let kinds = from_default_suite();
        assert!(kinds.len() >= 13, "{kinds:?}");
        assert!(kinds.values().all(|k| k.label != InputKind::default().label));
        let sha = &kinds["sha256"];
        assert_eq!(sha.quantity(), Quantity::Bytes);
        assert_eq!(sha.category("1024"), "1 MiB");
        assert_eq!(kinds["fibonacci"].label, "n (number of terms)");
        assert_eq!(kinds["fibonacci"].quantity(), Quantity::Plain(""));
    }
}
