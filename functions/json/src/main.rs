//! `json`: builds n records `{id, name, value, tags, active}` (serde derive), serializes the
//! `Vec` to a JSON string with `serde_json`, parses it back and checks it equals the original.
//! Building the records is not measured; serializing, parsing and comparing are the kernel.
//! Prints `bytes B` (JSON length) and `sum S` (sum of the parsed ids). `n` in 0..=1000000.

use nebula_guest::{kernel, parse_u64, run, try_vec_with_capacity};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: u64,
    name: String,
    value: f64,
    tags: Vec<String>,
    active: bool,
}

fn record(i: u64) -> Record {
    Record {
        id: i,
        name: format!("item-{i}"),
        value: i as f64 * 1.5,
        tags: vec![format!("t{}", i % 7), format!("t{}", i % 11)],
        active: i.is_multiple_of(2),
    }
}

fn records(n: u64) -> Result<Vec<Record>, String> {
    let mut v = try_vec_with_capacity::<Record>(n as usize, "the records")?;
    v.extend((0..n).map(record));
    Ok(v)
}

/// Serializes, parses back and compares: (JSON length, sum of parsed ids).
fn round_trip(records: &[Record]) -> Result<(usize, u64), String> {
    let text = serde_json::to_string(records).map_err(|e| format!("cannot serialize: {e}"))?;
    let parsed: Vec<Record> =
        serde_json::from_str(&text).map_err(|e| format!("cannot parse the JSON back: {e}"))?;
    if parsed != records {
        return Err("the parsed records differ from the original".to_string());
    }
    Ok((text.len(), parsed.iter().map(|r| r.id).sum()))
}

fn json(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 0, 1_000_000)?;
    let recs = records(n)?;
    let (bytes, sum) = kernel(|| round_trip(&recs))?;
    Ok(format!("bytes {bytes}\nsum {sum}\n"))
}

fn main() {
    run(json);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_record_text() {
        let text = serde_json::to_string(&records(2).unwrap()).unwrap();
        assert_eq!(
            text,
            r#"[{"id":0,"name":"item-0","value":0.0,"tags":["t0","t0"],"active":true},{"id":1,"name":"item-1","value":1.5,"tags":["t1","t1"],"active":false}]"#
        );
        assert_eq!(json("2"), Ok(format!("bytes {}\nsum 1\n", text.len())));
    }

    #[test]
    fn round_trip_and_sum() {
        let recs = records(10_000).unwrap();
        let (bytes, sum) = round_trip(&recs).unwrap();
        assert_eq!(sum, 10_000 * 9_999 / 2);
        // Independent length: serde_json::Value tree printed compactly.
        let value: serde_json::Value = serde_json::to_value(&recs).unwrap();
        assert_eq!(bytes, value.to_string().len());
        assert_eq!(json("0"), Ok("bytes 2\nsum 0\n".to_string()));
    }

    #[test]
    fn bad_input() {
        assert!(json("1000001").is_err());
        assert!(json("many").is_err());
    }
}
