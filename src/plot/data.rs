//! What the charts print about a run's data: the energy note every chart carries, energy
//! quantities' names, and the order of inputs. The run itself is read by `crate::results`.

use crate::export::summary::natural_cmp;
use crate::results::RunData;
use std::cmp::Ordering;

impl RunData {
    /// The sentence every chart carries in its corner about where its energy comes from.
    pub fn energy_note(&self) -> String {
        let (label, source) = self.energy_kind();
        energy_note(&label, &source)
    }
}

/// The energy note for a label (`measured`/`estimated`/...) and a source (`powercap`, `perf`,
/// `model`).
pub fn energy_note(label: &str, source: &str) -> String {
    let what = match source {
        "powercap" => "RAPL (powercap)",
        "perf" => "RAPL (perf power PMU)",
        "model" => "the CPU-time model",
        "" => "an unknown source",
        other => other,
    };
    match label {
        "measured" => format!("Energy: {what}, measured"),
        "" | "unavailable" => "Energy: unavailable".to_string(),
        _ => format!("Energy: ESTIMATE from {what}, not measured"),
    }
}

/// An energy quantity's name as an axis or panel title prints it: "Net energy, ESTIMATED" when
/// the energy is a model estimate, so that a panel cropped from its figure still says so.
pub fn energy_name(what: &str, estimated: bool) -> String {
    if estimated {
        format!("{what}, ESTIMATED")
    } else {
        what.to_string()
    }
}

/// An input as a number, when it is one.
pub fn input_number(input: &str) -> Option<f64> {
    input.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Orders inputs by value where both are numbers, else naturally.
pub fn input_cmp(a: &str, b: &str) -> Ordering {
    match (input_number(a), input_number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => natural_cmp(a, b),
    }
}

/// The distinct inputs of `inputs`, in input order.
pub fn sorted_inputs<'a>(inputs: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = inputs.map(str::to_string).collect();
    v.sort_by(|a, b| input_cmp(a, b));
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_say_estimate_or_source() {
        assert!(energy_note("estimated", "model").contains("ESTIMATE"));
        assert_eq!(
            energy_note("measured", "powercap"),
            "Energy: RAPL (powercap), measured"
        );
    }

    #[test]
    fn inputs_sort_by_value() {
        let v = sorted_inputs(["1000", "10", "100000", "10"].into_iter());
        assert_eq!(v, vec!["10", "1000", "100000"]);
    }
}
