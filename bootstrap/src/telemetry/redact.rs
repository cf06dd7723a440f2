//! Log redaction: every line the service writes passes through [`Redacting`] before it
//! reaches stdout, so e-mail addresses and IP addresses are masked in every field and
//! message, whatever code logged them and however (a field, a formatted message, an
//! error's cause chain, a span field). `jane.doe@example.com` becomes `j***@e***.com`,
//! `203.0.113.7` becomes `203.0.113.x`, `2001:db8:85a3::8a2e:370:7334` becomes
//! `2001:db8:85a3:x` (the /48, as coarse as a provider's allocation).
//!
//! It works on the finished line (both the JSON and the pretty format write one buffer
//! per event), so it cannot be bypassed by a field type or a layer that formats its own
//! way. `LOG_REDACT=false` turns it off for local debugging; staging and prod refuse that.

use std::borrow::Cow;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::{Captures, Regex};
use tracing_subscriber::fmt::MakeWriter;

/// An e-mail address, `@` also percent-encoded (`%40`, as in a logged URL). The local part
/// is the common alphabet: `=`, `/` or `?` before it belong to a URL, not the address.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)([a-z0-9._%+\-])[a-z0-9._%+\-]*(?:@|%40)([a-z0-9])[a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.([a-z]{2,63})\b")
        .expect("a valid pattern")
});
/// Candidates only: each is checked by parsing it ([`Ipv4Addr`]).
static IPV4: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b").expect("a valid pattern"));
/// Candidates only: each is checked by parsing it ([`Ipv6Addr`]) and by what surrounds it
/// (`sp_http::middleware` holds a `::` but no address).
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-f]{0,4})(?:%[0-9a-z]+)?")
        .expect("a valid pattern")
});

/// `text` with every e-mail address and IP address masked (borrowed when there is none).
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if (out.contains('@') || out.contains("%40"))
        && let Some(s) = mask_emails(&out)
    {
        out = Cow::Owned(s);
    }
    if out.contains(':')
        && let Some(s) = mask_ipv6(&out)
    {
        out = Cow::Owned(s);
    }
    if out.contains('.')
        && let Cow::Owned(s) = IPV4.replace_all(&out, |c: &Captures<'_>| {
            if c[0].parse::<Ipv4Addr>().is_ok() { format!("{}.{}.{}.x", &c[1], &c[2], &c[3]) } else { c[0].to_owned() }
        })
    {
        out = Cow::Owned(s);
    }
    out
}

