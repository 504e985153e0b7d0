//! Modules for runtimes that do not provide Nebula's kernel markers: a copy of a module whose
//! `bench.start` / `bench.end` imports are replaced by no-op functions of its own
//! ([`without_markers`], for `markers = "strip"`), and a tiny module that exports no-op `start`
//! and `end` ([`MARKERS_MODULE`], the `{markers}` of a template, for a runtime that can preload
//! one under the name `bench`). Both are written once into the module cache's folder.

use super::cache::ModuleCache;
use anyhow::{bail, Context, Result};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use wasm_encoder::reencode::{utils, Error, Reencode};

/// The import module of the markers.
const BENCH: &str = "bench";

/// `(module (func (export "start")) (func (export "end")))`, encoded (checked against `wat`
/// in the tests).
pub const MARKERS_MODULE: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: [] -> []
    0x03, 0x03, 0x02, 0x00, 0x00, // functions: two of type 0
    0x07, 0x0f, 0x02, 0x05, b's', b't', b'a', b'r', b't', 0x00, 0x00, 0x03, b'e', b'n', b'd', 0x00,
    0x01, // exports: start, end
    0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, // code: two empty bodies
];

/// The folder the two kinds of file are written to: `commands/` in the module cache's.
fn dir() -> PathBuf {
    ModuleCache::default_dir().join("commands")
}

/// Write `bytes` to `path` unless it is there (temporary file, then rename).
fn write_once(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|b| b == bytes) {
        return Ok(());
    }
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}: check its permissions", parent.display()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// The path of [`MARKERS_MODULE`] on disk, written there if needed.
pub fn markers_module() -> Result<PathBuf> {
    write_module("markers.wasm", MARKERS_MODULE)
}

/// The module `bytes` on disk as `name` in the folder of these files, written there if needed.
pub fn write_module(name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let path = dir().join(name);
    write_once(&path, bytes)?;
    Ok(path)
}

/// The module at `path` without its marker imports, on disk (named by the original's SHA-256);
/// `path` itself when it imports no markers.
pub fn stripped_copy(path: &Path) -> Result<PathBuf> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the module {}: check the path", path.display()))?;
    let Some(stripped) = without_markers(&bytes).with_context(|| format!("the module {}", path.display()))?
    else {
        return Ok(path.to_path_buf());
    };
    let out = dir().join(format!("{}-no-markers.wasm", crate::digest::sha256_hex(&bytes)));
    write_once(&out, &stripped)?;
    Ok(out)
}

/// `bytes` with every function import of module `bench` replaced by a function of the module
/// with an empty body; `None` when it imports none. The result is validated.
pub fn without_markers(bytes: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut strip = Strip::default();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.context("not a valid WebAssembly module")? {
            wasmparser::Payload::ImportSection(section) => {
                for import in section.into_imports() {
                    let import = import.context("not a valid WebAssembly module")?;
                    if let wasmparser::TypeRef::Func(ty) = import.ty {
                        if import.module == BENCH {
                            strip.removed.push((strip.imported, ty));
                        }
                        strip.imported += 1;
                    }
                }
            }
            wasmparser::Payload::FunctionSection(section) => strip.defined = section.count(),
            _ => {}
        }
    }
    if strip.removed.is_empty() {
        return Ok(None);
    }
    let mut module = wasm_encoder::Module::new();
    strip
        .parse_core_module(&mut module, wasmparser::Parser::new(0), bytes)
        .map_err(|e| anyhow::anyhow!("cannot rewrite it without its marker imports: {e}"))?;
    let out = module.finish();
    let mut features = wasmparser::WasmFeatures::default();
    features.insert(wasmparser::WasmFeatures::SIMD);
    if let Err(e) = wasmparser::Validator::new_with_features(features).validate_all(&out) {
        bail!(
            "its marker imports cannot be replaced by no-op functions (do they take or return values?): {e}"
        );
    }
    Ok(Some(out))
}

