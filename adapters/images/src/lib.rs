//! `ImageProcessor` on the `image` crate (JPEG via zune-jpeg, PNG, WebP), resizing with
//! `fast_image_resize` (Lanczos3) and lossy WebP from libwebp (the `webp` crate; `image`
//! encodes WebP losslessly only).
//!
//! - Limits (`ImageLimits`): width and height each, total pixels, and the decoder's
//!   allocation (`image::Limits::max_alloc`), checked from the header before any pixel
//!   is decoded: a decompression bomb is refused, never allocated.
//! - Orientation: the EXIF orientation (JPEG, WebP) is applied to the pixels.
//! - Metadata: variants are encoded from pixels only, so no EXIF, XMP, GPS or ICC block
//!   survives.
//! - Work runs on tokio's blocking pool, at most `concurrency` images at once; a caller
//!   waits up to `wait` for a slot, then gets `Busy` (503 with `Retry-After`).

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use application::ports::{
    Busy, ImageError, ImageFormat, ImageInfo, ImageProcessingError, ImageProcessor, Processed, Variant,
};
use async_trait::async_trait;
use bytes::Bytes;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// What a photo may be.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    pub max_side: u32,
    pub max_pixels: u64,
    /// Bytes the decoder may allocate at once.
    pub max_alloc: u64,
}

impl Default for ImageLimits {
    /// 10,000 px a side, 50 MP (phones make 12–48 MP), 256 MiB of decoder memory (50 MP
    /// of 8-bit RGBA; 16-bit images that large are refused).
    fn default() -> Self {
        Self { max_side: 10_000, max_pixels: 50_000_000, max_alloc: 256 * 1024 * 1024 }
    }
}

/// The sizes made of every photo ([`domain::photo::VARIANT_SIDES`]), WebP at quality
/// 80; `medium_jpeg` is the JPEG fallback at quality 82.
pub use domain::photo::VARIANT_SIDES as VARIANTS;
use domain::photo::fit;
const WEBP_QUALITY: f32 = 80.0;
const JPEG_QUALITY: u8 = 82;

#[derive(Clone)]
pub struct Images {
    limits: ImageLimits,
    slots: Arc<tokio::sync::Semaphore>,
    wait: Duration,
}

impl Images {
    pub fn new(limits: ImageLimits, concurrency: usize, wait: Duration) -> Self {
        Self { limits, slots: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))), wait }
    }

    /// One image per core.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, ImageProcessingError> + Send + 'static,
    ) -> Result<T, ImageProcessingError> {
        let busy = Busy { what: "image processing", retry_after_secs: 5 };
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| busy)?
            .map_err(|e| ImageProcessingError::Unexpected(e.into()))?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _in = span.enter();
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| ImageProcessingError::Unexpected(e.into()))?
    }
}

fn format_of(bytes: &[u8]) -> Result<ImageFormat, ImageError> {
    ImageFormat::sniff(&bytes[..bytes.len().min(512)]).map_err(ImageError::Unsupported)
}

fn codec(f: ImageFormat) -> image::ImageFormat {
    match f {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Webp => image::ImageFormat::WebP,
    }
}

fn decode_error(e: image::ImageError) -> ImageError {
    match e {
        image::ImageError::Limits(l) => ImageError::TooLarge(l.to_string()),
        other => ImageError::Undecodable(other.to_string()),
    }
}

/// Whether a JPEG's main image is complete: after its first scan (SOS, found by walking
/// the marker segments, so an EXIF thumbnail does not count) an end-of-image marker
/// follows. zune-jpeg decodes a truncated file leniently (grey for the missing part);
/// trailers phones append after the end marker are fine.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xDA {
            return bytes[i..].windows(2).any(|w| w == [0xFF, 0xD9]);
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        i += 2 + len;
    }
    false
}

