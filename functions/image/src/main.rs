//! `image`: Gaussian blur (sigma 2.0) of an n x n RGB8 image with the `image` crate
//! (`image::imageops::blur`, default features off). Pixel (x, y) is
//! (x 255 / n, y 255 / n, (x XOR y) & 255). Generating the image is not measured; the blur is
//! the kernel. Prints `size WxH` and `fnv F`, the 64-bit FNV-1a hash of the blurred raw bytes
//! (16 hex digits). `n` in 1..=2048.

use image::{ImageBuffer, Rgb, RgbImage};
use nebula_guest::{kernel, parse_u64, run};

const SIGMA: f32 = 2.0;

fn source(n: u32) -> RgbImage {
    ImageBuffer::from_fn(n, n, |x, y| {
        Rgb([
            (x * 255 / n) as u8,
            (y * 255 / n) as u8,
            ((x ^ y) & 255) as u8,
        ])
    })
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn image_blur(input: &str) -> Result<String, String> {
    let n = parse_u64(input, "n", 1, 2048)? as u32;
    let img = source(n);
    let blurred = kernel(|| image::imageops::blur(&img, SIGMA));
    Ok(format!(
        "size {}x{}\nfnv {:016x}\n",
        blurred.width(),
        blurred.height(),
        fnv1a(blurred.as_raw())
    ))
}

fn main() {
    run(image_blur);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn source_pixels() {
        let img = source(4);
        assert_eq!(img.get_pixel(0, 0), &Rgb([0, 0, 0]));
        assert_eq!(img.get_pixel(3, 1), &Rgb([191, 63, 2]));
    }

    #[test]
    fn blur_of_flat_image_is_flat() {
        // Independent property: a constant image stays constant under a normalized blur.
        let flat: RgbImage = ImageBuffer::from_pixel(32, 32, Rgb([10, 200, 77]));
        let b = image::imageops::blur(&flat, SIGMA);
        assert_eq!((b.width(), b.height()), (32, 32));
        for p in b.pixels() {
            for (c, want) in p.0.iter().zip([10u8, 200, 77]) {
                assert!(c.abs_diff(want) <= 1, "{p:?}");
            }
        }
    }

    #[test]
    fn blur_smooths_and_keeps_mean() {
        let img = source(64);
        let b = image::imageops::blur(&img, SIGMA);
        let mean = |raw: &[u8]| raw.iter().map(|&v| v as f64).sum::<f64>() / raw.len() as f64;
        // The red and green ramps keep their mean within a few levels (edges are clamped).
        assert!((mean(img.as_raw()) - mean(b.as_raw())).abs() < 4.0);
        assert_eq!(
            image_blur("64"),
            Ok(format!("size 64x64\nfnv {:016x}\n", fnv1a(b.as_raw())))
        );
    }

    #[test]
    fn bad_input() {
        assert!(image_blur("0").is_err());
        assert!(image_blur("2049").is_err());
    }
}
