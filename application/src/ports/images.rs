//! Decoding, checking and resizing photos. The adapter (`sp-images`) does the pixel
//! work off the async executor, a bounded number at a time.

use async_trait::async_trait;
use bytes::Bytes;

/// The photo formats accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
}

impl ImageFormat {
    pub const ACCEPTED: &'static str = "image/jpeg, image/png, image/webp";

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    /// The format the first bytes announce (magic numbers), whatever the client called
    /// the file. `Err` names what was found when it is a known image type that is not
    /// accepted (HEIC, GIF, SVG...), or "unknown".
    pub fn sniff(head: &[u8]) -> Result<Self, &'static str> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Ok(Self::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Ok(Self::Png)
        } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Ok(Self::Webp)
        } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
            match &head[8..12] {
                b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"hevc" => Err("image/heic"),
                b"avif" | b"avis" => Err("image/avif"),
                _ => Err("video or another ISO media file"),
            }
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Err("image/gif")
        } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
            Err("image/tiff")
        } else if head.starts_with(b"BM") {
            Err("image/bmp")
        } else if looks_like_svg(head) {
            Err("image/svg+xml")
        } else {
            Err("unknown")
        }
    }
}

fn looks_like_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(512)]).to_ascii_lowercase();
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with("<?xml") || t.starts_with("<svg") || t.contains("<svg")
}

/// What a photo is, once decoded (after its EXIF orientation is applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// One stored size of a photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// `thumb`, `medium`, `large` (WebP) or `medium_jpeg` (the JPEG fallback).
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: Bytes,
    pub width: u32,
    pub height: u32,
}

/// A processed photo: its oriented size and its variants, none carrying any metadata
/// (EXIF, XMP, ICC: a landlord's GPS position is never published).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub width: u32,
    pub height: u32,
    pub variants: Vec<Variant>,
}

/// Why an image is refused. Each is the client's problem (4xx), never ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not JPEG, PNG or WebP (the detected type).
    #[error("{0} is not accepted; send {accepted}", accepted = ImageFormat::ACCEPTED)]
    Unsupported(&'static str),
    /// Larger than the limits in pixels, or the decoder would need more memory than
    /// allowed (a decompression bomb).
    #[error("the image is too large: {0}")]
    TooLarge(String),
    /// Truncated or corrupt: it does not decode.
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
}

/// Errors of the port: the image's fault, or ours.
#[derive(Debug, thiserror::Error)]
pub enum ImageProcessingError {
    #[error(transparent)]
    Image(#[from] ImageError),
    /// Every decoding slot is taken for longer than the wait (503, retry later).
    #[error(transparent)]
    Busy(#[from] super::Busy),
    #[error("image processing failed")]
    Unexpected(#[source] anyhow::Error),
}

#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait ImageProcessor: Send + Sync + 'static {
    /// Decodes the whole image within the limits: proves it is what it claims and can be
    /// processed later. Errors: `Image` (the client's), `Busy`, `Unexpected`.
    async fn inspect(&self, bytes: Bytes) -> Result<ImageInfo, ImageProcessingError>;

    /// Decodes, applies the EXIF orientation, drops all metadata and makes the variants.
    async fn process(&self, bytes: Bytes) -> Result<Processed, ImageProcessingError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        assert_eq!(ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE1, 0, 0]), Ok(ImageFormat::Jpeg));
        assert_eq!(ImageFormat::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Ok(ImageFormat::Png));
        assert_eq!(ImageFormat::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Ok(ImageFormat::Webp));
        assert_eq!(ImageFormat::sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Err("image/heic"));
        assert_eq!(ImageFormat::sniff(b"GIF89a\x01\0"), Err("image/gif"));
        assert_eq!(
            ImageFormat::sniff(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\">"),
            Err("image/svg+xml")
        );
        assert_eq!(ImageFormat::sniff(b"  <svg width=\"10\">"), Err("image/svg+xml"));
        assert_eq!(ImageFormat::sniff(b"hello"), Err("unknown"));
        assert_eq!(ImageFormat::sniff(b""), Err("unknown"));
        assert_eq!(ImageFormat::sniff(b"RIFF\x10\0\0\0WAVEfmt "), Err("unknown"));
    }
}
