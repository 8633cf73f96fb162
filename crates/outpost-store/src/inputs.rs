//! Committed offsets of the server's Kafka inputs (`[[inputs]]`, kind `kafka`): the next
//! offset to read per (consumer group, topic, partition). The server writes one only after
//! the records before it were scored, stored and queued for the outputs.

use crate::{Store, StoreError, dispatch, now_ms};
use sqlx::Row;

impl Store {
    /// The committed next offsets of `group` in `topic`: (partition, next offset).
    pub async fn input_offsets(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<Vec<(i32, i64)>, StoreError> {
        dispatch!(self, p => {
            let rows = sqlx::query("SELECT partition_id, next_offset FROM input_offsets WHERE consumer_group = $1 AND topic = $2 ORDER BY partition_id")
                .bind(group).bind(topic).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let part: i64 = r.try_get("partition_id")?;
                out.push((i32::try_from(part).unwrap_or(i32::MAX), r.try_get::<i64, _>("next_offset")?));
            }
            Ok(out)
        })
    }

    /// Commits `next` as the next offset `group` reads in (`topic`, `partition`). Offsets only
    /// move forward: an older commit (a slower task of a previous run) never rewinds one.
    pub async fn commit_input_offset(
        &self,
        group: &str,
        topic: &str,
        partition: i32,
        next: i64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        dispatch!(self, p => {
            sqlx::query("INSERT INTO input_offsets (consumer_group, topic, partition_id, next_offset, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (consumer_group, topic, partition_id) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at \
                 WHERE input_offsets.next_offset < excluded.next_offset")
                .bind(group).bind(topic).bind(i64::from(partition)).bind(next).bind(now)
                .execute(p).await?;
        });
        Ok(())
    }
}
