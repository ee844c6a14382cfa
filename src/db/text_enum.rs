//! Enumerated TEXT columns. A domain enum names its stored spelling once (its `as_str`
//! and `parse`) and is listed in `text_columns!` below, which makes it a diesel `Text`
//! value (what `#[derive(AsExpression, FromSqlRow)]` would write, kept out of
//! `domain`) mapped on both backends and on `DbConn`.
//!
//! A stored value no variant spells has one answer, decided here: reading the row
//! fails with [`UnknownStoredValue`], a deserialization error naming the type and the
//! text, which every caller already turns into the internal-error page.

use super::MultiBackend;
use diesel::deserialize::{self, FromSql};
use diesel::internal::derives::as_expression::Bound;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::Sqlite;

/// An enum stored as one of a fixed set of words.
pub trait TextEnum: Sized + 'static {
    /// The name a deserialization error gives the type.
    const TYPE_NAME: &'static str;
    fn to_text(&self) -> &'static str;
    fn from_text(text: &str) -> Option<Self>;
}

/// A stored word that names no variant of the column's type.
#[derive(Debug, thiserror::Error)]
#[error("stored {type_name} has an unknown value {text:?}")]
pub struct UnknownStoredValue {
    pub type_name: &'static str,
    /// The stored text, cut short: these columns hold codes, never personal data,
    /// but a corrupted value must not flood the log.
    pub text: String,
}

/// The typed value of stored `text`, or the one error for a word it does not know.
pub fn decode<T: TextEnum>(text: &str) -> deserialize::Result<T> {
    T::from_text(text).ok_or_else(|| {
        Box::new(UnknownStoredValue {
            type_name: T::TYPE_NAME,
            text: text.chars().take(40).collect(),
        }) as Box<dyn std::error::Error + Send + Sync>
    })
}

/// Implements `TextEnum` (from the type's own `as_str`/`parse`) and the `Text`
/// mapping for SQLite, PostgreSQL and the portal's `DbConn`.
macro_rules! text_columns {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        impl diesel::expression::AsExpression<Text> for $ty {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<'a> diesel::expression::AsExpression<Text> for &'a $ty {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl diesel::expression::AsExpression<Nullable<Text>> for $ty {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<'a> diesel::expression::AsExpression<Nullable<Text>> for &'a $ty {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<DB: diesel::backend::Backend> ToSql<Nullable<Text>, DB> for $ty
        where
            Self: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                ToSql::<Text, DB>::to_sql(self, out)
            }
        }
        impl<ST, DB> diesel::deserialize::Queryable<ST, DB> for $ty
        where
            DB: diesel::backend::Backend,
            ST: diesel::sql_types::SingleValue,
            Self: FromSql<ST, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
        impl TextEnum for $ty {
            const TYPE_NAME: &'static str = $name;
            fn to_text(&self) -> &'static str {
                self.as_str()
            }
            fn from_text(text: &str) -> Option<Self> {
                <$ty>::parse(text)
            }
        }
        impl ToSql<Text, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                <str as ToSql<Text, Sqlite>>::to_sql(self.to_text(), out)
            }
        }
        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.to_text(), out)
            }
        }
        impl ToSql<Text, MultiBackend> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }
        impl FromSql<Text, Sqlite> for $ty {
            fn from_sql(
                bytes: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                decode(&<String as FromSql<Text, Sqlite>>::from_sql(bytes)?)
            }
        }
        impl FromSql<Text, Pg> for $ty {
            fn from_sql(
                bytes: <Pg as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                decode(&<String as FromSql<Text, Pg>>::from_sql(bytes)?)
            }
        }
        impl FromSql<Text, MultiBackend> for $ty {
            fn from_sql(
                bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                bytes.from_sql::<Self, Text>()
            }
        }
    )*};
}

use crate::domain::{
    authority::Authority,
    deadlines::Regime,
    decisions::{Outcome, VerificationLevel},
    kinds::{Jurisdiction, RequestKind},
    manual_tasks::{TaskAction, TaskStatus},
    roles::Role,
    runs::{RunAction, RunStatus},
    source::Source,
    state::Status,
};

text_columns! {
    Status => "request status",
    RequestKind => "request kind",
    Regime => "regime",
    Jurisdiction => "jurisdiction",
    Source => "request source",
    Authority => "agent authority",
    Role => "staff role",
    Outcome => "outcome",
    VerificationLevel => "verification level",
    RunAction => "connector run action",
    RunStatus => "connector run status",
    TaskAction => "manual task action",
    TaskStatus => "manual task status",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_word_names_its_type_and_text() {
        let err = decode::<Status>("bogus").expect_err("not a status");
        assert_eq!(
            err.to_string(),
            "stored request status has an unknown value \"bogus\""
        );
    }

    #[test]
    fn known_words_round_trip() {
        for s in Status::ALL {
            assert_eq!(decode::<Status>(s.to_text()).ok(), Some(s));
        }
    }
}
