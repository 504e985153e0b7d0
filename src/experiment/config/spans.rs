//! Where things are in a config file: line numbers from the byte spans that the toml crate
//! records, the span of every key and array element (`toml::Spanned`) and the span of a
//! deserialization error (`toml::de::Error::span`), and the key that such an error is about.

use super::schema;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// A TOML value with the span of each key and array element. A table keeps no span of its own:
/// one made by a dotted key (`energy.source = ...`) has none, and asking for it fails.
enum Node {
    /// A string (kept: a `[[function]]` table is found by its name) or another scalar.
    Leaf(Option<String>),
    Table(Vec<(Spanned<String>, Node)>),
    Array(Vec<Spanned<Node>>),
}

type Table = [(Spanned<String>, Node)];

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Leaf(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Leaf(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Leaf(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Leaf(None))
    }
    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(Node::Leaf(Some(s.to_string())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        loop {
            match map.next_key::<Spanned<String>>() {
                Ok(Some(key)) => entries.push((key, map.next_value()?)),
                Ok(None) => return Ok(Node::Table(entries)),
                // A datetime is the one map whose key has no span: a scalar here.
                Err(_) if entries.is_empty() => return Ok(Node::Leaf(None)),
                Err(e) => return Err(e),
            }
        }
    }
}

/// The line (from 1) of byte `offset` of `text`. The end of a text whose last line ends is on
/// that line (an array left open there), not on an empty one after it.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let line = text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1;
    match offset == text.len() && text.ends_with('\n') {
        true => (line - 1).max(1),
        false => line,
    }
}

/// For text that is not TOML (no spans of keys): the key that `line` assigns (`key = ...`) or
/// the table whose header it is (`[energy]`), as its text says.
pub(super) fn key_on_line(text: &str, line: usize) -> Option<String> {
    let t = text.lines().nth(line.checked_sub(1)?)?.trim();
    if let Some((key, _)) = t.split_once('=') {
        return Some(key.trim().to_string());
    }
    let header = match t.strip_prefix("[[") {
        Some(rest) => rest.strip_suffix("]]"),
        None => t.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')),
    };
    header.map(|h| h.trim().to_string())
}

/// The spans of a config file's keys.
pub(super) struct Spans<'a> {
    text: &'a str,
    root: Vec<(Spanned<String>, Node)>,
    /// The offset of each newline, to find a span's line.
    newlines: Vec<usize>,
}

impl<'a> Spans<'a> {
    /// The spans of `text`'s keys; None when it is not TOML.
    pub(super) fn parse(text: &'a str) -> Option<Self> {
        match toml::from_str(text) {
            Ok(Node::Table(root)) => Some(Spans {
                text,
                root,
                newlines: text.match_indices('\n').map(|(i, _)| i).collect(),
            }),
            _ => None,
        }
    }

    /// The line (from 1) of byte `offset`.
    fn line_at(&self, offset: usize) -> usize {
        self.newlines.partition_point(|n| *n < offset) + 1
    }

    fn line(&self, key: &Spanned<String>) -> usize {
        self.line_at(key.span().start)
    }

    /// The line of the key at `path` (`["energy", "source"]`); a table's key is in its header.
    pub(super) fn key_line(&self, path: &[&str]) -> Option<usize> {
        let (last, tables) = path.split_last()?;
        let mut table: &Table = &self.root;
        for name in tables {
            table = match entry(table, name)? {
                (_, Node::Table(t)) => t,
                _ => return None,
            };
        }
        entry(table, last).map(|(k, _)| self.line(k))
    }

    /// The line of `key` in the first `[[function]]` table whose name is `name`.
    pub(super) fn function_key_line(&self, name: &str, key: &str) -> Option<usize> {
        let Some((_, Node::Array(functions))) = entry(&self.root, "function") else {
            return None;
        };
        functions.iter().find_map(|f| match f.get_ref() {
            Node::Table(t) if matches!(entry(t, "name"), Some((_, Node::Leaf(Some(n)))) if n == name) => {
                entry(t, key).map(|(k, _)| self.line(k))
            }
            _ => None,
        })
    }

    /// The key that a deserialization error spanning `at` is about: the key whose span it is
    /// (an unknown key), the key that the value it spans is assigned to, as written on its
    /// line (`repetitions`, `energy.source`, `source` under `[energy]`), or the first missing
    /// key of the table it spans.
    pub(super) fn error_key(&self, at: &Range<usize>) -> Option<String> {
        let mut path = Vec::new();
        if let Some(value) = key_at(&self.root, at, &mut path) {
            // A dotted key's table has no span of its own, so an error about the table (a
            // missing key) has its key's span.
            let missing = match value {
                Node::Table(t) => missing(&path, t),
                _ => None,
            };
            return missing.or_else(|| path.last().map(|s| s.key.get_ref().clone()));
        }
        self.about(&self.root, &mut path, at)
    }

