//! Opens report.html of a fixture run in headless Chromium (from Debian: `apt-get install
//! chromium`; `scripts/test.sh` installs it) and checks the screenshot is not blank: many
//! distinct colours and pixels of the wasm and native colours (the embedded charts render).
//! Fails, never skips, when Chromium is missing.

use crate::fixture_run;

use fixture_run::{write_run, Spec};
use nebula::plot::{NATIVE_COLOR, WASM_COLOR};
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn report_renders_with_charts_in_chromium() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install it (`apt-get install -y chromium`, as scripts/test.sh does in CI) to run the browser test"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    write_run(&dir, "fixture-browser", Spec::default());
    let report = dir.join("report.html").canonicalize().expect("report.html");
    let shot = tmp.path().join("shot.png");
    let profile = tmp.path().join("profile");
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("run chromium");
    assert!(
        shot.exists(),
        "no screenshot; chromium exited {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&shot).expect("screenshot decodes").to_rgba8();
    assert_eq!((img.width(), img.height()), (1280, 2000));
    let distinct: HashSet<[u8; 3]> = img.pixels().map(|p| [p.0[0], p.0[1], p.0[2]]).collect();
    assert!(
        distinct.len() > 50,
        "screenshot looks blank: {} colours",
        distinct.len()
    );
    // Scaled images blend colours, so allow a small distance.
    let near = |c: plotters::style::RGBColor| {
        img.pixels()
            .filter(|p| {
                let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).abs();
                d(p.0[0], c.0) + d(p.0[1], c.1) + d(p.0[2], c.2) < 24
            })
            .count()
    };
    assert!(
        near(WASM_COLOR) > 100,
        "no wasm-coloured pixels: the charts did not render"
    );
    assert!(
        near(NATIVE_COLOR) > 100,
        "no native-coloured pixels: the charts did not render"
    );
}
