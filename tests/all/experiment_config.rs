//! Config errors are refused before anything runs, each naming the file, line, key and fix;
//! sizes expand as lists, ranges and geometric steps; overrides apply.

use crate::common;

use nebula::experiment::config::parse;
use nebula::experiment::matrix::cells;

const BASE: &str = r#"name = "t"
repetitions = 3
runtimes = ["wasm", "native"]

[[function]]
name = "fibonacci"
sizes = [10, "20"]
"#;

fn err(text: &str, overrides: &[&str]) -> String {
    let suite = common::suite();
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match parse("exp.toml", text, &o, &suite) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_good_config_expands_into_cells() {
    let suite = common::suite();
    let plan = parse("exp.toml", BASE, &[], &suite).unwrap();
    let c = cells(&plan);
    assert_eq!(c.len(), 4, "2 inputs x 2 runtimes x 1 concurrency");
    assert_eq!(c[0].id(), "fibonacci/10/wasm/c1");
    assert_eq!(c[3].id(), "fibonacci/20/native/c1");
    let ranged = BASE.replace(
        "sizes = [10, \"20\"]",
        "range = { from = 10, to = 40, step = 10 }",
    );
    let plan = parse("exp.toml", &ranged, &["concurrency=[1,2]".into()], &suite).unwrap();
    assert_eq!(plan.functions[0].1, vec!["10", "20", "30", "40"]);
    assert_eq!(cells(&plan).len(), 16);
    let geo = BASE.replace(
        "sizes = [10, \"20\"]",
        "geometric = { from = 1, to = 100, factor = 3 }",
    );
    let plan = parse(
        "exp.toml",
        &geo,
        &["repetitions=7".into(), "energy.source=model".into()],
        &suite,
    )
    .unwrap();
    assert_eq!(plan.functions[0].1, vec!["1", "3", "9", "27", "81"]);
    assert_eq!(plan.config.repetitions, 7);
    assert!(
        plan.toml.contains("repetitions = 7"),
        "overrides are recorded in the config kept with the run"
    );
    let all = parse(
        "exp.toml",
        "name = \"a\"\nall_functions = true\nmax_suite_sizes = 1\n",
        &[],
        &suite,
    )
    .unwrap();
    assert_eq!(all.functions.len(), suite.functions.len());
    assert!(all.functions.iter().all(|(_, s)| s.len() == 1));
}

#[test]
fn unknown_keys_and_wrong_types_name_the_line_and_key() {
    let e = err(&BASE.replace("repetitions = 3", "repetitons = 3"), &[]);
    assert!(
        e.starts_with("exp.toml:2: repetitons:") && e.contains("unknown field"),
        "{e}"
    );
    let e = err(&BASE.replace("repetitions = 3", "repetitions = \"ten\""), &[]);
    assert!(
        e.starts_with("exp.toml:2: repetitions: invalid type") && e.contains("Fix:"),
        "{e}"
    );
    let e = err(&BASE.replace("sizes = [10, \"20\"]", "sizez = [10]"), &[]);
    assert!(e.starts_with("exp.toml:7: sizez:"), "{e}");
    let e = err("name = \"x\"\n[[function]\n", &[]);
    assert!(e.starts_with("exp.toml:2: (syntax)"), "{e}");
    let e = err(BASE, &["repetitions=\"ten\""]);
    assert!(e.starts_with("--set: repetitions=\"ten\": invalid type"), "{e}");
}

#[test]
fn out_of_range_values_and_unknown_functions_are_refused() {
    let e = err(&BASE.replace("repetitions = 3", "repetitions = 0"), &[]);
    assert!(
        e.starts_with("exp.toml:2: repetitions: 0 is out of range") && e.contains("use 1 to 100000"),
        "{e}"
    );
    let e = err(&BASE.replace("name = \"fibonacci\"", "name = \"fibonaci\""), &[]);
    assert!(
        e.starts_with("exp.toml:6: name: unknown function 'fibonaci'") && e.contains("fibonacci-recursive"),
        "{e}"
    );
    let e = err(
        &BASE.replace("[\"wasm\", \"native\"]", "[\"wasm\", \"docker\"]"),
        &[],
    );
    assert!(
        e.starts_with("exp.toml:3: runtimes: unknown runtime 'docker'"),
        "{e}"
    );
    let e = err(BASE, &["timeout=soon"]);
    assert!(e.contains("timeout") && e.contains("not a duration"), "{e}");
    let e = err(BASE, &["concurrency=[0]"]);
    assert!(e.contains("concurrency") && e.contains("1..1024"), "{e}");
    let e = err(BASE, &["energy.source=wallplug"]);
    assert!(
        e.contains("unknown energy source 'wallplug'") && e.contains("auto, powercap, perf or model"),
        "{e}"
    );
    let e = err(BASE, &["novalue"]);
    assert!(e.starts_with("--set: novalue:") && e.contains("key=value"), "{e}");
    let e = err(
        &BASE.replace("sizes = [10, \"20\"]", "range = { from = 5, to = 1, step = 1 }"),
        &[],
    );
    assert!(e.contains("range") && e.contains("is empty"), "{e}");
}

#[test]
fn a_missing_build_is_refused_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(common::suite().root.join("suite.toml")).unwrap();
    std::fs::write(tmp.path().join("suite.toml"), manifest).unwrap();
    let empty = nebula::suite::Suite::load(tmp.path()).unwrap();
    let e = parse("exp.toml", BASE, &[], &empty)
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("build of 'fibonacci' is missing") && e.contains("scripts/build-functions.sh"),
        "{e}"
    );
}

