//! Every suite function gives the same output in wasm (warm and cold), wasm-simd128 and native,
//! that output is correct against a computation written independently here, and the kernel
//! markers arrive from every build.

use crate::common;

use common::{suite, SplitMix64};
use nebula::runtime::{self, CallInput, HostConfig, Limits, Runtime, RuntimeKind, WasmHost};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

struct Harness {
    host: Arc<WasmHost>,
    suite: nebula::suite::Suite,
    loaded: HashMap<(String, RuntimeKind), Box<dyn Runtime>>,
    _cache: tempfile::TempDir,
}

impl Harness {
    fn new() -> Harness {
        let cache = tempfile::tempdir().unwrap();
        let limits = Limits {
            timeout: Duration::from_secs(60),
            memory_bytes: 1 << 30,
            output_bytes: 64 << 20,
        };
        let mut cfg = HostConfig::new(limits);
        cfg.cache_dir = cache.path().join("modules");
        Harness {
            host: WasmHost::new(cfg).unwrap(),
            suite: suite(),
            loaded: HashMap::new(),
            _cache: cache,
        }
    }

    fn call(&mut self, f: &str, rt: RuntimeKind, input: &str) -> nebula::runtime::CallOutcome {
        let (host, suite) = (&self.host, &self.suite);
        let r = self.loaded.entry((f.to_string(), rt)).or_insert_with(|| {
            let path = suite.build_for(f, rt.build()).unwrap();
            runtime::prepare(rt, host, f, &path).unwrap()
        });
        r.call(&CallInput {
            stdin: input.as_bytes().to_vec(),
            ..CallInput::default()
        })
    }

    /// The output of `f(input)`, after checking that wasm, wasm-simd128 and native agree (and
    /// wasm-cold too when `cold`), and that the kernel markers were seen where the function has
    /// them.
    fn output(&mut self, f: &str, input: &str, cold: bool) -> String {
        let markers = self.suite.get(f).unwrap().markers;
        let native = self.call(f, RuntimeKind::Native, input);
        let wasm = self.call(f, RuntimeKind::Wasm, input);
        let simd = self.call(f, RuntimeKind::WasmSimd128, input);
        for o in [&native, &wasm, &simd] {
            assert!(
                o.ok(),
                "{f}({input}) on {}: {:?} {}",
                o.runtime,
                o.error,
                String::from_utf8_lossy(&o.stderr_tail)
            );
            assert_eq!(
                o.kernel.is_some(),
                markers,
                "{f}({input}) markers on {}",
                o.runtime
            );
        }
        assert_eq!(
            String::from_utf8_lossy(&wasm.stdout),
            String::from_utf8_lossy(&native.stdout),
            "{f}({input}): wasm and native disagree"
        );
        assert_eq!(
            String::from_utf8_lossy(&simd.stdout),
            String::from_utf8_lossy(&wasm.stdout),
            "{f}({input}): wasm-simd128 and wasm disagree"
        );
        assert_eq!(simd.runtime, RuntimeKind::WasmSimd128);
        if cold {
            let c = self.call(f, RuntimeKind::WasmCold, input);
            assert_eq!(c.stdout, wasm.stdout, "{f}({input}): wasm-cold differs");
            assert!(c.phases.compile.is_some());
        }
        String::from_utf8(native.stdout).unwrap()
    }
}

fn fib_seq(n: usize) -> Vec<u128> {
    let mut v: Vec<u128> = Vec::new();
    for i in 0..n {
        v.push(if i < 2 { i as u128 } else { v[i - 1] + v[i - 2] });
    }
    v
}

fn field(out: &str, key: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} ")))
        .unwrap_or_else(|| panic!("no '{key}' in {out:?}"))
        .to_string()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn fibonacci_noop_and_recursion() {
    let mut h = Harness::new();
    assert_eq!(h.output("noop", "0", true), "");
    for n in [1usize, 10, 93, 186] {
        let want: Vec<String> = fib_seq(n).iter().map(|x| x.to_string()).collect();
        assert_eq!(
            h.output("fibonacci", &n.to_string(), n == 10).trim_end(),
            want.join(" ")
        );
    }
    for n in [0usize, 1, 20, 30] {
        let want = if n == 0 {
            0
        } else {
            *fib_seq(n + 1).last().unwrap()
        };
        assert_eq!(
            h.output("fibonacci-recursive", &n.to_string(), n == 20).trim(),
            want.to_string()
        );
    }
}

#[test]
fn factorial_and_primes() {
    let mut h = Harness::new();
    assert_eq!(h.output("factorial", "0", false).trim(), "1");
    assert_eq!(
        h.output("factorial", "25", true).trim(),
        "15511210043330985984000000"
    );
    let f1000 = h.output("factorial", "1000", false);
    assert_eq!(f1000.trim().len(), 2568, "1000! has 2568 digits");
    assert!(
        f1000.trim().ends_with(&"0".repeat(249)) && !f1000.trim().ends_with(&"0".repeat(250)),
        "249 trailing zeros"
    );
    // The n-th prime by trial division, independently.
    let nth = |n: usize| {
        (2u64..)
            .filter(|&k| (2..).take_while(|d| d * d <= k).all(|d| k % d != 0))
            .nth(n - 1)
            .unwrap()
    };
    for n in [1usize, 2, 10, 1000, 10000] {
        assert_eq!(
            h.output("prime", &n.to_string(), n == 10).trim(),
            nth(n).to_string(),
            "prime({n})"
        );
    }
}

