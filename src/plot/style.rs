//! The look every chart shares: one colour per runtime (Okabe–Ito, colour-blind safe, for the
//! built-in runtimes; one of [`OTHER_COLORS`] for a runtime of one's own, picked by a stable hash
//! of its name, so that it is the same in every chart and run), neutral greys for everything else, the figure sizes, the font sizes and the embedded font (DejaVu Sans,
//! `assets/fonts/`), so charts render the same on a machine without system fonts.

use anyhow::{anyhow, Result};
use plotters::style::{register_font, FontStyle, RGBColor};
use std::sync::OnceLock;

/// Warm Wasm (`wasm`): Okabe–Ito blue.
pub const WASM_COLOR: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Cold Wasm (`wasm-cold`): Okabe–Ito orange.
pub const WASM_COLD_COLOR: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Warm Wasm of the simd128 build (`wasm-simd128`): Okabe–Ito sky blue, a lighter `wasm`.
pub const WASM_SIMD128_COLOR: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Native (`native`): Okabe–Ito bluish green.
pub const NATIVE_COLOR: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Winch (`wasm-winch`): Okabe–Ito vermillion.
pub const WASM_WINCH_COLOR: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Pulley (`wasm-pulley`): Okabe–Ito reddish purple.
pub const WASM_PULLEY_COLOR: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Cranelift at opt level `none` (`wasm-opt-none`): Okabe–Ito yellow, darkened to read on white.
pub const WASM_OPT_NONE_COLOR: RGBColor = RGBColor(0xB8, 0xAB, 0x00);
/// Cranelift at `speed-and-size` (`wasm-opt-size`): Okabe–Ito black.
pub const WASM_OPT_SIZE_COLOR: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// The palette has no more hues: an engine's cold runtime (`wasm-winch-cold`, ...) is its warm
/// colour mixed halfway to white.
pub const fn lighter(c: RGBColor) -> RGBColor {
    RGBColor(
        c.0 + (255 - c.0) / 2,
        c.1 + (255 - c.1) / 2,
        c.2 + (255 - c.2) / 2,
    )
}
/// Colours for runtimes other than the built-in ones (`node`, `wasmi`, `my-rt`, ...), none of
/// them a built-in runtime's colour or a grey, each at least ΔE 20 (CIELAB) from every other
/// colour of the charts: indigo, magenta, green, brown, dark teal, red, maroon, navy, violet,
/// olive. A runtime gets one by the FNV-1a hash of its name ([`runtime_color`]); with ten, two
/// runtimes of one's own share a colour one time in ten, and the legends name each.
pub const OTHER_COLORS: [RGBColor; 10] = [
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0xE7, 0x29, 0x8A),
    RGBColor(0x7F, 0xBF, 0x3F),
    RGBColor(0x8C, 0x51, 0x0A),
    RGBColor(0x01, 0x66, 0x5E),
    RGBColor(0xB2, 0x18, 0x2B),
    RGBColor(0x67, 0x00, 0x1F),
    RGBColor(0x08, 0x30, 0x6B),
    RGBColor(0x76, 0x2A, 0x83),
    RGBColor(0x99, 0x99, 0x33),
];
/// Neutral greys, dark to light, for series that are not a runtime.
pub const GREYS: [RGBColor; 4] = [
    RGBColor(0x40, 0x40, 0x40),
    RGBColor(0x80, 0x80, 0x80),
    RGBColor(0xB0, 0xB0, 0xB0),
    RGBColor(0xD8, 0xD8, 0xD8),
];
/// Text and axes.
pub const INK: RGBColor = RGBColor(0x20, 0x20, 0x20);
/// The energy note when the energy is an estimate.
pub const WARN: RGBColor = RGBColor(0xA0, 0x20, 0x20);

/// Single-panel charts: 1200×800 px (PNG), the same logical size in SVG.
pub const WIDTH: u32 = 1200;
/// Height of a single-panel chart in px, and the least height of a multi-panel one.
pub const HEIGHT: u32 = 800;
/// Multi-panel charts are `WIDTH` wide with `COLUMNS` panels per row, `PANEL_HEIGHT` px per row
/// plus `HEADER` and `FOOTER`.
pub const COLUMNS: usize = 3;
/// Height of a row of panels in px.
pub const PANEL_HEIGHT: u32 = 420;
/// Height in px above the panels, for the title and the legend.
pub const HEADER: u32 = 110;
/// Height in px below the panels, for the run id and the energy note.
pub const FOOTER: u32 = 44;

/// Font family registered with plotters (the embedded DejaVu Sans).
pub const FONT: &str = "sans-serif";
/// Font sizes in px: large enough to read when 1200 px are scaled to a ~8.5 cm column.
pub const TITLE_PX: f64 = 38.0;
/// Panel titles.
pub const PANEL_TITLE_PX: f64 = 28.0;
/// Axis descriptions and the legend (set smaller when they do not fit).
pub const LABEL_PX: f64 = 26.0;
/// Tick labels and line-style keys.
pub const TICK_PX: f64 = 22.0;
/// The footer: run id and energy note.
pub const NOTE_PX: f64 = 22.0;

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font once; plotters' `ab_glyph` backend finds no font without it.
pub fn register_fonts() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(anyhow!(
            "the embedded font assets/fonts/DejaVuSans.ttf is not a valid font"
        ))
    }
}

