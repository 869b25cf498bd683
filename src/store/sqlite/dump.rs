//! Reads a SQLite database table by table, for copying it elsewhere (`migrate-db`).

use rusqlite::types::Value;

use super::Sqlite;
use crate::error::Result;

impl Sqlite {
    /// feedmark's tables with their columns, parents first (feeds, articles, then the
    /// rest by name), `schema_migrations` left out: the target has its own.
    pub(in crate::store) fn tables(&self) -> Result<Vec<(String, Vec<String>)>> {
        let mut names: Vec<String> = self
            .conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations'
                 ORDER BY name",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let rank = |n: &str| match n {
            "feeds" => 0,
            "articles" => 1,
            _ => 2,
        };
        names.sort_by_key(|n| rank(n));
        names
            .into_iter()
            .map(|t| {
                let columns = self
                    .conn
                    .prepare(&format!(
                        "SELECT name FROM pragma_table_info('{t}') ORDER BY cid"
                    ))?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok((t, columns))
            })
            .collect()
    }

    /// Calls `f` with each row of `table` (values in the order of `columns`), in chunks of
    /// at most `chunk` rows, so that a table of kept pages never sits whole in memory.
    pub(in crate::store) fn each_chunk(
        &self,
        table: &str,
        columns: &[String],
        chunk: usize,
        mut f: impl FnMut(Vec<Vec<Value>>) -> Result<()>,
    ) -> Result<u64> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {} FROM {table}", columns.join(", ")))?;
        let mut rows = stmt.query([])?;
        let (mut batch, mut total) = (Vec::with_capacity(chunk), 0);
        while let Some(row) = rows.next()? {
            let values = (0..columns.len())
                .map(|i| row.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            batch.push(values);
            total += 1;
            if batch.len() == chunk {
                f(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            f(batch)?;
        }
        Ok(total)
    }
}