    /// The key whose value holds the error at `at` in `table` (reached by `path`), or the
    /// missing key of the table when the error is about the table itself.
    fn about<'t>(&self, table: &'t Table, path: &mut Vec<Step<'t>>, at: &Range<usize>) -> Option<String> {
        let header_here = |k: &Spanned<String>| {
            self.text.get(at.start..).is_some_and(|t| t.starts_with('['))
                && self.line(k) == self.line_at(at.start)
        };
        let holder = table
            .iter()
            // An array element that holds the error: `[[function]]` tables are elements.
            .find(|(_, v)| matches!(v, Node::Array(items) if items.iter().any(|i| holds(&i.span(), at))))
            // A `[table]` whose header the error starts at: the error is about the table.
            .or_else(|| {
                table
                    .iter()
                    .find(|(k, v)| matches!(v, Node::Table(_)) && at.start < k.span().start && header_here(k))
            })
            // The last key before the error: the error is in its value.
            .or_else(|| {
                table
                    .iter()
                    .filter(|(k, _)| k.span().start < at.start)
                    .max_by_key(|(k, _)| k.span().start)
            });
        let Some((key, v)) = holder else {
            // Nothing in the table holds the error: it is about the table, which lacks a key.
            return missing(path, table).or_else(|| (!path.is_empty()).then(|| self.written(path)));
        };
        let (value, element) = value_at(v, at);
        path.push(Step { key, element });
        match value {
            Node::Table(t) => self.about(t, path, at),
            _ => Some(self.written(path)),
        }
    }

    /// The key that the last key of `path` is assigned with, as written on its line: the
    /// line's first key of the path and the keys dotted to it (`energy.source`, `source` under
    /// `[energy]`, `range` for `range = { from = -1 }`).
    fn written(&self, path: &[Step]) -> String {
        let line = |s: &Step| self.line(s.key);
        let mut from = path.len().saturating_sub(1);
        while from > 0 && line(&path[from - 1]) == line(&path[from]) {
            from -= 1;
        }
        let mut to = from;
        while to + 1 < path.len() && self.dotted(path[to].key, path[to + 1].key) {
            to += 1;
        }
        let keys: Vec<&str> = path[from..=to].iter().map(|s| s.key.get_ref().as_str()).collect();
        keys.join(".")
    }

    /// Whether `b` follows `a` in one dotted key (`a.b`).
    fn dotted(&self, a: &Spanned<String>, b: &Spanned<String>) -> bool {
        self.text
            .get(a.span().end..b.span().start)
            .is_some_and(|between| between.trim() == ".")
    }
}

/// A key on the way from the file's top to an error, and whether the way goes on into an
/// element of its array (a `[[function]]` table) rather than into its value.
struct Step<'t> {
    key: &'t Spanned<String>,
    element: bool,
}

/// The entry of `table` named `name`.
fn entry<'t>(table: &'t Table, name: &str) -> Option<&'t (Spanned<String>, Node)> {
    table.iter().find(|(k, _)| k.get_ref() == name)
}

/// Whether `outer` holds `inner`. An empty span holds nothing and is held by nothing: the
/// error of a file whose top has no keys (a missing `name`) spans `0..0`.
fn holds(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    !inner.is_empty() && outer.start <= inner.start && inner.end <= outer.end
}

/// The value of the key whose span is `at`, with the keys on the way to it put in `path`.
fn key_at<'t>(table: &'t Table, at: &Range<usize>, path: &mut Vec<Step<'t>>) -> Option<&'t Node> {
    for (key, v) in table {
        if key.span() == *at {
            path.push(Step { key, element: false });
            return Some(v);
        }
        let tables: Vec<(&Table, bool)> = match v {
            Node::Table(t) => vec![(t, false)],
            Node::Array(items) => items
                .iter()
                .filter_map(|i| match i.get_ref() {
                    Node::Table(t) => Some((t.as_slice(), true)),
                    _ => None,
                })
                .collect(),
            Node::Leaf(_) => Vec::new(),
        };
        for (t, element) in tables {
            path.push(Step { key, element });
            if let Some(found) = key_at(t, at, path) {
                return Some(found);
            }
            path.pop();
        }
    }
    None
}

/// The array element of `node` that holds `at` (innermost, and true): a `[[function]]` table,
/// or the last one before `at` when `at` is in a sub-table of it (`[function.range]`); else
/// `node` itself.
fn value_at<'t>(node: &'t Node, at: &Range<usize>) -> (&'t Node, bool) {
    let Node::Array(items) = node else {
        return (node, false);
    };
    if let Some(item) = items.iter().find(|i| holds(&i.span(), at)) {
        return (value_at(item.get_ref(), at).0, true);
    }
    match items.iter().rev().find(|i| i.span().start < at.start) {
        Some(item) if matches!(item.get_ref(), Node::Table(_)) => (item.get_ref(), true),
        _ => (node, false),
    }
}

