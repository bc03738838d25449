//! How domain values become SQL values and back.
//!
//! Kept in one place so that every table writes a timestamp, an enum or a
//! JSON column the same way, and so that a value the program cannot read back
//! (a hand-edited row, a newer program's enum) becomes one clear error
//! instead of a panic.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Row;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, Type, ValueRef};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::rosters::RosterStatus;
use crate::domain::{
    Algorithm, CheckState, FoundBy, IdType, KeyOrigin, MatchResult, ReviewDecision, ReviewReason, ReviewStatus,
    SearchReason, Sex, SourceMode, TextEnum,
};

use super::{Result, StoreError};

/// A timestamp as stored: RFC 3339 in UTC with milliseconds and a `Z`
/// (`2025-03-01T09:30:00.000Z`). Fixed width, so text order is time order and
/// range conditions can use the indexes; readable in any SQLite browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ts(pub DateTime<Utc>);

impl Ts {
    pub(crate) fn text(t: DateTime<Utc>) -> String {
        t.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl ToSql for Ts {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(Ts::text(self.0)))
    }
}

impl FromSql for Ts {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        DateTime::parse_from_rfc3339(s)
            .map(|t| Ts(t.with_timezone(&Utc)))
            .map_err(|e| FromSqlError::Other(Box::new(BadValue(format!("the timestamp {s:?} is not RFC 3339: {e}")))))
    }
}

/// The current time at the precision the store keeps (milliseconds), so that
/// what a method returns equals what a later read gives.
pub(crate) fn now() -> DateTime<Utc> {
    truncate(Utc::now())
}

/// A time cut to milliseconds, as stored.
pub(crate) fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// A stored value this program cannot read.
#[derive(Debug)]
pub(crate) struct BadValue(pub String);

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadValue {}

/// Reads a text column and converts it with `parse`, which says in words what
/// is wrong with a value it refuses.
pub(crate) fn parsed<T>(
    row: &Row<'_>,
    col: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, String>,
) -> rusqlite::Result<T> {
    let text: String = row.get(col)?;
    parse(&text).map_err(|why| bad_column(row, col, why))
}

/// Like [`parsed`] for a column that may be NULL.
pub(crate) fn parsed_opt<T>(
    row: &Row<'_>,
    col: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, String>,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(col)?;
    text.map(|t| parse(&t).map_err(|why| bad_column(row, col, why)))
        .transpose()
}

/// Reads a JSON text column into `T`.
pub(crate) fn json<T: DeserializeOwned>(row: &Row<'_>, col: &str) -> rusqlite::Result<T> {
    parsed(row, col, |s| {
        serde_json::from_str(s).map_err(|e| format!("not the expected JSON: {e}"))
    })
}

fn bad_column(row: &Row<'_>, col: &str, why: String) -> rusqlite::Error {
    let idx = row.as_ref().column_index(col).unwrap_or(0);
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(BadValue(format!("column {col}: {why}"))))
}

/// A value as JSON text for a JSON column.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("cannot write a value as JSON: {e}")))
}

/// `Sex` is stored as `female`, `male` or the text a registry used.
pub(crate) fn sex_from_text(s: &str) -> std::result::Result<Sex, String> {
    Ok(match s {
        "female" => Sex::Female,
        "male" => Sex::Male,
        other => Sex::Other(other.to_string()),
    })
}

pub(crate) fn id_type_from_text(s: &str) -> std::result::Result<IdType, String> {
    if s.trim().is_empty() {
        return Err("empty identifier type".into());
    }
    Ok(IdType::from_wire(s))
}

/// Every closed enum of the domain (and the store's own) is stored as its
/// word: one `ToSql` and one `FromSql` for all of them, through
/// [`TextEnum`]. A word the program does not know (a hand-edited row, a
/// newer program's variant) is a conversion failure naming the enum, which
/// the store reports as [`StoreError::Unreadable`].
macro_rules! text_enum_sql {
    ($($ty:ty),+ $(,)?) => {$(
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(text_enum_to_sql(*self))
            }
        }
        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                text_enum_from_sql(value)
            }
        }
    )+};
}

