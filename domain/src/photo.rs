//! Photos of a listing: an original (private) and its variants (public once ready).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::listing::ListingId;

crate::closed_set!(
    /// Where an uploaded photo is: pending (being processed) → ready | rejected.
    PhotoStatus, "status", { Pending => "pending", Ready => "ready", Rejected => "rejected" }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhotoId(pub Uuid);

impl fmt::Display for PhotoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A listing has at most this many photos (any status).
pub const MAX_PHOTOS_PER_LISTING: usize = 30;

/// A photo of a listing. The original is private; once `Ready` its variants are public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub id: PhotoId,
    pub listing_id: ListingId,
    pub status: PhotoStatus,
    /// 0-based place in the listing's gallery (the first ready one is the cover).
    pub position: u32,
    /// The original's type, from its bytes (never the client's word).
    pub content_type: String,
    /// The original's size.
    pub bytes: u64,
    /// Oriented size, once processed.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Why processing refused it (`Rejected`).
    pub reject_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The stored files of a photo, beside its original: `listings/{listing}/{photo}/{name}`.
pub const VARIANT_FILES: &[(&str, &str)] =
    &[("thumb", "thumb.webp"), ("medium", "medium.webp"), ("large", "large.webp"), ("medium_jpeg", "medium.jpg")];

/// The WebP variants made of every photo: the longest side at most this many pixels
/// (never enlarged; see [`fit`]). `medium_jpeg` has `medium`'s size.
pub const VARIANT_SIDES: &[(&str, u32)] = &[("thumb", THUMB_SIDE), ("medium", 1024), ("large", 2048)];

/// The longest side of the `thumb` variant (the cover on results cards).
pub const THUMB_SIDE: u32 = 400;

/// The size that fits within `max` × `max`, keeping the aspect ratio, never larger.
pub fn fit(w: u32, h: u32, max: u32) -> (u32, u32) {
    if w <= max && h <= max {
        return (w, h);
    }
    let longest = u64::from(w.max(h));
    // Rounded to the nearest pixel, at least 1, at most `max`.
    let side = |v: u32| {
        let scaled = (u64::from(v) * u64::from(max) + longest / 2) / longest;
        u32::try_from(scaled.clamp(1, u64::from(max))).unwrap_or(max)
    };
    (side(w), side(h))
}

impl Photo {
    /// The folder of every file of this photo.
    pub fn prefix(&self) -> String {
        format!("listings/{}/{}", self.listing_id, self.id)
    }

    /// The private original.
    pub fn original_key(&self) -> String {
        format!("{}/original", self.prefix())
    }

    /// The key of variant `name` (`thumb`, `medium`, `large`, `medium_jpeg`).
    pub fn variant_key(&self, name: &str) -> Option<String> {
        VARIANT_FILES.iter().find(|(n, _)| *n == name).map(|(_, file)| format!("{}/{file}", self.prefix()))
    }

    /// Every key this photo may have written (the original and each variant).
    pub fn all_keys(&self) -> Vec<String> {
        std::iter::once(self.original_key())
            .chain(VARIANT_FILES.iter().map(|(_, file)| format!("{}/{file}", self.prefix())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_ratio_and_never_enlarges() {
        assert_eq!(fit(4000, 3000, 400), (400, 300));
        assert_eq!(fit(3000, 4000, 1024), (768, 1024));
        assert_eq!(fit(300, 200, 400), (300, 200));
        assert_eq!(fit(10_000, 1, 400), (400, 1));
    }
}
