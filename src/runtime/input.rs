//! What one call of a function gets: its stdin, arguments, environment and directories, from
//! the function's definition and the input ([`input_for`]). A suite function reads its input
//! on stdin; a function of one's own says where `{input}` goes.

use super::{CallInput, Preopen};
use crate::suite::FunctionSpec;

/// The call input of `spec` for `input`, on wasm (`wasm = true`) or natively (where a command
/// list's leading arguments come first).
pub fn input_for(spec: &FunctionSpec, input: &str, wasm: bool) -> CallInput {
    let fill = |t: &str| t.replace("{input}", input);
    let uses_input = spec.args.iter().any(|a| a.contains("{input}"));
    let stdin = match &spec.stdin {
        Some(t) => fill(t),
        None if uses_input => String::new(),
        None => input.to_string(),
    };
    let mut args = match (&spec.native, wasm) {
        (Some(n), false) => n.argv().1,
        _ => Vec::new(),
    };
    args.extend(spec.args.iter().map(|a| fill(a)));
    CallInput {
        stdin: stdin.into_bytes(),
        args,
        env: spec.env.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
        dirs: spec.dirs.iter().filter_map(|d| Preopen::parse(d).ok()).collect(),
        ..CallInput::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::NativeCommand;

    #[test]
    fn the_input_goes_where_the_definition_says() {
        let suite_fn = FunctionSpec {
            name: "sort".into(),
            ..FunctionSpec::default()
        };
        let c = input_for(&suite_fn, "100", true);
        assert_eq!((c.stdin, c.args), (b"100".to_vec(), Vec::<String>::new()));
        let own = FunctionSpec {
            name: "nbody".into(),
            native: Some(NativeCommand::Command(vec![
                "python3".into(),
                "/b/nbody.py".into(),
            ])),
            args: vec!["--n={input}".into(), "-q".into()],
            env: [("N".to_string(), "{input}".to_string())].into(),
            dirs: vec!["/data::/d".into()],
            ..FunctionSpec::default()
        };
        let native = input_for(&own, "7", false);
        assert_eq!(native.args, ["/b/nbody.py", "--n=7", "-q"]);
        assert!(native.stdin.is_empty(), "the args take the input");
        assert_eq!(native.env, [("N".to_string(), "7".to_string())]);
        assert_eq!(native.dirs, [Preopen::read_only("/data", "/d")]);
        assert_eq!(
            input_for(&own, "7", true).args,
            ["--n=7", "-q"],
            "no leading args on wasm"
        );
        let with_stdin = FunctionSpec {
            stdin: Some("n={input}\n".into()),
            ..own
        };
        assert_eq!(input_for(&with_stdin, "9", true).stdin, b"n=9\n");
    }
}
