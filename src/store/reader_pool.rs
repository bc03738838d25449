//! The file store's read-only connections, shared by whoever reads.
//!
//! Why a pool and not one `Mutex<Connection>`: with one reader, a count of
//! a large history held every other read (the review queue, a check's
//! detail, the engine's look at the queue) behind it. Each read takes a
//! free connection for itself (never two users on one: a rusqlite
//! `Connection` is not `Sync`) and gives it back when done; when all are in
//! use, the next reader waits for the first one freed.
//!
//! Why hand-written: `r2d2`/`r2d2_sqlite` would add a pool manager thread,
//! health checks and a second rusqlite version pin for a fixed set of
//! connections opened once; a `Mutex<Vec<_>>` and a `Condvar` are all
//! this needs.

use std::ops::Deref;
use std::sync::{Condvar, Mutex, PoisonError};

use rusqlite::Connection;

pub(super) struct ReaderPool {
    idle: Mutex<Vec<Connection>>,
    freed: Condvar,
}

impl ReaderPool {
    pub(super) fn new(connections: Vec<Connection>) -> ReaderPool {
        ReaderPool {
            idle: Mutex::new(connections),
            freed: Condvar::new(),
        }
    }

    /// A free connection, waiting for one if all are in use. A poisoned
    /// lock only means a reader panicked; the list itself is intact.
    pub(super) fn take(&self) -> PooledReader<'_> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(conn) = idle.pop() {
                return PooledReader {
                    pool: self,
                    conn: Some(conn),
                };
            }
            idle = self.freed.wait(idle).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn give_back(&self, conn: Connection) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
        self.freed.notify_one();
    }
}

/// One read's connection; back in the pool when dropped (also on a panic).
pub(super) struct PooledReader<'a> {
    pool: &'a ReaderPool,
    /// `Some` until dropped.
    conn: Option<Connection>,
}

impl Deref for PooledReader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // `conn` is `None` only inside `drop`.
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("a pooled reader used after it was dropped"))
    }
}

impl Drop for PooledReader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use crate::store::{DATABASE_FILE, READERS, Store};

    /// Long enough for a loaded CI machine; only reached when the rule is broken.
    const BOUND: Duration = Duration::from_secs(10);

    #[test]
    fn a_read_completes_while_another_holds_a_connection() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join(DATABASE_FILE)).expect("open");
        let (holding_tx, holding_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel::<i64>();
        let store = &store;
        std::thread::scope(|s| {
            let slow = s.spawn(move || {
                store.read(|_conn| {
                    holding_tx.send(()).expect("signal");
                    // Holds its connection until the other read has finished:
                    // with a single reader connection, that read could not start.
                    Ok(done_rx.recv_timeout(BOUND).is_ok())
                })
            });
            holding_rx.recv_timeout(BOUND).expect("the slow read started");
            let version = store.schema_version().expect("a second read");
            done_tx.send(version).expect("signal");
            assert_eq!(
                slow.join().expect("no panic").ok(),
                Some(true),
                "the second read ran while the first held its connection"
            );
        });
    }

    #[test]
    fn every_connection_serves_one_reader_at_a_time() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join(DATABASE_FILE)).expect("open");
        let pool = store.readers.as_ref().expect("a file store has readers");
        let held: Vec<_> = (0..READERS).map(|_| pool.take()).collect();
        let addresses: std::collections::HashSet<_> =
            held.iter().map(|c| &**c as *const rusqlite::Connection).collect();
        assert_eq!(addresses.len(), READERS, "{READERS} different connections");
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(move || {
                let _c = pool.take();
                tx.send(()).expect("signal");
            });
            assert!(
                rx.recv_timeout(Duration::from_millis(100)).is_err(),
                "a fourth reader waits while all are in use"
            );
            drop(held);
            rx.recv_timeout(BOUND).expect("it gets the first one freed");
        });
    }
}
