//! Closed sets: values from a fixed vocabulary with stable wire names (`house`, `C`,
//! `student`, ...). Every closed set implements [`ClosedSet`], so that adapters can
//! describe them (the API's `enum` schemas are generated from [`ClosedSet::ALL`]) and
//! cannot drift from the domain.

use crate::ValidationError;

/// A value from a fixed vocabulary.
pub trait ClosedSet: Copy + PartialEq + Send + Sync + Sized + 'static {
    /// The set's name, e.g. `PropertyType` (the API's schema name).
    const NAME: &'static str;
    /// The input field that usually carries it, for error messages.
    const FIELD: &'static str;
    /// Every value, in their documented order.
    const ALL: &'static [Self];

    /// The stable wire name.
    fn as_str(self) -> &'static str;

    /// The value with this wire name (exact, case-sensitive).
    fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| {
            ValidationError::new(
                Self::FIELD,
                format!("must be one of {}", Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")),
            )
        })
    }
}

/// Declares an enum whose variants have stable wire names, with `ALL`, `as_str`,
/// `parse`, `Display`, serde, and [`ClosedSet`].
#[macro_export]
macro_rules! closed_set {
    ($(#[$m:meta])* $name:ident, $field:literal, { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, $crate::ValidationError> {
                <Self as $crate::ClosedSet>::parse(raw)
            }
        }

        impl $crate::ClosedSet for $name {
            const NAME: &'static str = stringify!($name);
            const FIELD: &'static str = $field;
            const ALL: &'static [Self] = $name::ALL;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enquiry::EnquiryStatus;
    use crate::listing::{EpcRating, Feature, ListingStatus, PropertyType, TenancyType};
    use crate::user::{Role, SignupRole};

    fn round_trips<T: ClosedSet + std::fmt::Debug>() {
        assert!(!T::ALL.is_empty());
        for v in T::ALL {
            assert_eq!(T::parse(v.as_str()).unwrap(), *v, "{}", T::NAME);
        }
        let e = T::parse("no such value").unwrap_err();
        assert_eq!(e.field, T::FIELD);
        assert!(e.message.starts_with("must be one of "), "{}", e.message);
    }

    #[test]
    fn every_closed_set_round_trips_its_wire_names() {
        round_trips::<PropertyType>();
        round_trips::<EpcRating>();
        round_trips::<TenancyType>();
        round_trips::<ListingStatus>();
        round_trips::<Feature>();
        round_trips::<Role>();
        round_trips::<SignupRole>();
        round_trips::<EnquiryStatus>();
        assert_eq!(Role::NAME, "Role");
        assert!(Role::parse("Admin").is_err(), "case-sensitive");
    }
}
