//! Keyset pagination: opaque cursors and bounded page sizes.

use base64::Engine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where the next page starts: after the row with sort key `key` and id `id`. Encoded as
/// URL-safe base64 of a small JSON object; clients treat it as opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Which ordering the cursor belongs to (a cursor from another sort is refused).
    #[serde(rename = "s")]
    pub sort: u8,
    /// The sort key of the last row seen (timestamp micros, pence, bedrooms, ...).
    #[serde(rename = "k")]
    pub key: i64,
    #[serde(rename = "i")]
    pub id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cursor: is not a cursor returned by this endpoint")]
pub struct BadCursor;

impl Cursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("cursor serialises");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(raw: &str, expected_sort: u8) -> Result<Self, BadCursor> {
        if raw.len() > 200 {
            return Err(BadCursor);
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).map_err(|_| BadCursor)?;
        let c: Cursor = serde_json::from_slice(&bytes).map_err(|_| BadCursor)?;
        if c.sort != expected_sort {
            return Err(BadCursor);
        }
        Ok(c)
    }
}

/// A page request: at most `size` rows after `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<Cursor>,
    pub size: u32,
}

impl PageRequest {
    pub const DEFAULT_SIZE: u32 = 20;
    pub const MAX_SIZE: u32 = 50;

    pub fn first(size: u32) -> Self {
        Self { after: None, size: size.clamp(1, Self::MAX_SIZE) }
    }

    /// Fetch one more than the page to know whether a next page exists.
    pub fn fetch_limit(&self) -> u64 {
        u64::from(self.size) + 1
    }
}

/// A page of results; `next` is `None` on the last page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from `size + 1` fetched rows: the extra row only proves there is more.
    pub fn from_rows(mut rows: Vec<T>, size: u32, sort: u8, key_of: impl Fn(&T) -> (i64, Uuid)) -> Self {
        let size = size as usize;
        let next = if rows.len() > size {
            rows.truncate(size);
            rows.last().map(|last| {
                let (key, id) = key_of(last);
                Cursor { sort, key, id }
            })
        } else {
            None
        };
        Self { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor { sort: 2, key: -5, id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&c.encode(), 2).unwrap(), c);
        assert_eq!(Cursor::decode(&c.encode(), 1), Err(BadCursor), "another sort's cursor");
        for bad in ["", "!!", "eyJ9", &"A".repeat(300)] {
            assert_eq!(Cursor::decode(bad, 2), Err(BadCursor), "{bad}");
        }
    }

    #[test]
    fn pages_know_when_there_is_more() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let p = Page::from_rows(ids.clone(), 2, 0, |id| (1, *id));
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.next.unwrap().id, ids[1]);
        let p = Page::from_rows(ids[..2].to_vec(), 2, 0, |id| (1, *id));
        assert!(p.next.is_none());
    }

    proptest! {
        #[test]
        fn decode_never_panics(s in "\\PC{0,100}") {
            let _ = Cursor::decode(&s, 0);
        }
    }
}
