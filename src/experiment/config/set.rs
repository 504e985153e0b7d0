//! `--set key=value` overrides: applied to the file's table before it is deserialized, refused
//! with the `--set` named when malformed, and found again when an error is about a key one gave.

use super::ConfigError;

/// Apply `a.b=value` to the table; the value is TOML (`5`, `[1,2]`, `"x"`) or else a bare string.
pub(super) fn apply(table: &mut toml::Table, o: &str) -> Result<(), String> {
    let (key, raw) = o
        .split_once('=')
        .ok_or_else(|| format!("'{o}' is not key=value"))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
        return Err(format!("'{key}' is not a key"));
    }
    let parsed: toml::Value = match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.trim().to_string()),
    };
    let parts: Vec<&str> = key.split('.').map(str::trim).collect();
    let (last, path) = parts
        .split_last()
        .ok_or_else(|| format!("'{key}' is not a key"))?;
    let mut cur = table;
    for p in path {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry
            .as_table_mut()
            .ok_or_else(|| format!("'{p}' is not a table"))?;
    }
    cur.insert(last.to_string(), parsed);
    Ok(())
}

/// The error for an override that cannot be applied or gives a value of the wrong type.
pub(super) fn error(o: &str, problem: String) -> ConfigError {
    ConfigError {
        file: "--set".into(),
        line: String::new(),
        key: o.to_string(),
        problem,
        fix: "write --set key=value, e.g. --set repetitions=5 or --set energy.source=model".into(),
    }
}

/// The last override that gave `key` (`energy.source`): one of that key, or of a table that
/// holds it (`energy`).
pub(super) fn giving<'o>(overrides: &'o [String], key: &str) -> Option<&'o str> {
    let wanted: Vec<&str> = key.split('.').collect();
    overrides
        .iter()
        .rev()
        .find(|o| {
            o.split_once('=').is_some_and(|(k, _)| {
                let given: Vec<&str> = k.split('.').map(str::trim).collect();
                wanted.starts_with(&given)
            })
        })
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_given_by_the_last_override_of_it_or_of_a_table_holding_it() {
        let o: Vec<String> = [
            "energy={source=\"x\"}",
            " repetitions = 3",
            "repetitions=4",
            "seed.x=1",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(giving(&o, "energy.source"), Some("energy={source=\"x\"}"));
        assert_eq!(giving(&o, "energy"), Some("energy={source=\"x\"}"));
        assert_eq!(giving(&o, "repetitions"), Some("repetitions=4"));
        assert_eq!(giving(&o[..2], "repetitions"), Some(" repetitions = 3"));
        assert_eq!(giving(&o, "seed"), None, "seed.x does not give seed");
        assert_eq!(giving(&o, "energy.idle"), Some("energy={source=\"x\"}"));
        assert_eq!(giving(&o, "energ"), None);
    }
}
