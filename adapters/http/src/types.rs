//! poem-openapi types the DTOs are made of, so that the OpenAPI document says exactly what
//! the server accepts and sends (`docs/api.md`):
//!
//! - [`Closed<T>`]: a value of one of the domain's closed sets, documented as a named
//!   `enum` schema generated from the domain's own list (`ClosedSet::ALL`): the document
//!   and the domain cannot drift.
//! - [`Date`]: a calendar date, `format: date` (poem-openapi's `NaiveDate` says
//!   `naive-date`, which no JSON Schema validator or generator knows).
//! - [`Timestamp`]: an instant, `format: date-time`, written in UTC with microseconds
//!   (`2026-11-25T14:03:04.123456Z`).
//! - [`Nullable<T>`]: a response field that is always present and `null` when it has no
//!   value (`required` + `nullable` in the document).
//!
//! Each also implements `serde::Serialize` with the same JSON as poem-openapi's `ToJSON`,
//! for responses written with serde (`JsonOut`).

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::ClosedSet;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// A value of the closed set `T` (its wire name on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed<T>(pub T);

impl<T: ClosedSet> Closed<T> {
    fn parse(raw: &str) -> Result<Self, String> {
        T::parse(raw).map(Closed).map_err(|e| e.message)
    }
}

impl<T: ClosedSet> Type for Closed<T> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        Cow::Borrowed(T::NAME)
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(T::NAME.to_owned())
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<Self, _>(T::NAME.to_owned(), |_| MetaSchema {
            enum_items: T::ALL.iter().map(|v| Value::String(v.as_str().to_owned())).collect(),
            ..MetaSchema::new("string")
        });
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl<T: ClosedSet> ParseFromJSON for Closed<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(s)) => Self::parse(&s).map_err(ParseError::custom),
            Some(other) => Err(ParseError::expected_type(other)),
            None => Err(ParseError::expected_input()),
        }
    }
}

impl<T: ClosedSet> ParseFromParameter for Closed<T> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse(value).map_err(ParseError::custom)
    }
}

impl<T: ClosedSet> ToJSON for Closed<T> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.as_str().to_owned()))
    }
}

impl<T: ClosedSet> Serialize for Closed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

/// poem-openapi's traits (and serde) for a string with a JSON Schema `format`, from the
/// type's `parse_text` and `render`.
macro_rules! formatted_string {
    ($t:ident, $format:literal) => {
        impl Type for $t {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                Cow::Borrowed(concat!("string_", $format))
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", $format)))
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(std::iter::once(self))
            }
        }

        impl ParseFromJSON for $t {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                match value {
                    Some(Value::String(s)) => Self::parse_text(&s).map_err(ParseError::custom),
                    Some(other) => Err(ParseError::expected_type(other)),
                    None => Err(ParseError::expected_input()),
                }
            }
        }

        impl ParseFromParameter for $t {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                Self::parse_text(value).map_err(ParseError::custom)
            }
        }

        impl ToJSON for $t {
            fn to_json(&self) -> Option<Value> {
                Some(Value::String(self.render()))
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.render())
            }
        }
    };
}

/// A calendar date, `YYYY-MM-DD` (RFC 3339 `full-date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

