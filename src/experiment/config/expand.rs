//! Function expansion: each `[[function]]` table's inputs (a list, a range, geometric steps or
//! the suite's sizes) and, with `all_functions`, the suite's other functions.

use super::blame::{At, Blame};
use super::inputs::repeated_input;
use super::schema::Config;
use super::ConfigError;
use crate::suite::Suite;

/// The most inputs one function may have.
const MAX_INPUTS: usize = 10_000;

/// Every (function, inputs) pair the config asks for, in config order.
pub(super) fn functions(
    config: &Config,
    suite: &Suite,
    blame: &Blame,
) -> Result<Vec<(String, Vec<String>)>, ConfigError> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let suite_sizes = |name: &str| -> Vec<String> {
        let sizes = suite.get(name).map(|f| f.sizes.clone()).unwrap_or_default();
        match config.max_suite_sizes {
            Some(n) => sizes.into_iter().take(n).collect(),
            None => sizes,
        }
    };
    for (i, f) in config.functions.iter().enumerate() {
        if config.functions[..i].iter().any(|g| g.name == f.name) {
            return Err(blame.error(
                At::Function {
                    name: &f.name,
                    key: "name",
                },
                format!("function '{}' has two [[function]] tables", f.name),
                "give each function one table and list all its inputs there",
            ));
        }
        if suite.get(&f.name).is_err() {
            return Err(blame.error(
                At::Function {
                    name: &f.name,
                    key: "name",
                },
                format!("unknown function '{}'", f.name),
                &format!("use one of: {}", suite.names().join(", ")),
            ));
        }
        let given = [f.sizes.is_some(), f.range.is_some(), f.geometric.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given > 1 {
            return Err(blame.error(
                At::Function {
                    name: &f.name,
                    key: "sizes",
                },
                format!(
                    "function '{}' gives more than one of sizes, range, geometric",
                    f.name
                ),
                "keep one",
            ));
        }
        let sizes = if let Some(list) = &f.sizes {
            let list = list
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    toml::Value::Integer(i) => Ok(i.to_string()),
                    toml::Value::Float(x) => Ok(x.to_string()),
                    other => Err(blame.error(
                        At::Function {
                            name: &f.name,
                            key: "sizes",
                        },
                        format!("{other} is not an input"),
                        "write inputs as numbers or strings",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(repeat) = repeated_input(&list) {
                return Err(blame.error(
                    At::Function {
                        name: &f.name,
                        key: "sizes",
                    },
                    format!("sizes of '{}': {repeat}", f.name),
                    "list each input once",
                ));
            }
            list
        } else if let Some(r) = &f.range {
            if r.step == 0 || r.from > r.to {
                return Err(blame.error(
                    At::Function {
                        name: &f.name,
                        key: "range",
                    },
                    format!("{}..={} step {} is empty", r.from, r.to, r.step),
                    "use from <= to and step >= 1",
                ));
            }
            // Counted before the inputs are made: a range of 10^12 values would otherwise be
            // allocated (and abort the process) before the limit below refuses it.
            let count = ((r.to - r.from) / r.step).saturating_add(1);
            if count > MAX_INPUTS as u64 {
                return Err(blame.error(
                    At::Function {
                        name: &f.name,
                        key: "range",
                    },
                    format!(
                        "function '{}': {}..={} step {} gives {count} inputs",
                        f.name, r.from, r.to, r.step
                    ),
                    &format!("use at most {MAX_INPUTS} inputs: raise step, or use geometric"),
                ));
            }
            (r.from..=r.to)
                .step_by(usize::try_from(r.step).unwrap_or(usize::MAX))
                .map(|v| v.to_string())
                .collect()
        } else if let Some(g) = &f.geometric {
            if g.factor < 2 || g.from == 0 || g.from > g.to {
                return Err(blame.error(
                    At::Function {
                        name: &f.name,
                        key: "geometric",
                    },
                    "needs 1 <= from <= to and factor >= 2".into(),
                    "e.g. { from = 1, to = 1024, factor = 2 }",
                ));
            }
            std::iter::successors(Some(g.from), |v| v.checked_mul(g.factor).filter(|n| *n <= g.to))
                .map(|v| v.to_string())
                .collect()
        } else {
            suite_sizes(&f.name)
        };
        if sizes.is_empty() {
            return Err(blame.error(
                At::Function {
                    name: &f.name,
                    key: "sizes",
                },
                format!("function '{}' has no inputs", f.name),
                "give sizes = [...]",
            ));
        }
        if sizes.len() > MAX_INPUTS {
            return Err(blame.error(
                At::Function {
                    name: &f.name,
                    key: "sizes",
                },
                format!("function '{}' has {} inputs", f.name, sizes.len()),
                &format!("use at most {MAX_INPUTS}"),
            ));
        }
        out.push((f.name.clone(), sizes));
    }
    if config.all_functions {
        for spec in &suite.functions {
            if !out.iter().any(|(n, _)| n == &spec.name) {
                out.push((spec.name.clone(), suite_sizes(&spec.name)));
            }
        }
    }
    if out.is_empty() {
        return Err(blame.error(
            At::Key("function"),
            "no functions to run".into(),
            "add [[function]] tables or all_functions = true",
        ));
    }
    Ok(out)
}
