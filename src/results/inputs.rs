//! What each function's input is: its label and, for a size in bytes, how many bytes one unit of
//! n is — from `input_label` and `input_unit` in the suite manifest, as the run recorded them in
//! metadata.json (older runs: the default suite's). A function the suite does not describe
//! (another suite, a module run by path) gets the generic "Input n". How an axis draws it is
//! `plot::inputs`'.

use super::metadata::{InputMeta, Metadata};
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

    /// The kind a run recorded in its metadata.json (see [`InputMeta`]).
    pub fn recorded(m: &InputMeta) -> InputKind {
        InputKind::described(m.label.as_deref(), m.unit.as_deref())
    }

    /// From an `input_label` and an `input_unit` (either may be absent).
    pub fn described(label: Option<&str>, unit: Option<&str>) -> InputKind {
        InputKind {
            label: label.map_or_else(|| InputKind::default().label, str::to_string),
            bytes_per_unit: unit.and_then(bytes_per_unit),
        }
    }
}

/// The kinds of a run's functions: what its metadata.json recorded, else (a run made before
/// Nebula recorded them) the default suite's.
pub fn of_run(meta: Option<&Metadata>) -> BTreeMap<String, InputKind> {
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
