//! Helpers for the server tests: an in-process server on 127.0.0.1:0 with a temporary cache and
//! CSV, requests, the CSV's rows and a Prometheus text parser.
#![allow(dead_code)]

use nebula::client::{self, Reply};
use nebula::results::call::CallRow;
use nebula::runtime::Limits;
use nebula::server::{spawn_local_server, LocalServer, Meter, ServerConfig};
use nebula::units::Joules;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use hyper::Method;

/// A server and the folder holding its cache and CSV.
pub struct TestServer {
    pub server: Option<LocalServer>,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub fn csv_path(&self) -> PathBuf {
        self.dir.path().join("calls.csv")
    }

    /// Stop gracefully (finish calls in flight, flush the CSV).
    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().expect("graceful stop");
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<bytes::Bytes>,
    ) -> Reply {
        client::send(&self.url, method, path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e:#}"))
    }

    pub async fn invoke(&self, name: &str, query: &str, input: &str) -> Reply {
        let path = format!("/functions/{name}/invoke{query}");
        self.send(Method::POST, &path, &[], input.to_string()).await
    }

    pub async fn put(&self, name: &str, module: Vec<u8>, token: Option<&str>) -> Reply {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
        self.send(Method::PUT, &format!("/functions/{name}"), &headers, module)
            .await
    }

    pub async fn metrics(&self) -> Vec<Sample> {
        let r = self.send(Method::GET, "/metrics", &[], "").await;
        assert_eq!(r.status, 200);
        assert!(r
            .header("content-type")
            .unwrap_or("")
            .starts_with("text/plain; version=0.0.4"));
        parse_prometheus(&r.text())
    }
}

/// A configuration with a temporary cache and CSV, the model meter and no suite.
pub fn config(dir: &Path) -> ServerConfig {
    let mut c = ServerConfig::new(2);
    c.limits = Limits {
        timeout: Duration::from_secs(2),
        memory_bytes: 64 << 20,
        output_bytes: 1 << 20,
    };
    c.cache_dir = dir.join("cache");
    c.csv_path = Some(dir.join("calls.csv"));
    c.meter = Meter::model(
        |wall, cpu| Joules(2.0 * wall.as_secs_f64() + 3.0 * cpu.as_secs_f64()),
        "test model",
    );
    c
}

pub fn start(edit: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut c = config(dir.path());
    edit(&mut c);
    let server = spawn_local_server(c).expect("server starts");
    TestServer {
        url: server.url(),
        server: Some(server),
        dir,
    }
}

/// The rows of a calls CSV.
pub fn rows(path: &Path) -> Vec<CallRow> {
    let mut r = csv::Reader::from_path(path).expect("CSV exists");
    r.deserialize().map(|row| row.expect("valid CSV row")).collect()
}

/// One sample of the Prometheus text format.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parse the text exposition line by line (`name{labels} value`), failing on anything else.
pub fn parse_prometheus(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (head, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
        };
        let (name, labels) = match head.split_once('{') {
            None => (head.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels: {line}"));
                let mut labels = BTreeMap::new();
                for pair in body.split("\",").filter(|p| !p.is_empty()) {
                    let (k, v) = pair
                        .split_once("=\"")
                        .unwrap_or_else(|| panic!("bad label: {line}"));
                    labels.insert(k.to_string(), v.trim_end_matches('"').to_string());
                }
                (name.to_string(), labels)
            }
        };
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad metric name: {line}"
        );
        out.push(Sample { name, labels, value });
    }
    out
}

/// The value of the sample with this name and these labels (0 when absent).
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}