fn mask_emails(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut last = 0;
    for c in EMAIL.captures_iter(text) {
        let m = c.get(0).expect("the whole match");
        let rest = &text[m.start()..];
        // Right after a backslash the first character belongs to an escape: a JSON
        // `\u0007` is kept whole (cutting it would leave invalid JSON).
        let keep = if m.start() > 0 && bytes[m.start() - 1] == b'\\' {
            if rest.starts_with('u') && rest.as_bytes().get(1..5).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                &rest[..5]
            } else {
                &rest[..1]
            }
        } else {
            &c[1]
        };
        out.push_str(&text[last..m.start()]);
        out.push_str(keep);
        out.push_str("***@");
        out.push_str(&c[2]);
        out.push_str("***.");
        out.push_str(&c[3]);
        last = m.end();
    }
    if last == 0 {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

fn mask_ipv6(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b':' || b == b'.';
    let mut out = String::new();
    let mut last = 0;
    for m in IPV6.find_iter(text) {
        let before = m.start().checked_sub(1).map(|i| bytes[i]);
        // A `:` or `.` right after ends a sentence or a field (`2001:db8::1: refused`),
        // unless more of a name or number follows it.
        let mut end = m.end();
        let mut candidate = m.as_str();
        let parsed = |c: &str| c.split('%').next().unwrap_or(c).parse::<Ipv6Addr>().ok();
        if parsed(candidate).is_none() && candidate.ends_with(':') {
            candidate = candidate.trim_end_matches(':');
            end = m.start() + candidate.len();
        }
        let after = bytes.get(end).copied();
        let continues = bytes.get(end + 1).is_some_and(|b| b.is_ascii_alphanumeric());
        let after_is_word = after.is_some_and(|b| if b == b':' || b == b'.' { continues } else { word(b) });
        if before.is_some_and(word) || after_is_word {
            continue;
        }
        let Some(ip) = parsed(candidate) else {
            continue;
        };
        let masked = if let Some(v4) = ip.to_ipv4_mapped() {
            let [a, b, c, _] = v4.octets();
            format!("::ffff:{a}.{b}.{c}.x")
        } else {
            let s = ip.segments();
            format!("{:x}:{:x}:{:x}:x", s[0], s[1], s[2])
        };
        out.push_str(&text[last..m.start()]);
        out.push_str(&masked);
        last = end;
    }
    if last == 0 {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// A [`MakeWriter`] whose writers redact each buffer before passing it on.
#[derive(Debug, Clone)]
pub struct Redacting<M> {
    inner: M,
}

impl<M> Redacting<M> {
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.inner.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        RedactingWriter(self.inner.make_writer_for(meta))
    }
}

pub struct RedactingWriter<W>(W);

impl<W: io::Write> io::Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn emails_are_masked_in_any_position() {
        assert_eq!(redact("sent to jane.doe@example.com"), "sent to j***@e***.com");
        assert_eq!(redact(r#"{"to":"Bob+flat@mail.example.co.uk","n":1}"#), r#"{"to":"B***@m***.uk","n":1}"#);
        assert_eq!(redact("/search?email=ann%40uni.ac.uk&x=1"), "/search?email=a***@u***.uk&x=1");
        assert_eq!(redact("a@b.io, c@d.org"), "a***@b***.io, c***@d***.org");
    }

    #[test]
    fn ip_addresses_are_masked() {
        assert_eq!(redact("client_ip=203.0.113.7"), "client_ip=203.0.113.x");
        assert_eq!(redact(r#""ip":"10.1.2.255""#), r#""ip":"10.1.2.x""#);
        assert_eq!(redact("peer 2001:db8:85a3::8a2e:370:7334 left"), "peer 2001:db8:85a3:x left");
        assert_eq!(redact("from ::1"), "from 0:0:0:x");
        assert_eq!(redact("from ::ffff:192.0.2.33 ok"), "from ::ffff:192.0.2.x ok");
        assert_eq!(redact("[fe80::1%eth0]:8080"), "[fe80:0:0:x]:8080");
        assert_eq!(redact("peer 2001:db8::1: refused"), "peer 2001:db8:0:x: refused");
        assert_eq!(redact("from 2001:db8::1."), "from 2001:db8:0:x.");
        assert_eq!(redact("from 10.0.0.1."), "from 10.0.0.x.");
    }

    #[test]
    fn an_address_after_a_json_escape_leaves_valid_json() {
        let line = r#"{"message":"bell\u0007jane@example.com and \njo@example.org"}"#;
        let out = redact(line);
        assert!(!out.contains("jane@") && !out.contains("jo@"), "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(v["message"], "bell\u{7}***@e***.com and \n***@e***.org");
    }

    #[test]
    fn what_only_looks_like_an_address_is_kept() {
        for s in [
            "2026-12-06T21:09:21.123456Z",
            "target sp_http::middleware",
            "version 1.2.3 and 999.1.1.1",
            "id 0195a3e4-7c1b-7d2e-9f00-1234567890ab",
            "no address here",
            "user@localhost",
        ] {
            assert_eq!(redact(s), s);
        }
    }

    proptest::proptest! {
        #[test]
        fn no_generated_address_survives(local in "[a-z][a-z0-9._]{0,12}", host in "[a-z][a-z0-9]{0,10}", tld in "[a-z]{2,6}",
                                         a in 0u8.., b in 0u8.., c in 0u8.., d in 0u8.., seg in proptest::array::uniform8(0u16..)) {
            let email = format!("{local}@{host}.{tld}");
            let v4 = format!("{a}.{b}.{c}.{d}");
            let v6 = std::net::Ipv6Addr::from(seg).to_string();
            let line = format!(r#"{{"message":"mail to {email} from {v4}","peer":"{v6}"}}"#);
            let out = redact(&line);
            proptest::prop_assert!(!out.contains(&email), "{out}");
            proptest::prop_assert!(!out.contains(&v4), "{out}");
            proptest::prop_assert!(!out.contains(&v6), "{out}");
            proptest::prop_assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "{out}");
        }
    }
}
