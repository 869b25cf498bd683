//! How an article's item is recorded beside its text: where its date came from, its categories.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// Where an article's date (`published_at`) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    /// The item's own publication (or update) date.
    Feed,
    /// The item had no date feedmark could read: the time feedmark first saw it, kept from
    /// then on so that the article's file never moves.
    FirstSeen,
}

impl DateSource {
    /// The name stored in `articles.date_source`.
    pub fn as_str(self) -> &'static str {
        match self {
            DateSource::Feed => "feed",
            DateSource::FirstSeen => "first-seen",
        }
    }

    /// The date source stored under `name`; a name feedmark never wrote is an error naming
    /// it (the message both backends give).
    pub fn from_stored(name: &str) -> Result<DateSource, String> {
        match name {
            "feed" => Ok(DateSource::Feed),
            "first-seen" => Ok(DateSource::FirstSeen),
            other => Err(format!("unknown date source `{other}`")),
        }
    }
}

impl ToSql for DateSource {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

/// Reads a stored date source; a name feedmark never wrote is an error naming it.
impl FromSql for DateSource {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<DateSource> {
        DateSource::from_stored(value.as_str()?).map_err(|e| FromSqlError::Other(e.into()))
    }
}

/// The categories column's text: a JSON array of strings, `NULL` for none.
pub(in crate::store) fn categories_json(categories: &[String]) -> Option<String> {
    if categories.is_empty() {
        return None;
    }
    serde_json::to_string(categories).ok()
}

/// The categories a stored column holds; a value feedmark did not write (edited by hand)
/// is logged and read as none, rather than failing the export of the whole archive.
pub(in crate::store) fn categories_from_json(text: Option<&str>) -> Vec<String> {
    let Some(text) = text else {
        return Vec::new();
    };
    serde_json::from_str(text).unwrap_or_else(|e| {
        tracing::warn!(
            "stored categories `{text}` are not a JSON list of strings ({e}); read as none"
        );
        Vec::new()
    })
}