/// The rewrite: the marker imports go, and as many functions (of the imports' types, with
/// empty bodies) are added after the module's own; function indices move to match.
#[derive(Default)]
struct Strip {
    /// (function index, type index) of each removed import, in index order.
    removed: Vec<(u32, u32)>,
    /// Function imports in the original.
    imported: u32,
    /// Functions the original defines.
    defined: u32,
}

impl Reencode for Strip {
    type Error = Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, Error<Infallible>> {
        let gone = self.removed.len() as u32;
        Ok(match self.removed.iter().position(|(f, _)| *f == func) {
            Some(k) => self.imported - gone + self.defined + k as u32,
            None => func - self.removed.iter().filter(|(f, _)| *f < func).count() as u32,
        })
    }

    fn parse_imports(
        &mut self,
        section: &mut wasm_encoder::ImportSection,
        imports: wasmparser::Imports<'_>,
    ) -> Result<(), Error<Infallible>> {
        match imports {
            wasmparser::Imports::Single(_, i)
                if i.module == BENCH && matches!(i.ty, wasmparser::TypeRef::Func(_)) =>
            {
                Ok(())
            }
            wasmparser::Imports::Single(..) => utils::parse_imports(self, section, imports),
            other => {
                // Compact encodings: keep each import that is not a marker.
                for i in other.into_iter() {
                    let (_, i) = i?;
                    if i.module != BENCH || !matches!(i.ty, wasmparser::TypeRef::Func(_)) {
                        utils::parse_imports(self, section, wasmparser::Imports::Single(0, i))?;
                    }
                }
                Ok(())
            }
        }
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        utils::parse_function_section(self, functions, section)?;
        for (_, ty) in &self.removed {
            functions.function(*ty);
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        utils::parse_code_section(self, code, section)?;
        for _ in &self.removed {
            let mut f = wasm_encoder::Function::new([]);
            f.instructions().end();
            code.function(&f);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markers_module_is_the_text_it_says() {
        let text = r#"(module (func (export "start")) (func (export "end")))"#;
        assert_eq!(MARKERS_MODULE, wat::parse_str(text).unwrap().as_slice());
    }

    #[test]
    fn markers_become_functions_of_the_module_and_calls_follow_them() {
        let text = r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (import "bench" "start" (func $start))
            (import "x" "y" (func $y (result i32)))
            (import "bench" "end" (func $end))
            (func $main (export "_start") call $start call $y drop call $end call $f)
            (func $f)
            (elem declare func $end)
            (start $f))"#;
        let bytes = wat::parse_str(text).unwrap();
        let out = without_markers(&bytes).unwrap().expect("stripped");
        let expected = wat::parse_str(
            r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (import "x" "y" (func $y (result i32)))
            (func $main (export "_start") call $start call $y drop call $end call $f)
            (func $f)
            (func $start)
            (func $end)
            (elem declare func $end)
            (start $f))"#,
        )
        .unwrap();
        let print = |b: &[u8]| {
            let mut p = String::new();
            for payload in wasmparser::Parser::new(0).parse_all(b) {
                match payload.unwrap() {
                    wasmparser::Payload::CodeSectionEntry(body) => {
                        let ops: Vec<String> = body
                            .get_operators_reader()
                            .unwrap()
                            .into_iter()
                            .map(|o| format!("{:?}", o.unwrap()))
                            .collect();
                        p.push_str(&ops.join(" "));
                        p.push('\n');
                    }
                    wasmparser::Payload::ExportSection(s) => {
                        for e in s {
                            let e = e.unwrap();
                            p.push_str(&format!("export {} {}\n", e.name, e.index));
                        }
                    }
                    wasmparser::Payload::StartSection { func, .. } => p.push_str(&format!("start {func}\n")),
                    _ => {}
                }
            }
            p
        };
        assert_eq!(print(&out), print(&expected));
        assert!(print(&out).contains("Call { function_index: 4 } Call { function_index: 1 }"));
        assert_eq!(without_markers(&expected).unwrap(), None, "nothing to strip");
    }
}
