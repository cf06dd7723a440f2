//! Users: students, landlords, agents and admins.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub Uuid);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An e-mail address, normalised: trimmed and lowercased as a whole, so uniqueness is
/// case-insensitive. Deliberately simple syntax check (one `@`, a dotted domain, no
/// spaces or control characters, RFC 5321 length limits); ownership is what a
/// verification mail proves.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let e = |m: &str| Err(ValidationError::new("email", m));
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return e("must not be empty");
        }
        if s.len() > 254 {
            return e("must be at most 254 characters");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return e("must not contain spaces");
        }
        let Some((local, domain)) = s.split_once('@') else { return e("must contain @") };
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return e("is not a valid e-mail address");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
        {
            return e("needs a valid domain (e.g. name@example.ac.uk)");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// E-mails are personal data: `Debug` shows only the domain.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.0.split_once('@').map_or("", |(_, d)| d);
        write!(f, "Email(***@{domain})")
    }
}

/// A person's shown name, 1–60 characters, whitespace collapsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.chars().any(char::is_control) {
            return Err(ValidationError::new("display_name", "must not contain control characters"));
        }
        let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        match s.chars().count() {
            0 => Err(ValidationError::new("display_name", "must not be empty")),
            n if n > 60 => Err(ValidationError::new("display_name", "must be at most 60 characters")),
            _ => Ok(Self(s)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::closed_set!(
    /// What a user is on the site.
    Role, "role", { Student => "student", Landlord => "landlord", Agent => "agent", Admin => "admin" }
);

crate::closed_set!(
    /// The roles a person may choose when registering (admins are made by the CLI).
    SignupRole, "role", { Student => "student", Landlord => "landlord", Agent => "agent" }
);

impl From<SignupRole> for Role {
    fn from(r: SignupRole) -> Self {
        match r {
            SignupRole::Student => Role::Student,
            SignupRole::Landlord => Role::Landlord,
            SignupRole::Agent => Role::Agent,
        }
    }
}

impl Role {
    /// Roles a person may choose when registering (admins are made by the CLI).
    pub fn self_service(self) -> bool {
        !matches!(self, Role::Admin)
    }

    /// Landlords and agents list properties.
    pub fn can_list(self) -> bool {
        matches!(self, Role::Landlord | Role::Agent)
    }
}

/// A password as chosen by a person, before hashing. Policy (OWASP ASVS 5.0 §6.2):
/// 12–128 characters (any Unicode; counted in characters), not one of the most common
/// passwords (case-insensitive). `Debug` never shows it.
#[derive(Clone)]
pub struct NewPassword(String);

/// The shipped list of common passwords (lowercase, one per line).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

fn is_common(candidate: &str) -> bool {
    use std::collections::HashSet;
    use std::sync::OnceLock;
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
        .contains(candidate.to_lowercase().as_str())
}

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(ValidationError::new("password", format!("must be at least {} characters", Self::MIN_CHARS)));
        }
        if n > Self::MAX_CHARS {
            return Err(ValidationError::new("password", format!("must be at most {} characters", Self::MAX_CHARS)));
        }
        if is_common(raw) {
            return Err(ValidationError::new("password", "is too common; choose something less guessable"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(****)")
    }
}

/// A stored password hash (PHC string, argon2id). Opaque to the domain.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(****)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    pub password_hash: PasswordHash,
    pub email_verified: bool,
    pub suspended: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The stored version this value was read at (or will be written as).
    pub version: crate::Version,
    /// Sessions issued under an older epoch are over: it moves on at sign-out, "sign out
    /// everywhere" and suspension.
    pub session_epoch: u64,
}

impl User {
    /// May this user sign in?
    pub fn can_sign_in(&self) -> bool {
        !self.suspended
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(Email::parse("  Alice.Smith@Leeds.AC.uk ").unwrap().as_str(), "alice.smith@leeds.ac.uk");
        for bad in ["", "alice", "@x.com", "a@", "a@b", "a b@c.com", "a@@b.com", "a@-b.com", "a@b..com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@x.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn email_debug_hides_the_local_part() {
        let e = Email::parse("alice@example.com").unwrap();
        assert_eq!(format!("{e:?}"), "Email(***@example.com)");
    }

    #[test]
    fn password_policy() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        assert!(NewPassword::parse(&"ü".repeat(12)).is_ok(), "counted in characters, not bytes");
        assert!(NewPassword::parse("correct horse battery").is_ok());
        assert!(NewPassword::parse(&"x".repeat(128)).is_ok());
        assert_eq!(format!("{:?}", NewPassword::parse("correct horse battery").unwrap()), "NewPassword(****)");
    }

    #[test]
    fn common_passwords_are_refused_case_insensitively() {
        let long_common: Vec<&str> = COMMON_PASSWORDS.lines().filter(|l| l.chars().count() >= 12).take(5).collect();
        assert!(!long_common.is_empty(), "the list has entries of 12+ characters");
        for p in long_common {
            assert!(NewPassword::parse(p).is_err(), "{p}");
            assert!(NewPassword::parse(&p.to_uppercase()).is_err(), "{p} uppercased");
        }
        assert!(COMMON_PASSWORDS.lines().count() >= 3000);
    }

    #[test]
    fn roles() {
        assert!(!Role::Admin.self_service());
        assert!(Role::Agent.can_list() && Role::Landlord.can_list() && !Role::Student.can_list());
        assert_eq!(Role::parse("agent").unwrap(), Role::Agent);
        assert!(Role::parse("Admin").is_err());
        for r in SignupRole::ALL {
            assert!(Role::from(*r).self_service(), "{r}");
        }
        assert!(SignupRole::parse("admin").is_err(), "admins cannot sign up");
    }

    proptest! {
        #[test]
        fn parsed_emails_are_lowercase_and_reparse_identically(local in "[a-zA-Z0-9._%+-]{1,20}", d in "[a-zA-Z0-9]{1,10}", tld in "[a-z]{2,6}") {
            let e = Email::parse(&format!("{local}@{d}.{tld}")).unwrap();
            prop_assert_eq!(e.as_str().to_lowercase(), e.as_str());
            prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e.clone());
        }

        #[test]
        fn email_parse_never_panics(s in "\\PC{0,300}") {
            let _ = Email::parse(&s);
        }

        #[test]
        fn password_length_rule(n in 0usize..200) {
            let p = "q7#".repeat(n).chars().take(n).collect::<String>();
            let ok = NewPassword::parse(&p).is_ok();
            prop_assert_eq!(ok, (12..=128).contains(&n));
        }
    }
}