impl Date {
    fn parse_text(raw: &str) -> Result<Self, &'static str> {
        // chrono's `%Y` would take a sign and more than four digits; `full-date` is exact.
        let ok_shape = raw.len() == 10 && raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-';
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) if ok_shape => Ok(Date(d)),
            _ => Err("must be a date like 2027-07-01"),
        }
    }

    fn render(self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

formatted_string!(Date, "date");

/// An instant in UTC, RFC 3339 with microseconds and `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    fn parse_text(raw: &str) -> Result<Self, &'static str> {
        DateTime::parse_from_rfc3339(raw)
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(|_| "must be an RFC 3339 date-time")
    }

    fn render(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

formatted_string!(Timestamp, "date-time");

/// A string with a JSON Schema `pattern` and length bounds, stated in its schema and
/// checked when parsed (the regular expression is compiled once: poem-openapi's
/// `pattern` validator compiles it on every check, which was 10% of a search's CPU).
macro_rules! patterned_string {
    ($(#[$m:meta])* $name:ident, $pattern:literal, $min:literal ..= $max:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub String);

        impl $name {
            pub const PATTERN: &'static str = $pattern;

            fn parse_text(raw: &str) -> Result<Self, String> {
                static RE: std::sync::LazyLock<regex::Regex> =
                    std::sync::LazyLock::new(|| regex::Regex::new($pattern).expect("a valid pattern"));
                let n = raw.chars().count();
                if !($min..=$max).contains(&n) {
                    return Err(format!("must be {} to {} characters", $min, $max));
                }
                if !RE.is_match(raw) {
                    return Err(format!("must match {}", $pattern));
                }
                Ok(Self(raw.to_owned()))
            }

            fn render(&self) -> String {
                self.0.clone()
            }
        }

        impl Type for $name {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                Cow::Borrowed(concat!("string_", stringify!($name)))
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new(MetaSchema {
                    pattern: Some($pattern.to_owned()),
                    min_length: Some($min),
                    max_length: Some($max),
                    ..MetaSchema::new("string")
                }))
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(std::iter::once(self))
            }
        }

        impl ParseFromJSON for $name {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                match value {
                    Some(Value::String(s)) => Self::parse_text(&s).map_err(ParseError::custom),
                    Some(other) => Err(ParseError::expected_type(other)),
                    None => Err(ParseError::expected_input()),
                }
            }
        }

        impl ParseFromParameter for $name {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                Self::parse_text(value).map_err(ParseError::custom)
            }
        }

        impl ToJSON for $name {
            fn to_json(&self) -> Option<Value> {
                Some(Value::String(self.render()))
            }
        }
    };
}

patterned_string!(
    /// A city slug (`leeds`, `newcastle-upon-tyne`).
    SlugText, "^[a-z][a-z0-9]*(-[a-z0-9]+)*$", 2..=40
);
patterned_string!(
    /// A UK postcode, one optional space (`LS6 1AB`, `ls61ab`).
    PostcodeText, "^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}$", 5..=8
);
patterned_string!(
    /// An academic year (`2027/28`).
    AcademicYearText, "^[0-9]{4}/[0-9]{2}$", 7..=7
);
patterned_string!(
    /// A page cursor as handed out in `next_cursor` (empty: the first page).
    CursorText, "^[A-Za-z0-9_-]*$", 0..=200
);

patterned_string!(
    /// Free text typed into a search box: no control characters (a NUL cannot be
    /// stored or searched for), at most 200 characters.
    SearchText, "^[^\\x00-\\x1F\\x7F]*$", 0..=200
);

patterned_string!(
    /// Part of an e-mail address to filter by: no control characters or spaces.
    EmailFilterText, "^[^\\x00-\\x20\\x7F]+$", 1..=254
);

patterned_string!(
    /// A city's name (`Newcastle upon Tyne`): no control characters, not blank.
    CityNameText, "^[^\\x00-\\x1F\\x7F]*[^\\x00-\\x20\\x7F][^\\x00-\\x1F\\x7F]*$", 1..=80
);

patterned_string!(
    /// An area's name (`Hyde Park`): no control characters, not blank.
    AreaNameText, "^[^\\x00-\\x1F\\x7F]*[^\\x00-\\x20\\x7F][^\\x00-\\x1F\\x7F]*$", 1..=80
);

patterned_string!(
    /// An audit target type (`user`, `listing`, `enquiry`, `session`, `city`).
    TargetTypeText, "^[a-z_]+$", 1..=32
);

patterned_string!(
    /// An audit target id (a UUID or a slug).
    TargetIdText, "^[A-Za-z0-9_-]+$", 1..=64
);

patterned_string!(
    /// An entity tag as this API hands them out: a quoted version number (`"3"`).
    EtagText, "^\"[0-9]{1,18}\"$", 3..=20
);

impl EtagText {
    /// The tag of a version.
    pub fn of(v: domain::Version) -> String {
        format!("\"{v}\"")
    }

    /// The version it names.
    pub fn version(&self) -> domain::Version {
        domain::Version(self.0.trim_matches('"').parse().unwrap_or(0))
    }
}

/// A response field that is always sent: the value, or `null` when there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nullable<T>(pub Option<T>);

impl<T> From<Option<T>> for Nullable<T> {
    fn from(v: Option<T>) -> Self {
        Self(v)
    }
}

impl<T: Type> Type for Nullable<T> {
    const IS_REQUIRED: bool = true;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("nullable_{}", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref().merge(MetaSchema { nullable: true, ..MetaSchema::ANY })
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(v) => v.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Nullable<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            None | Some(Value::Null) => Ok(Self(None)),
            v => T::parse_from_json(v).map(|v| Self(Some(v))).map_err(ParseError::propagate),
        }
    }
}