#[test]
fn floating_point_functions() {
    let mut h = Harness::new();
    for n in [1u64, 2, 1000] {
        let want: f64 = (0..n)
            .map(|i| {
                if n == 1 {
                    0.0f64.exp()
                } else {
                    (-10.0 + 20.0 * i as f64 / (n - 1) as f64).exp()
                }
            })
            .sum();
        let got: f64 = h
            .output("exponential", &n.to_string(), n == 2)
            .trim()
            .parse()
            .unwrap();
        assert!(
            close(got, want, 1e-10),
            "exponential({n}) = {got}, exp() says {want}"
        );
    }
    for n in [1000u64, 100_000] {
        let mut g = SplitMix64(SplitMix64::SEED);
        let hits = (0..n)
            .filter(|_| {
                let (x, y) = (g.next_f64(), g.next_f64());
                x * x + y * y <= 1.0
            })
            .count();
        let out = h.output("monte-carlo-pi", &n.to_string(), n == 1000);
        assert_eq!(field(&out, "hits"), hits.to_string());
        assert!((field(&out, "pi").parse::<f64>().unwrap() - std::f64::consts::PI).abs() < 0.05);
    }
    for n in [1usize, 7, 64] {
        let mut g = SplitMix64(SplitMix64::SEED);
        let a: Vec<f64> = (0..n * n).map(|_| g.next_f64()).collect();
        let b: Vec<f64> = (0..n * n).map(|_| g.next_f64()).collect();
        // Straight from the definition, in j-i-k order.
        let mut c = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..n {
                c[i * n + j] = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
            }
        }
        let out = h.output("matrix-multiply", &n.to_string(), n == 7);
        let trace: f64 = (0..n).map(|i| c[i * n + i]).sum();
        assert!(
            close(field(&out, "trace").parse().unwrap(), trace, 1e-9),
            "trace of {n}x{n}"
        );
        assert!(
            close(field(&out, "sum").parse().unwrap(), c.iter().sum(), 1e-9),
            "sum of {n}x{n}"
        );
    }
}

#[test]
fn data_functions() {
    use sha2::{Digest, Sha256};
    let mut h = Harness::new();
    for n in [1usize, 2, 1001, 100_000] {
        let mut g = SplitMix64(SplitMix64::SEED);
        let mut v: Vec<u64> = (0..n).map(|_| g.next_u64()).collect();
        v.sort(); // stable sort, not the function's sort_unstable
        let xor = v
            .iter()
            .enumerate()
            .fold(0u64, |x, (i, &e)| x ^ e.wrapping_mul(i as u64 + 1));
        let out = h.output("sort", &n.to_string(), n == 1001);
        assert_eq!(
            (field(&out, "min"), field(&out, "max")),
            (v[0].to_string(), v[n - 1].to_string())
        );
        assert_eq!(
            (field(&out, "median"), field(&out, "xor")),
            (v[n / 2].to_string(), xor.to_string())
        );
    }
    for kib in [0usize, 1, 64] {
        let mut g = SplitMix64(SplitMix64::SEED);
        let data: Vec<u8> = (0..kib * 128).flat_map(|_| g.next_u64().to_le_bytes()).collect();
        assert_eq!(
            h.output("sha256", &kib.to_string(), kib == 1).trim(),
            hex::encode(Sha256::digest(&data))
        );
    }
    for n in [0u64, 3, 1000] {
        let records: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                serde_json::json!({"id": i, "name": format!("item-{i}"), "value": i as f64 * 1.5,
                "tags": [format!("t{}", i % 7), format!("t{}", i % 11)], "active": i % 2 == 0})
            })
            .collect();
        let out = h.output("json", &n.to_string(), n == 3);
        assert_eq!(field(&out, "sum"), (0..n).sum::<u64>().to_string());
        assert_eq!(
            field(&out, "bytes"),
            serde_json::to_string(&records).unwrap().len().to_string()
        );
    }
    for mib in [0usize, 1, 8] {
        let sum: u64 = (0..mib * 256).map(|p| (p % 251) as u64).sum();
        assert_eq!(
            h.output("memory", &mib.to_string(), mib == 1),
            format!("mib {mib}\nsum {sum}\n")
        );
    }
}

#[test]
fn image_blur_matches_the_image_crate() {
    let mut h = Harness::new();
    for n in [1u32, 16, 64] {
        let img = image::RgbImage::from_fn(n, n, |x, y| {
            image::Rgb([(x * 255 / n) as u8, (y * 255 / n) as u8, ((x ^ y) & 255) as u8])
        });
        let blurred = image::imageops::blur(&img, 2.0);
        let fnv = blurred.as_raw().iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        });
        let out = h.output("image", &n.to_string(), n == 16);
        assert_eq!(field(&out, "size"), format!("{n}x{n}"));
        assert_eq!(field(&out, "fnv"), format!("{fnv:016x}"));
    }
}

#[test]
fn bad_input_is_an_exit_error_with_the_message_on_both_runtimes() {
    let mut h = Harness::new();
    for rt in [RuntimeKind::Wasm, RuntimeKind::Native] {
        let o = h.call("fibonacci", rt, "abc");
        assert_eq!(o.error, Some(nebula::runtime::CallError::Exit(2)), "{rt}");
        assert!(
            String::from_utf8_lossy(&o.stderr_tail).contains("1..=186"),
            "{rt}: {:?}",
            String::from_utf8_lossy(&o.stderr_tail)
        );
    }
}