/// The colour of a runtime's series, the same in every chart and run: a built-in runtime's own,
/// any other one of [`OTHER_COLORS`] chosen by the FNV-1a hash of its name (a fixed hash, not
/// the standard library's, whose keys are random per process).
pub fn runtime_color(runtime: &str) -> RGBColor {
    match runtime {
        "wasm" => WASM_COLOR,
        "wasm-cold" => WASM_COLD_COLOR,
        "wasm-simd128" => WASM_SIMD128_COLOR,
        "native" => NATIVE_COLOR,
        "wasm-opt-none" => WASM_OPT_NONE_COLOR,
        "wasm-opt-size" => WASM_OPT_SIZE_COLOR,
        "wasm-winch" => WASM_WINCH_COLOR,
        "wasm-pulley" => WASM_PULLEY_COLOR,
        "wasm-opt-none-cold" => lighter(WASM_OPT_NONE_COLOR),
        "wasm-opt-size-cold" => lighter(WASM_OPT_SIZE_COLOR),
        "wasm-winch-cold" => lighter(WASM_WINCH_COLOR),
        "wasm-pulley-cold" => lighter(WASM_PULLEY_COLOR),
        other => OTHER_COLORS[(fnv1a(other) % OTHER_COLORS.len() as u64) as usize],
    }
}

/// The 64-bit FNV-1a hash of `s`'s bytes: the same on every machine, build and run.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runtimes in the order charts list them: wasm, wasm-simd128, wasm-cold, native, the other
/// engines (each warm, then cold), then others by name.
pub fn runtime_rank(runtime: &str) -> (u8, String) {
    let rank = match runtime {
        "wasm" => 0,
        "wasm-simd128" => 1,
        "wasm-cold" => 2,
        "native" => 3,
        "wasm-opt-none" => 4,
        "wasm-opt-none-cold" => 5,
        "wasm-opt-size" => 6,
        "wasm-opt-size-cold" => 7,
        "wasm-winch" => 8,
        "wasm-winch-cold" => 9,
        "wasm-pulley" => 10,
        "wasm-pulley-cold" => 11,
        _ => 12,
    };
    (rank, runtime.to_string())
}

/// Runtime pairs `(runtime, reference)` in the order charts and tables list them: those against
/// `reference` (the run's) first, by the runtime's rank; then the others (the Wasm variants
/// against their base) in the order given.
pub fn order_pairs(mut pairs: Vec<(String, String)>, reference: &str) -> Vec<(String, String)> {
    pairs.sort_by_cached_key(|(rt, r)| {
        if r == reference {
            (false, runtime_rank(rt))
        } else {
            (true, (0, String::new()))
        }
    });
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::RuntimeKind;

    #[test]
    fn every_runtime_has_a_colour_and_a_rank_of_its_own() {
        let colours: std::collections::BTreeSet<(u8, u8, u8)> = RuntimeKind::ALL
            .iter()
            .map(|k| runtime_color(k.as_str()))
            .map(|c| (c.0, c.1, c.2))
            .collect();
        assert_eq!(colours.len(), RuntimeKind::ALL.len());
        assert!(!colours.contains(&(GREYS[1].0, GREYS[1].1, GREYS[1].2)));
        let ranks: std::collections::BTreeSet<u8> = RuntimeKind::ALL
            .iter()
            .map(|k| runtime_rank(k.as_str()).0)
            .collect();
        assert_eq!(ranks.len(), RuntimeKind::ALL.len());
        assert_eq!(runtime_rank("my-runtime").0, 12);
        assert_eq!(lighter(WASM_WINCH_COLOR), RGBColor(0xEA, 0xAE, 0x7F));
        // The other runtimes' colours are none of these, and no grey.
        for c in OTHER_COLORS {
            assert!(!colours.contains(&(c.0, c.1, c.2)), "{c:?}");
            assert!(!GREYS.contains(&c), "{c:?}");
        }
    }

    #[test]
    fn a_runtime_of_ones_own_has_a_fixed_colour_of_its_name() {
        let rgb = |c: RGBColor| (c.0, c.1, c.2);
        let (node, mine) = (runtime_color("node"), runtime_color("my-rt"));
        assert_ne!(rgb(node), rgb(mine));
        for c in [node, mine] {
            assert!(OTHER_COLORS.contains(&c) && !GREYS.contains(&c), "{c:?}");
        }
        // The same name, the same colour, on every call (and in every process: FNV-1a of the
        // name, checked against the published test vectors).
        assert_eq!(rgb(runtime_color("node")), rgb(node));
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(rgb(node), rgb(OTHER_COLORS[(fnv1a("node") % 10) as usize]));
        assert_eq!(rgb(node), (0x08, 0x30, 0x6B));
        assert_eq!(rgb(mine), (0x7F, 0xBF, 0x3F));
    }

    #[test]
    fn pairs_against_the_reference_come_first_in_rank_order() {
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            order_pairs(
                vec![
                    p("wasm-cold", "wasm"),
                    p("node", "native"),
                    p("wasm", "native"),
                    p("my-rt", "native")
                ],
                "native"
            ),
            vec![
                p("wasm", "native"),
                p("my-rt", "native"),
                p("node", "native"),
                p("wasm-cold", "wasm")
            ]
        );
    }
}
