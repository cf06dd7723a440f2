//! Shared pieces of the use cases' error enums.

/// Implements `From<RepositoryError>` for a use-case error enum with an
/// `Unexpected(anyhow::Error)` case: storage failures are unexpected for the caller
/// (a repository `Conflict` the use case did not anticipate included).
macro_rules! storage_errors_are_unexpected {
    ($($t:ty),+ $(,)?) => {$(
        impl From<$crate::RepositoryError> for $t {
            fn from(e: $crate::RepositoryError) -> Self {
                Self::Unexpected(e.into_unexpected())
            }
        }
    )+};
}

pub(crate) use storage_errors_are_unexpected;

/// Like [`storage_errors_are_unexpected`], for use cases that write conditionally: a
/// repository `Stale` (another write won since the read) becomes the enum's `Stale`.
macro_rules! stale_writes_are_reported {
    ($($t:ty),+ $(,)?) => {$(
        impl From<$crate::RepositoryError> for $t {
            fn from(e: $crate::RepositoryError) -> Self {
                match e {
                    $crate::RepositoryError::Stale => Self::Stale,
                    e => Self::Unexpected(e.into_unexpected()),
                }
            }
        }
    )+};
}

pub(crate) use stale_writes_are_reported;

/// Like [`storage_errors_are_unexpected`], for use cases that create or rename by a
/// unique name: a repository `Conflict` becomes the enum's `NameTaken`.
macro_rules! conflicts_are_name_taken {
    ($($t:ty),+ $(,)?) => {$(
        impl From<$crate::RepositoryError> for $t {
            fn from(e: $crate::RepositoryError) -> Self {
                match e {
                    $crate::RepositoryError::Conflict(_) => Self::NameTaken,
                    e => Self::Unexpected(e.into_unexpected()),
                }
            }
        }
    )+};
}

pub(crate) use conflicts_are_name_taken;