text_enum_sql!(
    Algorithm,
    CheckState,
    FoundBy,
    KeyOrigin,
    MatchResult,
    ReviewDecision,
    ReviewReason,
    ReviewStatus,
    RosterStatus,
    SearchReason,
    SourceMode,
);

fn text_enum_to_sql<T: TextEnum>(value: T) -> ToSqlOutput<'static> {
    ToSqlOutput::Borrowed(ValueRef::Text(value.text().as_bytes()))
}

fn text_enum_from_sql<T: TextEnum>(value: ValueRef<'_>) -> FromSqlResult<T> {
    let s = value.as_str()?;
    s.parse::<T>()
        .map_err(|why| FromSqlError::Other(Box::new(BadValue(why))))
}

/// A count or offset from SQL (`i64`) as the unsigned number the API speaks.
pub(crate) fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// An unsigned count or offset as an SQL integer (saturating: SQLite cannot
/// hold more rows than that anyway).
pub(crate) fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_have_fixed_width_and_sort_as_text() {
        let a = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).single().unwrap_or_default();
        let b = a + chrono::Duration::milliseconds(1);
        assert_eq!(Ts::text(a), "2025-01-02T03:04:05.000Z");
        assert_eq!(Ts::text(b).len(), Ts::text(a).len());
        assert!(Ts::text(a) < Ts::text(b));
    }

    /// Every text enum goes into a column as its word and comes back; a word
    /// no variant has is `Unreadable`, never a panic.
    #[test]
    fn text_enums_round_trip_through_sql() {
        fn round_trip<T: TextEnum + ToSql + FromSql + PartialEq>(c: &rusqlite::Connection) {
            for v in <T as strum::VariantArray>::VARIANTS {
                let back: (String, T) = c
                    .query_row("SELECT ?1, ?1", [v], |r| Ok((r.get(0)?, r.get(1)?)))
                    .expect("round trip");
                assert_eq!(back, (v.text().to_string(), *v), "{}", T::WHAT);
            }
            let e = c
                .query_row("SELECT 'no-such-word'", [], |r| r.get::<_, T>(0))
                .map_err(StoreError::from);
            assert!(
                matches!(&e, Err(StoreError::Unreadable(m)) if m.contains(&format!("unknown {}", T::WHAT))
                    || m.contains("unsupported")),
                "{}: {e:?}",
                T::WHAT
            );
        }
        let c = rusqlite::Connection::open_in_memory().expect("sqlite");
        round_trip::<Algorithm>(&c);
        round_trip::<CheckState>(&c);
        round_trip::<FoundBy>(&c);
        round_trip::<KeyOrigin>(&c);
        round_trip::<MatchResult>(&c);
        round_trip::<ReviewDecision>(&c);
        round_trip::<ReviewReason>(&c);
        round_trip::<ReviewStatus>(&c);
        round_trip::<RosterStatus>(&c);
        round_trip::<SearchReason>(&c);
        round_trip::<SourceMode>(&c);
        // A NULL is not a word either.
        let e = c
            .query_row("SELECT NULL", [], |r| r.get::<_, CheckState>(0))
            .map_err(StoreError::from);
        assert!(matches!(e, Err(StoreError::Unreadable(_))), "{e:?}");
    }

    #[test]
    fn enum_texts_round_trip() {
        for f in [FoundBy::Identifier, FoundBy::OtherIdentifier, FoundBy::Demographic] {
            assert_eq!(f.as_str().parse::<FoundBy>(), Ok(f));
            assert_eq!(serde_json::to_value(f).ok(), Some(serde_json::Value::from(f.as_str())));
        }
        for o in [KeyOrigin::Pem, KeyOrigin::Jwks] {
            assert_eq!(o.as_str().parse::<KeyOrigin>(), Ok(o));
        }
        for s in [Sex::Female, Sex::Male, Sex::Other("X".into())] {
            assert_eq!(sex_from_text(s.as_str()), Ok(s.clone()));
        }
    }
}