#[test]
fn the_started_servers_policy_is_a_checked_key() {
    use nebula::server::sched::SchedPolicy;
    let suite = common::suite();
    let http = BASE.replace("runtimes = [", "target = \"http\"\nruntimes = [");
    let plan = parse("exp.toml", &http, &[], &suite).unwrap();
    assert_eq!(plan.server_sched, SchedPolicy::Batch, "the server's default");
    let plan = parse("exp.toml", &http, &["server_sched=\"normal\"".into()], &suite).unwrap();
    assert_eq!(plan.server_sched, SchedPolicy::Normal);
    assert!(plan.toml.contains("server_sched = \"normal\""), "{}", plan.toml);
    let e = err(&http, &["server_sched=\"fifo\""]);
    assert!(
        e.starts_with("--set: server_sched=\"fifo\": unknown policy 'fifo'") && e.contains("\"batch\""),
        "{e}"
    );
    let e = err(BASE, &["server_sched=\"normal\""]);
    assert!(
        e.starts_with("--set: server_sched=\"normal\":") && e.contains("target = \"http\""),
        "{e}"
    );
    let e = err(&http, &["server_sched=\"normal\"", "url=\"http://127.0.0.1:9\""]);
    assert!(
        e.starts_with("--set: server_sched=\"normal\":") && e.contains("no url"),
        "{e}"
    );
}

#[test]
fn an_input_or_level_given_twice_is_refused_naming_it() {
    // The same input, written as the same number or with spaces: one cell, run twice as often.
    let dup = BASE.replace(
        "sizes = [10, \"20\"]",
        "sizes = [10, 10, \"10\", \" 10\", \"010\", 20]",
    );
    let e = err(&dup, &[]);
    assert_eq!(
        e,
        "exp.toml:7: sizes: sizes of 'fibonacci': input '10' appears 5 times (also as ' 10', '010'). \
         Fix: list each input once"
    );
    let e = err(&BASE.replace("[10, \"20\"]", "[\"20\", \"2e1\"]"), &[]);
    assert!(e.contains("input '20' appears twice (also as '2e1')"), "{e}");
    // Different numbers and different words are different inputs.
    let suite = common::suite();
    let ok = BASE.replace("[10, \"20\"]", "[1, 10, 100]");
    assert_eq!(
        parse("exp.toml", &ok, &[], &suite).unwrap().functions[0].1.len(),
        3
    );
    assert_eq!(
        err(BASE, &["concurrency=[1,2,1]"]),
        "--set: concurrency=[1,2,1]: level 1 appears twice in [1, 2, 1]. Fix: list each concurrency level once"
    );
    assert_eq!(
        err(BASE, &["runtimes=[\"wasm\",\"native\",\"wasm\"]"]),
        "--set: runtimes=[\"wasm\",\"native\",\"wasm\"]: runtime 'wasm' appears twice. Fix: list each runtime once"
    );
    let twice = format!("{BASE}\n[[function]]\nname = \"fibonacci\"\nsizes = [30]\n");
    let e = err(&twice, &[]);
    assert!(
        e.contains("function 'fibonacci' has two [[function]] tables"),
        "{e}"
    );
}

#[test]
fn max_suite_sizes_of_zero_is_refused_naming_the_key() {
    let e = err(BASE, &["max_suite_sizes=0"]);
    assert_eq!(
        e,
        "--set: max_suite_sizes=0: 0 keeps none of the suite's sizes. Fix: use 1 or more, or leave \
         it out to keep them all"
    );
}

