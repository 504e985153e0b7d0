//! Command-line flags through the binary: values the config would refuse are refused on the
//! command line too (model coefficients, a zero timeout, too few bench calls, --resume with
//! --out), with the flag and the fix; and errors that name the real problem (a directory for a
//! module, a missing results folder, a listen address that is not HOST:PORT, a module needing
//! more memory than the cap). Custom model coefficients are not credited to Cloud Carbon
//! Footprint.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn nebula(cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nebula"));
    c.env("NEBULA_FUNCTIONS", common::suite().root)
        .env("NEBULA_CACHE_DIR", cache)
        .env("NEBULA_POWERCAP_ROOT", cache.join("no-powercap"));
    c
}

fn run(cache: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = nebula(cache).args(args).output().unwrap();
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn model_coefficients_outside_0_to_10000_watts_are_refused_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    for flag in ["--idle-watts", "--active-watts-per-core"] {
        for (value, shown) in [
            ("NaN", "NaN"),
            ("-1", "-1"),
            ("inf", "inf"),
            ("1e300", "1e300"),
            ("10001", "10001"),
        ] {
            let (code, out, err) = run(tmp.path(), &["invoke", "noop", flag, value]);
            assert_eq!(code, Some(2), "{flag} {value}: {out}{err}");
            assert!(
                err.contains(&format!("invalid value '{value}' for '{flag} "))
                    && err.contains(&format!(
                        "{shown} W is out of range: use a power in watts from 0 to 10000"
                    )),
                "{err}"
            );
            assert!(out.is_empty(), "nothing runs: {out}");
        }
    }
    // The same check applies to every command that takes the model flags.
    let (code, _, err) = run(tmp.path(), &["sensors", "--idle-watts", "-0.5"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("'--idle-watts ") && err.contains("from 0 to 10000"),
        "{err}"
    );
}

#[test]
fn custom_coefficients_are_said_to_be_the_users() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = run(
        tmp.path(),
        &[
            "invoke",
            "noop",
            "--energy",
            "model",
            "--idle-watts",
            "9",
            "--active-watts-per-core",
            "0",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains(
            "idle 9.000 W + 0.000 W per busy core (both given by the user: [energy] idle_watts and \
             active_watts_per_core, or --idle-watts and --active-watts-per-core)"
        ),
        "{err}"
    );
    assert!(!err.contains("Cloud Carbon"), "{err}");
    assert!(
        out.is_empty(),
        "noop prints nothing; the report is on stderr: {out}"
    );
    // The defaults are still credited to their source.
    let (code, out, err) = run(tmp.path(), &["invoke", "noop", "--energy", "model"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("(Cloud Carbon Footprint AWS averages 0.74 W idle / 3.5 W busy per vCPU)"),
        "{err}"
    );
}

#[test]
fn a_zero_timeout_and_too_few_bench_calls_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["invoke", "serve"] {
        let mut args = vec![cmd];
        if cmd == "invoke" {
            args.push("noop");
        }
        args.extend(["--timeout", "0s"]);
        let (code, _, err) = run(tmp.path(), &args);
        assert_eq!(code, Some(2), "{cmd}: {err}");
        assert!(
            err.contains(
                "invalid value '0s' for '--timeout <TIMEOUT>': '0s' must be longer than zero: use e.g. 10s"
            ),
            "{err}"
        );
    }
    for calls in ["0", "19"] {
        let (code, _, err) = run(tmp.path(), &["bench", "--calls", calls]);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&format!("invalid value '{calls}' for '--calls <CALLS>'"))
                && err.contains("use 20 or more"),
            "{err}"
        );
    }
}

#[test]
fn resume_with_out_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = run(
        tmp.path(),
        &["run", "--resume", "results/x", "--out", "elsewhere"],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("the argument '--resume <RESUME>' cannot be used with '--out <OUT>'"),
        "{err}"
    );
}

#[test]
fn errors_name_the_real_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("modules");
    std::fs::create_dir(&dir).unwrap();
    let (code, _, err) = run(tmp.path(), &["invoke", "--module", dir.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "module {} is a directory: give the path of a .wasm file",
            dir.display()
        )),
        "{err}"
    );
    let missing = tmp.path().join("nosuch");
    for cmd in ["plot", "report"] {
        let (code, _, err) = run(tmp.path(), &[cmd, missing.to_str().unwrap()]);
        assert_eq!(code, Some(1), "{err}");
        assert!(
            err.contains(&format!(
                "{} does not exist: give a results folder",
                missing.display()
            )) && !err.contains("has no calls.csv"),
            "{err}"
        );
    }
    let (code, _, err) = run(tmp.path(), &["serve", "--listen", "nonsense"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("'nonsense' is not HOST:PORT: use e.g. 127.0.0.1:8080") && !err.contains("port in use"),
        "{err}"
    );
}

#[test]
fn a_module_needing_more_memory_than_the_cap_says_to_raise_it() {
    let tmp = tempfile::tempdir().unwrap();
    // 100 pages (6.25 MiB) of memory at start, and nothing else.
    let module = tmp.path().join("big.wasm");
    std::fs::write(
        &module,
        common::wat(r#"(module (memory 100) (func (export "_start")))"#),
    )
    .unwrap();
    let m = module.to_str().unwrap();
    // Compiled and cached under a cap it fits...
    let (code, _, err) = run(tmp.path(), &["invoke", "--module", m, "--memory", "64MiB"]);
    assert_eq!(code, Some(0), "{err}");
    // ...then loaded under one it does not (the cached artifact is fine), and compiled cold.
    for runtime in ["wasm", "wasm-cold"] {
        let (code, out, err) = run(
            tmp.path(),
            &["invoke", "--module", m, "--memory", "1MiB", "--runtime", runtime],
        );
        // A module that cannot start under the cap is a load error: status 126, said on stderr.
        assert_eq!(code, Some(126), "{out}{err}");
        assert!(out.is_empty(), "the module printed nothing: {out}");
        let text = err.clone();
        assert!(
            text.contains("the module needs 6.2 MiB (6553600 bytes) of linear memory to start")
                && text.contains("raise the cap: `memory` in the config")
                && text.contains("`--memory` on the command line"),
            "{text}"
        );
        assert!(
            !text.contains("not a valid WebAssembly module") && !text.contains("unusable"),
            "{text}"
        );
    }
}