/// The first key that the schema requires of `table` (at `path`) and it lacks.
fn missing(path: &[Step], table: &Table) -> Option<String> {
    let names: Vec<String> = path
        .iter()
        .map(|s| match s.element {
            true => format!("{}[]", s.key.get_ref()),
            false => s.key.get_ref().clone(),
        })
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let required = schema::required(&names);
    required
        .iter()
        .find(|r| entry(table, r).is_none())
        .map(|r| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::Config;

    /// The line and key of the error that deserializing `text` into the schema gives.
    fn located(text: &str) -> (usize, String) {
        let e = toml::from_str::<Config>(text).expect_err(text);
        let at = e.span().expect("a span");
        let key = Spans::parse(text).and_then(|s| s.error_key(&at));
        (line_of(text, at.start), key.unwrap_or_default())
    }

    #[test]
    fn lines_count_from_one_and_the_end_of_a_last_line_is_on_it() {
        assert_eq!([0, 1, 2, 3, 4].map(|o| line_of("a\nb\n", o)), [1, 1, 2, 2, 2]);
        assert_eq!(line_of("a", 1), 1);
        assert_eq!(line_of("", 0), 1);
    }

    #[test]
    fn text_that_is_not_toml_names_the_key_or_header_of_its_line() {
        let text = "x = [1,\n[energy]\n[[function]\n[[function]]\n= 5\n";
        let keys: Vec<Option<String>> = (1..=6).map(|l| key_on_line(text, l)).collect();
        let want = [Some("x"), Some("energy"), None, Some("function"), Some(""), None];
        assert_eq!(keys, want.map(|k| k.map(String::from)));
    }

    #[test]
    fn an_error_is_put_on_its_key_or_its_tables_missing_key() {
        let f = "name = \"t\"\n[[function]]\nname = \"f\"\n";
        let cases = [
            ("name = \"t\"\nrepetitons = 3\n".to_string(), 2, "repetitons"),
            ("name = \"t\"\n\"repetitons\" = 3\n".into(), 2, "repetitons"),
            ("repetitions = 3\n[[function]]\nname = \"f\"\n".into(), 1, "name"),
            ("[[function]]\nname = \"f\"\n".into(), 1, "name"),
            ("name = \"t\"\n[[function]]\nsizes = [1]\n".into(), 2, "name"),
            (format!("{f}[energy]\n[[function]]\nsizes = [1]\n"), 5, "name"),
            (format!("{f}range = {{ from = 1, to = 2 }}\n"), 4, "step"),
            (
                format!("{f}range = {{ from = -1, to = 2, step = 1 }}\n"),
                4,
                "range",
            ),
            (format!("{f}range.from = 1\n"), 4, "to"),
            (format!("{f}[function.range]\nfrom = 1\nto = 2\n"), 4, "step"),
            (format!("{f}[function.range]\nfrom = -1\n"), 5, "from"),
            ("name = \"t\"\nenergy.source = 5\n".into(), 2, "energy.source"),
            ("name = \"t\"\n[energy]\nsource = 5\n".into(), 3, "source"),
            ("name = \"t\"\nenergy = { source = 5 }\n".into(), 2, "energy"),
            ("name = \"t\"\n[energy]\nsourc = 5\n".into(), 3, "sourc"),
            (
                "name = \"t\"\nruntimes = [\n  \"wasm\",\n  5,\n]\n".into(),
                4,
                "runtimes",
            ),
            ("name = \"t\"\n[function]\nname = \"f\"\n".into(), 2, "function"),
            ("name = \"t\"\nfunction = [1]\n".into(), 2, "function"),
            ("name = \"t\"\nrepetitions.x = 1\n".into(), 2, "repetitions"),
            ("name = \"t\"\nseed = 1979-05-27\n".into(), 2, "seed"),
        ];
        for (text, line, key) in cases {
            assert_eq!(located(&text), (line, key.to_string()), "{text}");
        }
    }

    #[test]
    fn a_keys_line_is_found_by_its_path_or_its_functions_name() {
        let text = "name = \"t\"\nenergy.source = \"x\"\n\n[[function]]\nname = \"a\"\n\n[[function]]\nname = 'b'\nsizes = [1979-05-27]\nrange.from = 1\n";
        let s = Spans::parse(text).expect("TOML");
        assert_eq!(s.key_line(&["name"]), Some(1));
        assert_eq!(s.key_line(&["energy", "source"]), Some(2));
        assert_eq!(s.key_line(&["function"]), Some(4));
        assert_eq!(s.key_line(&["energy", "idle_watts"]), None);
        assert_eq!(s.function_key_line("b", "name"), Some(8));
        assert_eq!(s.function_key_line("b", "sizes"), Some(9));
        assert_eq!(s.function_key_line("b", "range"), Some(10));
        assert_eq!(s.function_key_line("a", "sizes"), None);
        assert_eq!(s.function_key_line("c", "name"), None);
        assert!(Spans::parse("name = \n").is_none());
    }
}
