//! Rows written into PostgreSQL as they come from another database (`migrate-db`).

use postgres::types::ToSql;
use rusqlite::types::Value;

use super::Pg;
use crate::error::{Error, Result};

impl Pg {
    /// Whether the database holds no feed and no article (a copy goes only into such a one).
    pub(in crate::store) fn is_empty(&self) -> Result<bool> {
        self.run(|s| {
            Ok(s.main
                .query_one(
                    "SELECT NOT EXISTS (SELECT 1 FROM feeds) AND NOT EXISTS (SELECT 1 FROM articles)",
                    &[],
                )?
                .get(0))
        })
    }

    /// The type of each named column of `table` (`bigint`, `text`, `bytea`, ...).
    pub(in crate::store) fn column_types(
        &self,
        table: &str,
        columns: &[String],
    ) -> Result<Vec<String>> {
        let (table, columns) = (table.to_string(), columns.to_vec());
        self.run(move |s| {
            columns
                .iter()
                .map(|c| {
                    let row = s.main.query_opt(
                        "SELECT data_type FROM information_schema.columns
                         WHERE table_schema = current_schema() AND table_name = $1
                           AND column_name = $2",
                        &[&table, c],
                    )?;
                    row.map(|r| r.get(0)).ok_or_else(|| {
                        Error::Usage(format!(
                            "migrate-db: the PostgreSQL table {table} has no column {c}"
                        ))
                    })
                })
                .collect()
        })
    }

    /// Inserts `rows` (values in the order of `columns`, typed by `types`) into `table`,
    /// inside the open batch.
    pub(in crate::store) fn insert_rows(
        &self,
        table: &str,
        columns: &[String],
        types: &[String],
        rows: Vec<Vec<Value>>,
    ) -> Result<()> {
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            marks.join(", ")
        );
        let types = types.to_vec();
        self.run(move |s| {
            let statement = s.main.prepare(&sql)?;
            for row in rows {
                let values = row
                    .into_iter()
                    .zip(&types)
                    .map(|(v, t)| typed(v, t))
                    .collect::<Result<Vec<_>>>()?;
                let refs: Vec<&(dyn ToSql + Sync)> = values
                    .iter()
                    .map(|v| -> &(dyn ToSql + Sync) { &**v })
                    .collect();
                s.main.execute(&statement, &refs)?;
            }
            Ok(())
        })
    }

    /// Moves each identity column past the highest id copied, so new rows get new ids.
    pub(in crate::store) fn reset_ids(&self) -> Result<()> {
        self.run(|s| {
            for table in ["feeds", "articles"] {
                s.main.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    ),
                    &[],
                )?;
            }
            Ok(())
        })
    }
}

/// A SQLite value as the PostgreSQL column type `ty` takes it.
fn typed(v: Value, ty: &str) -> Result<Box<dyn ToSql + Sync + Send>> {
    let mismatch = |v: &Value| Error::Usage(format!("migrate-db: cannot store {v:?} as {ty}"));
    Ok(match (ty, v) {
        ("bigint", Value::Integer(i)) => Box::new(Some(i)),
        ("bigint", Value::Null) => Box::new(None::<i64>),
        ("text", Value::Text(t)) => Box::new(Some(t)),
        ("text", Value::Null) => Box::new(None::<String>),
        ("bytea", Value::Blob(b)) => Box::new(Some(b)),
        ("bytea", Value::Null) => Box::new(None::<Vec<u8>>),
        (_, v) => return Err(mismatch(&v)),
    })
}
