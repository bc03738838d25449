//! How often the store uses each kind of connection: the evidence behind
//! "queries per completed batch" and "reader queries per second" (issue 10).
//!
//! Why atomics: the counters sit on every read and write, from the engine's
//! blocking threads and the window's requests at once; a relaxed increment
//! costs nothing beside a SQLite statement, and a snapshot need not be
//! consistent across the two roles to the query.

use std::sync::atomic::{AtomicU64, Ordering};

/// Uses of the store's connections since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryCounts {
    /// Write transactions and other uses of the writer connection.
    pub writer: u64,
    /// Reads (on a read-only connection, or on the writer in memory).
    pub reader: u64,
}

impl QueryCounts {
    /// Both roles together.
    pub fn total(&self) -> u64 {
        self.writer.saturating_add(self.reader)
    }

    /// What was counted between `earlier` and `self`.
    pub fn since(&self, earlier: QueryCounts) -> QueryCounts {
        QueryCounts {
            writer: self.writer.saturating_sub(earlier.writer),
            reader: self.reader.saturating_sub(earlier.reader),
        }
    }
}

/// The live counters of one store.
#[derive(Debug, Default)]
pub(super) struct Counters {
    writer: AtomicU64,
    reader: AtomicU64,
}

impl Counters {
    pub(super) fn count_writer(&self) {
        self.writer.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_reader(&self) {
        self.reader.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> QueryCounts {
        QueryCounts {
            writer: self.writer.load(Ordering::Relaxed),
            reader: self.reader.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::QueryCounts;
    use crate::store::testutil;

    #[test]
    fn reads_and_writes_are_counted_by_role() {
        let store = testutil::store();
        let before = store.query_counts();
        let source = testutil::source(&store, "National IBR");
        let after_write = store.query_counts().since(before);
        assert_eq!(after_write.writer, 1, "one insert, one transaction");
        assert_eq!(after_write.reader, 0);
        store.data_source(source.id).expect("read");
        store.data_sources().expect("read");
        let after_reads = store.query_counts().since(before);
        assert_eq!(after_reads, QueryCounts { writer: 1, reader: 2 });
        assert_eq!(after_reads.total(), 3);
    }

    #[test]
    fn a_file_store_counts_its_readers_too() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::Store::open(&dir.path().join(crate::store::DATABASE_FILE)).expect("open");
        let before = store.query_counts();
        store.schema_version().expect("read");
        store.set_setting("k", "v").expect("write");
        assert_eq!(store.query_counts().since(before), QueryCounts { writer: 1, reader: 1 });
    }
}
