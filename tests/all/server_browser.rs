//! The landing page in headless Chromium: `?autorun=` fills the invoke form and submits it
//! through the same JavaScript a click runs; the dumped DOM must show the output in `#result`.

use crate::common;
use crate::server_support;

use common::hello;
use server_support::*;
use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn dump_dom(url: &str, profile: &Path) -> String {
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=5000", "--dump-dom", url])
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The inner text of the element with `id`, roughly (enough for assertions).
fn element<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page:\n{dom}"));
    let rest = &dom[start..];
    let end = rest.find("<h2>").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn the_invoke_form_shows_output_and_footprint_in_a_real_browser() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: run the test setup (apt-get install -y chromium) before this test"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut s = start(|_| {});
    let put = rt.block_on(s.put("greet", hello("<b>hi</b> from wasm"), None));
    assert_eq!(put.status, 201);
    let profile = tempfile::tempdir().expect("profile dir");

    let dom = dump_dom(&format!("{}/?autorun=greet&input=abc", s.url), profile.path());
    let result = element(&dom, "result");
    // The output arrived through fetch, escaped as text (no <b> element was created).
    assert!(
        result.contains("&lt;b&gt;hi&lt;/b&gt; from wasm"),
        "#result:\n{result}"
    );
    assert!(result.contains("ok: greet on wasm"), "#result:\n{result}");
    assert!(
        result.contains("footprint") && result.contains("mJ (estimated"),
        "#result:\n{result}"
    );
    assert!(
        dom.contains("<option value=\"greet\""),
        "the function is in the form"
    );

    // A failing call shows the error in the same place.
    let dom = dump_dom(
        &format!("{}/?autorun=greet&runtime=native", s.url),
        profile.path(),
    );
    let result = element(&dom, "result");
    assert!(result.contains("HTTP 400 no-native-build"), "#result:\n{result}");

    s.stop();
    let rows = rows(&s.csv_path());
    assert_eq!(rows.len(), 1, "one call went through the form");
    assert_eq!(rows[0].input, "abc");
}
