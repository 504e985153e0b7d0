//! What a wasm module was compiled for, read from the module itself: the target features its
//! `target_features` custom section lists (LLVM writes it: `simd128` when the code may use
//! SIMD) and how many SIMD (`v128`) instructions its code holds, decoded with wasmparser.

use anyhow::{Context, Result};
use wasmparser::{BinaryReader, Parser, Payload, VisitOperator, VisitSimdOperator};

/// What a module's bytes say about its target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleTarget {
    /// The features of the `target_features` section marked used (`+`) or required (`=`),
    /// sorted; `None` when the module has no such section (a toolchain that writes none, or a
    /// stripped module).
    pub features: Option<Vec<String>>,
    /// SIMD instructions in the code section (the `simd` and `relaxed-simd` proposals).
    pub simd_instructions: u64,
}

impl ModuleTarget {
    /// Whether the module is built with `simd128`: its section lists it, or, without a
    /// section, its code holds SIMD instructions.
    pub fn simd128(&self) -> bool {
        match &self.features {
            Some(f) => f.iter().any(|f| f == "simd128"),
            None => self.simd_instructions > 0,
        }
    }
}

/// Reads `bytes` (a wasm module) for its target features and SIMD instructions.
pub fn scan(bytes: &[u8]) -> Result<ModuleTarget> {
    let mut out = ModuleTarget::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.context("not a valid WebAssembly module")? {
            Payload::CustomSection(c) if c.name() == "target_features" => {
                out.features = Some(
                    target_features(c.data(), c.data_offset())
                        .context("the module's target_features section is malformed")?,
                );
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader()?;
                let mut count = SimdCount(0);
                while !ops.eof() {
                    ops.visit_operator(&mut count)?;
                }
                out.simd_instructions += count.0;
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The `target_features` section: a count, then (prefix, name) pairs; `+` used, `=` required,
/// `-` disallowed (left out).
fn target_features(data: &[u8], offset: usize) -> Result<Vec<String>> {
    let mut r = BinaryReader::new(data, offset);
    let n = r.read_var_u32()?;
    let mut out = Vec::new();
    for _ in 0..n {
        let prefix = r.read_u8()?;
        let name = r.read_string()?;
        if prefix == b'+' || prefix == b'=' {
            out.push(name.to_string());
        }
    }
    out.sort();
    Ok(out)
}

/// Counts SIMD instructions and ignores every other one.
struct SimdCount(u64);

macro_rules! ignore_operator {
    ($(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(,$arg: $argty)*)?) {}
        )*
    }
}

macro_rules! count_operator {
    ($(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(,$arg: $argty)*)?) {
                self.0 += 1;
            }
        )*
    }
}

#[allow(unused_variables)]
impl<'a> VisitOperator<'a> for SimdCount {
    type Output = ();

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = ()>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(ignore_operator);
}

#[allow(unused_variables)]
impl<'a> VisitSimdOperator<'a> for SimdCount {
    wasmparser::for_each_visit_simd_operator!(count_operator);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A custom section `name` holding `data`.
    fn custom(name: &str, data: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(data);
        let mut s = vec![0u8, body.len() as u8];
        s.extend(body);
        s
    }

    #[test]
    fn simd_instructions_are_counted_and_scalar_ones_are_not() {
        let simd = wat::parse_str(
            r#"(module
                 (func (export "f") (param i32) (result i32)
                   (i32x4.extract_lane 0
                     (i32x4.add (i32x4.splat (local.get 0)) (v128.const i32x4 1 2 3 4))))
                 (func (result i32) (i32.add (i32.const 1) (i32.const 2))))"#,
        )
        .unwrap();
        let t = scan(&simd).unwrap();
        // splat, const, add, extract_lane.
        assert_eq!(t.simd_instructions, 4);
        assert_eq!(t.features, None);
        assert!(t.simd128());
        let scalar = wat::parse_str(
            r#"(module (func (export "f") (param i32) (result i32)
                 (i32.mul (local.get 0) (i32.const 3))))"#,
        )
        .unwrap();
        let t = scan(&scalar).unwrap();
        assert_eq!(t.simd_instructions, 0);
        assert!(!t.simd128());
    }

    #[test]
    fn the_target_features_section_says_what_the_module_was_built_for() {
        let base = wat::parse_str("(module (func (export \"f\")))").unwrap();
        // 3 entries: +simd128, +sign-ext, -atomics (disallowed: left out).
        let section = custom(
            "target_features",
            b"\x03\x2b\x07simd128\x2b\x08sign-ext\x2d\x07atomics",
        );
        let mut with = base.clone();
        with.extend(&section);
        let t = scan(&with).unwrap();
        assert_eq!(
            t.features,
            Some(vec!["sign-ext".to_string(), "simd128".to_string()])
        );
        // Built with simd128 though no instruction uses it (nothing vectorised).
        assert_eq!(t.simd_instructions, 0);
        assert!(t.simd128());
        let mut without = base;
        without.extend(custom("target_features", b"\x01\x2b\x08sign-ext"));
        let t = scan(&without).unwrap();
        assert_eq!(t.features, Some(vec!["sign-ext".to_string()]));
        assert!(!t.simd128());
    }

    #[test]
    fn a_malformed_module_or_section_is_an_error() {
        let err = format!("{:#}", scan(b"\0asm\x02\0\0\0").unwrap_err());
        assert!(err.contains("not a valid WebAssembly module"), "{err}");
        let mut bad = wat::parse_str("(module)").unwrap();
        bad.extend(custom("target_features", b"\x05\x2b"));
        let err = format!("{:#}", scan(&bad).unwrap_err());
        assert!(err.contains("target_features section is malformed"), "{err}");
    }
}
