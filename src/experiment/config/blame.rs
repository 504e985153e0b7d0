//! Where a validation error is blamed: on the `--set` that gave its key, else on the file and
//! the key's line there (from the key's span), naming the key, the problem and the fix.

use super::set;
use super::spans::Spans;
use super::ConfigError;

/// The key that a validation error is about.
#[derive(Clone, Copy)]
pub(super) enum At<'a> {
    /// A key of the config: `repetitions`, `energy.source`.
    Key(&'a str),
    /// A key of the first `[[function]]` table of the function `name` (no line when no table
    /// lists it: a function that `all_functions` added).
    Function { name: &'a str, key: &'a str },
}

/// What validation errors are blamed on: the file (with its keys' spans) and the overrides.
pub(super) struct Blame<'a> {
    pub file: &'a str,
    pub overrides: &'a [String],
    /// None when the text is not TOML (then a config error came before validation).
    pub spans: Option<Spans<'a>>,
}

impl Blame<'_> {
    /// The error about `at`: `problem`, and how to fix it.
    pub fn error(&self, at: At, problem: String, fix: &str) -> ConfigError {
        let (key, given) = match at {
            At::Key(k) => (k, set::giving(self.overrides, k)),
            At::Function { key, .. } => (key, set::giving(self.overrides, "function")),
        };
        if let Some(o) = given {
            return ConfigError {
                file: "--set".into(),
                line: String::new(),
                key: o.trim().to_string(),
                problem,
                fix: fix.to_string(),
            };
        }
        let line = self.spans.as_ref().and_then(|s| match at {
            At::Key(k) => s.key_line(&k.split('.').collect::<Vec<_>>()),
            At::Function { name, key } => s.function_key_line(name, key),
        });
        ConfigError {
            file: self.file.to_string(),
            line: line.map(|l| format!(":{l}")).unwrap_or_default(),
            key: key.to_string(),
            problem,
            fix: fix.to_string(),
        }
    }
}