impl<T: ToJSON> ToJSON for Nullable<T> {
    fn to_json(&self) -> Option<Value> {
        Some(self.0.as_ref().and_then(ToJSON::to_json).unwrap_or(Value::Null))
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use domain::listing::PropertyType;

    use super::*;

    #[test]
    fn closed_sets_parse_their_wire_names_only() {
        let ok = Closed::<PropertyType>::parse_from_json(Some(Value::String("house".into()))).unwrap();
        assert_eq!(ok.0, PropertyType::House);
        assert!(Closed::<PropertyType>::parse_from_json(Some(Value::String("House".into()))).is_err());
        assert!(Closed::<PropertyType>::parse_from_json(Some(Value::Null)).is_err());
        assert_eq!(serde_json::to_value(ok).unwrap(), ok.to_json().unwrap());
    }

    #[test]
    fn closed_set_schemas_are_named_enums_from_the_domain() {
        let mut r = Registry::new();
        Closed::<PropertyType>::register(&mut r);
        let schema = serde_json::to_value(&r.schemas["PropertyType"]).unwrap();
        let values: Vec<&str> = PropertyType::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(schema["enum"], serde_json::json!(values));
        assert_eq!(schema["type"], "string");
    }

    #[test]
    fn dates_are_full_dates() {
        assert_eq!(Date::parse_from_parameter("2027-07-01").unwrap().0, NaiveDate::from_ymd_opt(2027, 7, 1).unwrap());
        for bad in ["2027-7-1", "+2027-07-01", "20270-07-01", "2027-02-30", "", "2027-07-01T00:00:00Z"] {
            assert!(Date::parse_from_parameter(bad).is_err(), "{bad}");
        }
        let d = Date(NaiveDate::from_ymd_opt(2027, 7, 1).unwrap());
        assert_eq!(serde_json::to_value(d).unwrap(), d.to_json().unwrap());
        assert_eq!(serde_json::to_value(Date::schema_ref()).unwrap()["format"], "date");
    }

    #[test]
    fn patterned_strings_check_lengths_and_pattern_and_say_so_in_the_schema() {
        assert!(SlugText::parse_from_parameter("newcastle-upon-tyne").is_ok());
        for bad in ["l", "Leeds", "leeds-", "le--eds", &"a".repeat(41)] {
            assert!(SlugText::parse_from_parameter(bad).is_err(), "{bad}");
        }
        assert!(CursorText::parse_from_parameter("").is_ok());
        assert!(CursorText::parse_from_parameter("not a cursor").is_err());
        let schema = serde_json::to_value(PostcodeText::schema_ref()).unwrap();
        assert_eq!(schema["pattern"], PostcodeText::PATTERN);
        assert_eq!((schema["minLength"].as_u64(), schema["maxLength"].as_u64()), (Some(5), Some(8)));
    }

    #[test]
    fn timestamps_are_utc_with_microseconds() {
        let t = Timestamp(DateTime::from_timestamp(1_764_079_384, 123_456_000).unwrap());
        assert_eq!(t.to_json().unwrap(), "2025-11-25T14:03:04.123456Z");
        assert_eq!(serde_json::to_value(t).unwrap(), t.to_json().unwrap());
    }

    #[test]
    fn nullable_is_required_and_sent_as_null() {
        let v: Nullable<String> = Nullable(None);
        assert_eq!(v.to_json(), Some(Value::Null));
        assert_eq!(serde_json::to_value(&v).unwrap(), Value::Null);
        const { assert!(<Nullable<String> as Type>::IS_REQUIRED) };
        assert_eq!(serde_json::to_value(Nullable::<String>::schema_ref()).unwrap()["nullable"], true);
    }
}

/// A JSON string in a request body, and only a string. poem-openapi's `String` also
/// accepts a JSON number or boolean and turns it into text (`{"title": false}` would
/// store `"false"`), which the document (`type: string`) does not allow. Lengths come
/// from the field's `validator(min_length, max_length)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(pub String);

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Type for Text {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        Cow::Borrowed("string")
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(s)) => Ok(Self(s)),
            Some(other) => Err(ParseError::expected_type(other)),
            None => Err(ParseError::expected_input()),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn only_json_strings_are_text() {
        assert_eq!(Text::parse_from_json(Some(Value::from("a"))).unwrap(), Text("a".into()));
        for v in [Value::from(false), Value::from(12), serde_json::json!([]), serde_json::json!({})] {
            assert!(Text::parse_from_json(Some(v.clone())).is_err(), "{v}");
        }
    }
}
