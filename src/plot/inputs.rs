//! What each function's input is, for the input axis of the charts: its label and, for a size in
//! bytes, how many bytes one unit of n is — from `input_label` and `input_unit` in
//! `functions/suite.toml`, as the run recorded them in metadata.json (older runs: the default
//! suite's). A function the suite does not describe (another suite, a module run
//! by path) gets the generic "Input n".

use super::axis::{fmt_value, Quantity};
use crate::suite::{bytes_per_unit, FunctionSpec, Suite};
use std::collections::BTreeMap;

/// How a function's input is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct InputKind {
    /// The axis label without unit or scale, e.g. "n (number of terms)" or "Data size".
    pub label: String,
    /// Bytes per unit of n when the input is a size in bytes.
    pub bytes_per_unit: Option<f64>,
}

impl Default for InputKind {
    fn default() -> InputKind {
        InputKind {
            label: "Input n".into(),
            bytes_per_unit: None,
        }
    }
}

impl InputKind {
    /// The kind the suite manifest gives a function.
    pub fn of(spec: &FunctionSpec) -> InputKind {
        InputKind::described(spec.input_label.as_deref(), spec.input_unit.as_deref())
    }

    /// The kind a run recorded in its metadata.json (see [`crate::experiment::metadata::InputMeta`]).
    pub fn recorded(m: &crate::experiment::metadata::InputMeta) -> InputKind {
        InputKind::described(m.label.as_deref(), m.unit.as_deref())
    }

    /// From an `input_label` and an `input_unit` (either may be absent).
    fn described(label: Option<&str>, unit: Option<&str>) -> InputKind {
        InputKind {
            label: label.map_or_else(|| InputKind::default().label, str::to_string),
            bytes_per_unit: unit.and_then(bytes_per_unit),
        }
    }

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

/// The kinds of a run's functions: what its metadata.json recorded, else (a run made before
/// Nebula recorded them) the default suite's.
pub fn of_run(meta: Option<&crate::experiment::metadata::Metadata>) -> BTreeMap<String, InputKind> {
    let mut kinds = from_default_suite();
    if let Some(m) = meta {
        kinds.extend(m.inputs.iter().map(|(f, i)| (f.clone(), InputKind::recorded(i))));
    }
    kinds
}

/// The kinds of every function of the default suite (`Suite::load_default`), empty when no
/// manifest can be read (charts then say "Input n").
pub fn from_default_suite() -> BTreeMap<String, InputKind> {
    Suite::load_default()
        .map(|s| {
            s.functions
                .iter()
                .map(|f| (f.name.clone(), InputKind::of(f)))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