#[test]
fn an_unknown_p_value_adjustment_is_refused_naming_both() {
    let e = err(BASE, &["p_adjust=\"bonferroni\""]);
    assert_eq!(
        e,
        "--set: p_adjust=\"bonferroni\": unknown p-value adjustment 'bonferroni'. Fix: use \"holm\" \
         (the default: the family-wise error rate) or \"bh\" (Benjamini-Hochberg: the false discovery rate)"
    );
    let suite = common::suite();
    let plan = parse("exp.toml", BASE, &["p_adjust=\"bh\"".into()], &suite).unwrap();
    assert!(plan.toml.contains("p_adjust = \"bh\""), "{}", plan.toml);
}

#[test]
fn a_config_that_is_not_utf8_is_called_that() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("latin1.toml");
    std::fs::write(&path, b"name = \"caf\xe9\"\n").unwrap();
    let e = nebula::experiment::config::load(&path, &[], &common::suite())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("(file): it is not UTF-8 text. Fix: save it as UTF-8") && !e.contains("check the path"),
        "{e}"
    );
}

#[test]
fn a_config_path_that_is_a_device_or_a_huge_file_is_refused_without_reading_it() {
    // /dev/zero would never end a read; a FIFO would block it.
    let e = nebula::experiment::config::load(std::path::Path::new("/dev/zero"), &[], &common::suite())
        .unwrap_err()
        .to_string();
    assert!(e.contains("/dev/zero: (file): it is not a regular file"), "{e}");
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.toml");
    std::fs::write(&big, vec![b'#'; (1 << 20) + 1]).unwrap();
    let e = nebula::experiment::config::load(&big, &[], &common::suite())
        .unwrap_err()
        .to_string();
    assert!(e.contains("more than a config's 1048576"), "{e}");
}

#[test]
fn a_range_with_too_many_inputs_is_refused_before_it_is_made() {
    // 10^12 inputs: made first, they took terabytes and aborted the process.
    let e = err(
        &BASE.replace(
            "sizes = [10, \"20\"]",
            "range = { from = 1, to = 1000000000000, step = 1 }",
        ),
        &[],
    );
    assert!(
        e.starts_with(
            "exp.toml:7: range: function 'fibonacci': 1..=1000000000000 step 1 gives 1000000000000 inputs"
        ) && e.contains("use at most 10000 inputs"),
        "{e}"
    );
    // The largest range allowed still expands.
    let suite = common::suite();
    let ok = BASE.replace(
        "sizes = [10, \"20\"]",
        "range = { from = 1, to = 10000, step = 1 }",
    );
    let plan = parse("exp.toml", &ok, &[], &suite).unwrap();
    assert_eq!(plan.functions[0].1.len(), 10_000);
    assert_eq!(plan.functions[0].1.last().map(String::as_str), Some("10000"));
    let e = err(
        &BASE.replace(
            "sizes = [10, \"20\"]",
            "range = { from = 1, to = 10001, step = 1 }",
        ),
        &[],
    );
    assert!(e.contains("gives 10001 inputs"), "{e}");
}

#[test]
fn a_bad_value_given_with_set_is_blamed_on_the_set_not_on_the_files_line() {
    // The file's `concurrency = [1]` on line 3 is fine; the --set is not. The error named the
    // file and that line.
    let text = BASE.replace("runtimes = [\"wasm\", \"native\"]", "concurrency = [1]");
    let e = err(&text, &["concurrency=[1,1]"]);
    assert_eq!(
        e,
        "--set: concurrency=[1,1]: level 1 appears twice in [1, 1]. Fix: list each concurrency level once"
    );
    let e = err(&text, &["repetitions=0"]);
    assert!(e.starts_with("--set: repetitions=0: 0 is out of range"), "{e}");
    // An [energy] key is named with its table, in the file and in a --set.
    let e = err(&format!("{BASE}\n[energy]\nsource = \"wallplug\"\n"), &[]);
    assert!(
        e.starts_with("exp.toml:10: energy.source: unknown energy source 'wallplug'"),
        "{e}"
    );
    let e = err(BASE, &["energy.idle_watts=-3"]);
    assert!(
        e.starts_with("--set: energy.idle_watts=-3: -3 W is out of range"),
        "{e}"
    );
    // A value from the file is still blamed on the file, with --set given for another key.
    let e = err(&BASE.replace("repetitions = 3", "repetitions = 0"), &["seed=1"]);
    assert!(e.starts_with("exp.toml:2: repetitions: 0 is out of range"), "{e}");
}
