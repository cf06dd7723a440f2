//! Test photos, made on the fly: a phone-style JPEG with EXIF orientation, a GPS
//! position and an XMP packet; PNG decompression bombs; truncated and disguised files.
//! Every image has a red block in its top-left corner (as stored, before orientation),
//! so a test can tell where the corner went.

use image::{ImageEncoder, Rgb, RgbImage};

/// Text the metadata blocks carry; none of it may reach a published variant.
pub const METADATA_MARKERS: &[&[u8]] = &[b"Exif\0\0", b"xmpmeta", b"GPSLatitude", b"http://ns.adobe.com/xap/1.0/"];

/// A `w` × `h` RGB image: deterministic noise (so it compresses like a photo) with a red
/// block in the top-left corner.
pub fn noisy(w: u32, h: u32, seed: u32) -> RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    RgbImage::from_fn(w, h, |x, y| {
        if x < w / 8 && y < h / 8 {
            return Rgb([230, 20, 20]);
        }
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [red, green, blue, _] = state.to_le_bytes();
        // A gradient plus noise, never red.
        let ramp = u8::try_from((x * 200 / w.max(1)) % 200).unwrap_or(0);
        Rgb([red / 4 + ramp / 4, green / 2 + 60, blue / 2 + 60])
    })
}

/// A baseline JPEG of `img` at `quality`.
pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).unwrap();
    out
}

pub fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// An APP1 EXIF segment: IFD0 with the orientation and a GPS IFD (53°48'N, 1°33'W).
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut t: Vec<u8> = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    // IFD0 at 8: two entries.
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]);
    t.extend_from_slice(&orientation.to_le_bytes());
    t.extend_from_slice(&[0, 0]);
    let gps_at: u32 = 8 + 2 + 12 * 2 + 4;
    t.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0]);
    t.extend_from_slice(&gps_at.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: latitude ref, latitude, longitude ref, longitude.
    let data_at: u32 = gps_at + 2 + 12 * 4 + 4;
    t.extend_from_slice(&4u16.to_le_bytes());
    t.extend_from_slice(&[1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    t.extend_from_slice(&[2, 0, 5, 0, 3, 0, 0, 0]);
    t.extend_from_slice(&data_at.to_le_bytes());
    t.extend_from_slice(&[3, 0, 2, 0, 2, 0, 0, 0, b'W', 0, 0, 0]);
    t.extend_from_slice(&[4, 0, 5, 0, 3, 0, 0, 0]);
    t.extend_from_slice(&(data_at + 24).to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    for (num, den) in [(53u32, 1u32), (48, 1), (1234, 100), (1, 1), (33, 1), (2100, 100)] {
        t.extend_from_slice(&num.to_le_bytes());
        t.extend_from_slice(&den.to_le_bytes());
    }
    segment(0xE1, &[b"Exif\0\0".as_slice(), &t].concat())
}

fn xmp_app1() -> Vec<u8> {
    let packet = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description exif:GPSLatitude=\"53,48.2N\" \
                  exif:GPSLongitude=\"1,33.35W\"/></rdf:RDF></x:xmpmeta>";
    segment(0xE1, &[b"http://ns.adobe.com/xap/1.0/\0".as_slice(), packet.as_bytes()].concat())
}

fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(body.len() + 2).expect("a segment under 64 KiB");
    [&[0xFF, marker][..], &len.to_be_bytes(), body].concat()
}

/// A phone photo: `jpeg` of a noisy `w` × `h` image (as the sensor stored it) with an
/// EXIF block (orientation, GPS) and an XMP packet right after SOI.
pub fn phone_jpeg(w: u32, h: u32, orientation: u16, quality: u8) -> Vec<u8> {
    let plain = jpeg(&noisy(w, h, 7), quality);
    [&plain[..2], &exif_app1(orientation), &xmp_app1(), &plain[2..]].concat()
}

/// A PNG whose header claims `w` × `h` pixels around a tiny real image (the chunk CRC
/// fixed): a decompression bomb as far as any decoder that trusts the header knows.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut p = png(&noisy(16, 16, 3));
    // Signature (8), IHDR length (4), "IHDR" (4), then width and height.
    p[16..20].copy_from_slice(&w.to_be_bytes());
    p[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32fast::hash(&p[12..29]);
    p[29..33].copy_from_slice(&crc.to_be_bytes());
    p
}

/// An SVG, as a client might name it `photo.jpg`.
pub fn svg() -> Vec<u8> {
    br#"<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100" fill="red"/></svg>"#.to_vec()
}

/// Whether `bytes` holds any of the metadata markers.
pub fn has_metadata(bytes: &[u8]) -> bool {
    METADATA_MARKERS.iter().any(|m| bytes.windows(m.len()).any(|w| w == *m))
}

/// The colour at `(x, y)` of a decoded image.
pub fn pixel(bytes: &[u8], x: u32, y: u32) -> [u8; 3] {
    image::load_from_memory(bytes).unwrap().to_rgb8().get_pixel(x, y).0
}

/// Red enough to be the marker block (lossy codecs shift it a little).
pub fn is_red(p: [u8; 3]) -> bool {
    p[0] > 170 && p[1] < 90 && p[2] < 90
}
