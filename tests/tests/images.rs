//! The image pipeline on real images: EXIF orientation applied, every metadata block
//! gone, the variants' sizes and formats; bombs, truncated files and disguised types
//! refused with the right reason.

use std::time::Duration;

use application::ports::{ImageError, ImageFormat, ImageProcessingError, ImageProcessor};
use bytes::Bytes;
use sp_images::{ImageLimits, Images};
use sp_tests::images::{has_metadata, is_red, jpeg, noisy, phone_jpeg, pixel, png, png_claiming, svg};

fn images() -> Images {
    Images::new(ImageLimits::default(), 2, Duration::from_secs(30))
}

fn refused(r: Result<impl std::fmt::Debug, ImageProcessingError>) -> ImageError {
    match r {
        Err(ImageProcessingError::Image(e)) => e,
        other => panic!("expected an image error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_phone_photo_is_rotated_stripped_and_resized() {
    // Stored landscape 1600 × 1200 with orientation 6: shown portrait, turned 90° clockwise.
    let original = phone_jpeg(1600, 1200, 6, 90);
    assert!(has_metadata(&original), "the fixture carries EXIF, GPS and XMP");
    let info = images().inspect(Bytes::from(original.clone())).await.unwrap();
    assert_eq!((info.format, info.width, info.height), (ImageFormat::Jpeg, 1200, 1600), "oriented size");

    let p = images().process(Bytes::from(original)).await.unwrap();
    assert_eq!((p.width, p.height), (1200, 1600));
    let sizes: Vec<_> = p.variants.iter().map(|v| (v.name, v.content_type, v.width, v.height)).collect();
    assert_eq!(
        sizes,
        [
            ("thumb", "image/webp", 300, 400),
            ("medium", "image/webp", 768, 1024),
            ("medium_jpeg", "image/jpeg", 768, 1024),
            ("large", "image/webp", 1200, 1600),
        ],
        "the longest side fits each size; nothing is enlarged"
    );
    for v in &p.variants {
        assert!(!has_metadata(&v.bytes), "{} carries no EXIF, GPS or XMP", v.name);
        let sniffed = ImageFormat::sniff(&v.bytes).unwrap();
        assert_eq!(sniffed.content_type(), v.content_type, "{}", v.name);
        // The stored top-left corner is now the top-right one.
        assert!(is_red(pixel(&v.bytes, v.width - 4, 4)), "{}: red at the top right", v.name);
        assert!(!is_red(pixel(&v.bytes, 4, 4)), "{}: not at the top left", v.name);
        assert!(!is_red(pixel(&v.bytes, v.width - 4, v.height - 4)), "{}: not at the bottom right", v.name);
    }
}

#[tokio::test]
async fn upright_pngs_and_small_images_keep_their_size() {
    let small = png(&noisy(320, 200, 1));
    let p = images().process(Bytes::from(small)).await.unwrap();
    assert!(p.variants.iter().all(|v| (v.width, v.height) == (320, 200)), "never enlarged");
    assert!(is_red(pixel(&p.variants[0].bytes, 4, 4)), "no orientation: the corner stays");
}

#[tokio::test]
async fn bombs_truncated_files_and_other_types_are_refused() {
    let i = images();
    // Claims 20,000 × 20,000 (400 MP): refused from the header, nothing allocated.
    assert!(matches!(refused(i.inspect(Bytes::from(png_claiming(20_000, 20_000))).await), ImageError::TooLarge(_)));
    // Within each side but 81 MP in all.
    assert!(matches!(refused(i.inspect(Bytes::from(png_claiming(9_000, 9_000))).await), ImageError::TooLarge(_)));
    let whole = jpeg(&noisy(800, 600, 2), 85);
    let truncated = Bytes::from(whole[..whole.len() / 2].to_vec());
    assert!(matches!(refused(i.inspect(truncated).await), ImageError::Undecodable(_)));
    assert_eq!(refused(i.inspect(Bytes::from(svg())).await), ImageError::Unsupported("image/svg+xml"));
    assert_eq!(
        refused(i.inspect(Bytes::from_static(b"\0\0\0\x18ftypheic\0\0\0\0")).await),
        ImageError::Unsupported("image/heic")
    );
    assert_eq!(refused(i.process(Bytes::from_static(b"plain text")).await), ImageError::Unsupported("unknown"));
    let message = ImageError::Unsupported("image/heic").to_string();
    assert!(message.contains("image/jpeg, image/png, image/webp"), "{message}");
}

#[tokio::test]
async fn a_small_allocation_limit_refuses_big_images() {
    let tight =
        Images::new(ImageLimits { max_alloc: 1024 * 1024, ..ImageLimits::default() }, 1, Duration::from_secs(5));
    let big = jpeg(&noisy(2000, 1500, 4), 80);
    assert!(matches!(refused(tight.inspect(Bytes::from(big)).await), ImageError::TooLarge(_)), "3 MP RGB needs 9 MB");
}

#[tokio::test]
async fn a_saturated_processor_says_busy() {
    let one = std::sync::Arc::new(Images::new(ImageLimits::default(), 1, Duration::from_millis(1)));
    let big = Bytes::from(jpeg(&noisy(3000, 2000, 5), 90));
    let (a, b) = tokio::join!(one.process(big.clone()), one.process(big));
    let busy = [&a, &b].iter().filter(|r| matches!(r, Err(ImageProcessingError::Busy(_)))).count();
    assert_eq!(busy, 1, "one waits 1 ms for the only slot and gives up");
    assert!(a.is_ok() || b.is_ok());
}