/// Decodes within the limits; applies the orientation when `orient` (otherwise the
/// image is as stored, and the orientation is returned for the caller).
fn decode(
    bytes: &[u8],
    limits: ImageLimits,
    orient: bool,
) -> Result<(ImageFormat, DynamicImage, Orientation), ImageError> {
    let format = format_of(bytes)?;
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(ImageError::Undecodable("the JPEG is truncated (it has no end-of-image marker)".into()));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec(format));
    let mut l = Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(limits.max_alloc);
    reader.limits(l);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(ImageError::Undecodable("the image has no pixels".into()));
    }
    if u64::from(w) * u64::from(h) > limits.max_pixels {
        return Err(ImageError::TooLarge(format!(
            "{w} × {h} pixels is over {} megapixels",
            limits.max_pixels / 1_000_000
        )));
    }
    // `max_alloc` is advisory for some decoders: the pixel buffer alone must fit.
    if decoder.total_bytes() > limits.max_alloc {
        return Err(ImageError::TooLarge(format!(
            "decoding {w} × {h} pixels needs {} MiB, over the {} MiB allowed",
            decoder.total_bytes() / (1024 * 1024),
            limits.max_alloc / (1024 * 1024)
        )));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    if orient {
        img.apply_orientation(orientation);
    }
    Ok((format, img, orientation))
}

fn resize(src: &DynamicImage, w: u32, h: u32) -> Result<DynamicImage, ImageProcessingError> {
    if (w, h) == (src.width(), src.height()) {
        return Ok(src.clone());
    }
    let mut dst = DynamicImage::new(w, h, src.color());
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new().resize(src, &mut dst, &options).map_err(|e| ImageProcessingError::Unexpected(e.into()))?;
    Ok(dst)
}

fn make_variants(img: DynamicImage) -> Result<Processed, ImageProcessingError> {
    // Three 8-bit channels: what JPEG and the WebP encoder take; alpha is dropped. No copy
    // when the decoder gave RGB8 already (JPEG).
    let rgb = DynamicImage::ImageRgb8(img.into_rgb8());
    let (w, h) = (rgb.width(), rgb.height());
    let mut variants = Vec::with_capacity(VARIANTS.len() + 1);
    for &(name, max) in VARIANTS {
        let (vw, vh) = fit(w, h, max);
        let sized = resize(&rgb, vw, vh)?;
        let webp = webp::Encoder::from_rgb(sized.as_bytes(), vw, vh).encode(WEBP_QUALITY);
        variants.push(Variant {
            name,
            content_type: "image/webp",
            bytes: Bytes::copy_from_slice(&webp),
            width: vw,
            height: vh,
        });
        if name == "medium" {
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
                .encode_image(&sized)
                .map_err(|e| ImageProcessingError::Unexpected(e.into()))?;
            variants.push(Variant {
                name: "medium_jpeg",
                content_type: "image/jpeg",
                bytes: jpeg.into(),
                width: vw,
                height: vh,
            });
        }
    }
    Ok(Processed { width: w, height: h, variants })
}

#[async_trait]
impl ImageProcessor for Images {
    async fn inspect(&self, bytes: Bytes) -> Result<ImageInfo, ImageProcessingError> {
        format_of(&bytes)?;
        let limits = self.limits;
        self.blocking(move || {
            // Decoded whole (proves it decodes), not turned: the size is swapped instead.
            let (format, img, orientation) = decode(&bytes, limits, false)?;
            let turned = matches!(
                orientation,
                Orientation::Rotate90
                    | Orientation::Rotate270
                    | Orientation::Rotate90FlipH
                    | Orientation::Rotate270FlipH
            );
            let (w, h) = if turned { (img.height(), img.width()) } else { (img.width(), img.height()) };
            Ok(ImageInfo { format, width: w, height: h })
        })
        .await
    }

    async fn process(&self, bytes: Bytes) -> Result<Processed, ImageProcessingError> {
        format_of(&bytes)?;
        let limits = self.limits;
        self.blocking(move || {
            let (_, img, _) = decode(&bytes, limits, true)?;
            make_variants(img)
        })
        .await
    }
}

/// A demo photo: a 1600 × 1200 JPEG of soft gradients (a sky over a brick-red house
/// front, the tint varying with `seed`). Small to store, cheap to process.
pub fn sample_photo(seed: u32) -> Vec<u8> {
    let tint = u8::try_from(seed % 4 * 30).unwrap_or(0);
    let img = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let fx = u8::try_from(x * 60 / 1600).unwrap_or(0);
        if y < 500 {
            let fy = u8::try_from(y * 80 / 500).unwrap_or(0);
            image::Rgb([120 + fy / 2, 170 + fy / 3, 230 - fx / 3])
        } else if (500..1100).contains(&y) && (300..1300).contains(&x) {
            image::Rgb([150 + fx / 2 + tint / 3, 60 + tint / 2, 50 + fx / 4])
        } else {
            image::Rgb([90 + fx / 3, 120 + tint / 4, 70])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .expect("encoding into memory does not fail");
    out
}
