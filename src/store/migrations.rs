//! The database schema, as forward-only migrations.
//!
//! Why forward only: a field office's database is the record of what was
//! checked; it is never rebuilt from elsewhere. A migration is appended, never
//! edited once released, and never undone: an older program refuses a newer
//! database (`StoreError::SchemaTooNew`) instead of guessing at it. The
//! version lives in SQLite's `user_version` (rusqlite_migration).
//!
//! Conventions the SQL follows, so that the Rust side can rely on them:
//! - `STRICT` tables: a value of the wrong type is refused, never converted.
//! - Timestamps are fixed-width RFC 3339 UTC text with milliseconds
//!   (`2025-03-01T09:30:00.000Z`, see `codec::Ts`): text order is time order.
//! - Enums are stored as their `as_str()` text with a CHECK listing the values.
//! - Lists and nested records are JSON text, checked with `json_valid`.
//! - No column ever holds a secret: client secrets and private keys live in
//!   the OS keyring (`secrets`), and the store is never given them.

use rusqlite_migration::{M, Migrations};

/// Version 1: every table of the first release.
const V1_SCHEMA: &str = r#"
CREATE TABLE data_sources (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (trim(name) <> ''),
    registry_type  TEXT NOT NULL,
    base_url       TEXT NOT NULL,
    auth_url       TEXT,
    client_id      TEXT,
    path_prefix    TEXT NOT NULL,
    mode           TEXT NOT NULL CHECK (mode IN ('sync', 'async')),
    allow_unsigned INTEGER NOT NULL CHECK (allow_unsigned IN (0, 1)),
    active         INTEGER NOT NULL CHECK (active IN (0, 1)),
    is_demo        INTEGER NOT NULL CHECK (is_demo IN (0, 1)),
    created_at     TEXT NOT NULL
) STRICT;

CREATE TABLE ibr_senders (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (trim(name) <> ''),
    -- Validated in Rust (domain::validate_sender_id) with a readable message;
    -- the CHECK is the last line of defence.
    sender_id      TEXT NOT NULL UNIQUE CHECK (sender_id <> '' AND sender_id NOT GLOB '*[^A-Za-z0-9.-]*'),
    public_key_pem TEXT,
    jwks_url       TEXT,
    algorithm      TEXT NOT NULL CHECK (algorithm IN ('ed25519', 'rs256')),
    key_fetched_at TEXT,
    active         INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at     TEXT NOT NULL
) STRICT;

CREATE TABLE sender_keys (
    id            INTEGER PRIMARY KEY,
    sender_row_id INTEGER NOT NULL REFERENCES ibr_senders (id) ON DELETE CASCADE,
    kid           TEXT,
    algorithm     TEXT NOT NULL CHECK (algorithm IN ('ed25519', 'rs256')),
    pem           TEXT NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('pem', 'jwks')),
    fetched_at    TEXT NOT NULL,
    -- Fetching the same JWKS again refreshes the row instead of adding one.
    UNIQUE (sender_row_id, pem)
) STRICT;

CREATE TABLE registrants (
    id         INTEGER PRIMARY KEY,
    given_name TEXT,
    surname    TEXT,
    birth_date TEXT,
    sex        TEXT,
    created_at TEXT NOT NULL
) STRICT;

-- No UNIQUE (id_type, value): two registrations with one identifier is
-- exactly what duplicate checks exist to find, so the store must accept it.
CREATE TABLE registrant_identifiers (
    id            INTEGER PRIMARY KEY,
    registrant_id INTEGER NOT NULL REFERENCES registrants (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL CHECK (position >= 0),
    id_type       TEXT NOT NULL CHECK (id_type <> ''),
    value         TEXT NOT NULL CHECK (value <> ''),
    UNIQUE (registrant_id, position)
) STRICT;
CREATE INDEX registrant_identifiers_by_type_value ON registrant_identifiers (id_type, value);
-- History search by identifier prefix, whatever the type.
CREATE INDEX registrant_identifiers_by_value ON registrant_identifiers (value);

CREATE TABLE duplication_checks (
    id               INTEGER PRIMARY KEY,
    -- No cascade: a check is a record of what was done and outlives edits.
    registrant_id    INTEGER NOT NULL REFERENCES registrants (id),
    given_name       TEXT,
    surname          TEXT,
    birth_date       TEXT,
    sex              TEXT,
    -- domain::normalize_name("given surname"): what name search compares.
    name_search      TEXT NOT NULL,
    identifier_type  TEXT NOT NULL CHECK (identifier_type <> ''),
    identifier_value TEXT NOT NULL CHECK (identifier_value <> ''),
    check_date       TEXT NOT NULL,
    finished_at      TEXT,
    result           TEXT CHECK (result IN ('no_match', 'possible_match', 'confirmed_match')),
    matched_programs TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(matched_programs)),
    state            TEXT NOT NULL CHECK (state IN ('ready', 'checking', 'completed', 'failed')),
    data_source_id   INTEGER REFERENCES data_sources (id) ON DELETE SET NULL,
    data_source_name TEXT NOT NULL,
    error_message    TEXT,
    error_kind       TEXT,
    transaction_id   TEXT,
    correlation_id   TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT,
    search_reason    TEXT NOT NULL
        CHECK (search_reason IN ('application', 'recertification', 'new_household_member', 'other')),
    explanation      TEXT,
    signature_note   TEXT,
    -- A result exists exactly when the check completed: a failure is never "no match".
    CHECK ((state = 'completed') = (result IS NOT NULL)),
    -- Waiting checks have a due time; finished ones have none.
    CHECK ((state IN ('ready', 'checking')) = (next_attempt_at IS NOT NULL))
) STRICT;

-- History, newest first; name_search rides along so that a name filter is
-- answered from the index without reading every row.
CREATE INDEX checks_by_date ON duplication_checks (check_date, id, name_search);
-- The queue: ready (and checking) checks by due time. Only they have a due
-- time, so the index stays as small as the queue however long the history;
-- queue queries say `next_attempt_at IS NOT NULL` (or compare it) to use it.
CREATE INDEX checks_by_state_due ON duplication_checks (state, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX checks_by_state_date ON duplication_checks (state, check_date);
CREATE INDEX checks_by_result_date ON duplication_checks (result, check_date);
CREATE INDEX checks_by_source_date ON duplication_checks (data_source_id, check_date);
CREATE INDEX checks_by_identifier ON duplication_checks (identifier_value);
CREATE INDEX checks_by_name ON duplication_checks (name_search);
CREATE INDEX checks_by_registrant ON duplication_checks (registrant_id);

-- The searches a check sends, fixed at creation so retries reuse reference IDs.
CREATE TABLE check_queries (
    check_id     INTEGER NOT NULL REFERENCES duplication_checks (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    reference_id TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (json_valid(kind)),
    PRIMARY KEY (check_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE match_candidates (
    id          INTEGER PRIMARY KEY,
    check_id    INTEGER NOT NULL REFERENCES duplication_checks (id) ON DELETE CASCADE,
    rank        INTEGER NOT NULL,
    found_by    TEXT NOT NULL CHECK (found_by IN ('identifier', 'other_identifier', 'demographic')),
    name        TEXT NOT NULL,
    birth_date  TEXT,
    sex         TEXT,
    identifiers TEXT NOT NULL CHECK (json_valid(identifiers)),
    programmes  TEXT NOT NULL CHECK (json_valid(programmes)),
    confirms    INTEGER NOT NULL CHECK (confirms IN (0, 1)),
    reasons     TEXT NOT NULL CHECK (json_valid(reasons)),
    raw         TEXT NOT NULL CHECK (json_valid(raw))
) STRICT;
CREATE INDEX match_candidates_by_check ON match_candidates (check_id, rank);

CREATE TABLE check_replies (
    check_id INTEGER PRIMARY KEY REFERENCES duplication_checks (id) ON DELETE CASCADE,
    excerpt  TEXT NOT NULL
) STRICT;

-- No foreign key on check_id: the log outlives what it mentions, and a
-- cascade would have to update or delete log rows, which the triggers forbid.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    check_id INTEGER,
    details  TEXT NOT NULL CHECK (json_valid(details))
) STRICT;
CREATE INDEX audit_log_by_check ON audit_log (check_id, id) WHERE check_id IS NOT NULL;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
"#;

/// Version 2: the word index of name search (see `history`).
///
/// One row per distinct word of a check's `name_search` (which is already
/// normalised: lower case, no accents, single spaces). A typed word is looked
/// up as a prefix range (`word >= w AND word < w'`), so the rows of one word
/// are adjacent and a rare name is found without reading the history. The
/// second index serves the cascade and the probes "has this check a word
/// starting with w". The words of existing checks are added here, sorted in
/// the table's order (so the b-tree is written front to back), before the
/// second index is built in one pass: about 7 s for a million checks.
const V2_NAME_WORDS: &str = r#"
CREATE TABLE check_name_words (
    word     TEXT NOT NULL,
    check_id INTEGER NOT NULL REFERENCES duplication_checks (id) ON DELETE CASCADE,
    PRIMARY KEY (word, check_id)
) WITHOUT ROWID, STRICT;

INSERT INTO check_name_words (word, check_id)
WITH RECURSIVE split (check_id, word, rest) AS (
    SELECT id, '', name_search || ' ' FROM duplication_checks
    UNION ALL
    SELECT check_id, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)
    FROM split WHERE rest <> ''
)
SELECT DISTINCT word, check_id FROM split WHERE word <> '' ORDER BY word, check_id;

CREATE INDEX check_name_words_by_check ON check_name_words (check_id, word);
"#;

/// Every migration, oldest first. Append only. (V2 needs no foreign key
/// check: its rows come from `duplication_checks` itself, written with foreign
/// keys enforced.)
/// Version 3: the supervisor's review queue, and the roster a check came from.
///
/// `duplication_checks.result` keeps what the rules concluded; a decision sets
/// `final_result` and `review_status`, and every decision is a row of
/// `reviews`, which is append-only like the audit log. Possible matches
/// completed before this version enter the queue.
const V3_REVIEWS: &str = r#"
ALTER TABLE duplication_checks ADD COLUMN review_status TEXT
    CHECK (review_status IN ('to_review', 'needs_information', 'decided'));
ALTER TABLE duplication_checks ADD COLUMN final_result TEXT
    CHECK (final_result IN ('no_match', 'possible_match', 'confirmed_match'));
-- The roster (CSV import) an applicant came from; rosters are described by a later version.
ALTER TABLE duplication_checks ADD COLUMN roster_id INTEGER;
ALTER TABLE registrants ADD COLUMN roster_id INTEGER;

-- The queue, oldest first; only checks that entered it.
CREATE INDEX checks_in_review ON duplication_checks (review_status, finished_at, id)
    WHERE review_status IS NOT NULL;
CREATE INDEX checks_by_roster_date ON duplication_checks (roster_id, check_date, id)
    WHERE roster_id IS NOT NULL;

CREATE TABLE reviews (
    id            INTEGER PRIMARY KEY,
    check_id      INTEGER NOT NULL REFERENCES duplication_checks (id),
    decision      TEXT NOT NULL CHECK (decision IN ('duplicate', 'not_duplicate', 'needs_more_information')),
    reason        TEXT NOT NULL CHECK (reason IN ('same_person', 'different_person_same_id', 'id_entry_error',
                                                  'name_variant', 'insufficient_data', 'other')),
    note          TEXT NOT NULL,
    reviewer      TEXT NOT NULL CHECK (trim(reviewer) <> ''),
    decided_at    TEXT NOT NULL,
    result_before TEXT CHECK (result_before IN ('no_match', 'possible_match', 'confirmed_match')),
    result_after  TEXT CHECK (result_after IN ('no_match', 'possible_match', 'confirmed_match'))
) STRICT;
CREATE INDEX reviews_by_check ON reviews (check_id, id);
CREATE INDEX reviews_by_time ON reviews (decided_at);

CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
BEGIN
    SELECT RAISE(ABORT, 'reviews are append-only');
END;
CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
BEGIN
    SELECT RAISE(ABORT, 'reviews are append-only');
END;

UPDATE duplication_checks SET review_status = 'to_review' WHERE result = 'possible_match';
"#;

/// Version 4: rosters (CSV imports).
///
/// One row per imported file, with its running counts (updated in the same
/// transaction as each chunk of rows, so they always match what was stored)
/// and the file's SHA-256 once every byte was read (a second import of the
/// same bytes is recognised). `registrants.roster_row` is the row of the file
/// a registrant came from, so that a duplicate identifier inside a file, or a
/// second import of it, can name the row that was imported first. The
/// covering index counts a roster's checks by state and result without
/// reading them (the Import screen shows their progress).
const V4_ROSTERS: &str = r#"
CREATE TABLE rosters (
    id               INTEGER PRIMARY KEY,
    file_name        TEXT NOT NULL CHECK (trim(file_name) <> ''),
    fingerprint      TEXT CHECK (fingerprint IS NULL OR length(fingerprint) = 64),
    imported_at      TEXT NOT NULL,
    finished_at      TEXT,
    actor            TEXT NOT NULL,
    data_source_id   INTEGER REFERENCES data_sources (id) ON DELETE SET NULL,
    data_source_name TEXT NOT NULL,
    search_reason    TEXT NOT NULL
        CHECK (search_reason IN ('application', 'recertification', 'new_household_member', 'other')),
    status           TEXT NOT NULL CHECK (status IN ('importing', 'finished', 'cancelled', 'failed')),
    rows_read        INTEGER NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    imported         INTEGER NOT NULL DEFAULT 0 CHECK (imported >= 0),
    rejected         INTEGER NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    rejected_file    TEXT,
    error            TEXT,
    CHECK ((status = 'importing') = (finished_at IS NULL))
) STRICT;
CREATE INDEX rosters_by_fingerprint ON rosters (fingerprint) WHERE fingerprint IS NOT NULL;

ALTER TABLE registrants ADD COLUMN roster_row INTEGER CHECK (roster_row IS NULL OR roster_row >= 1);

CREATE INDEX checks_by_roster_state ON duplication_checks (roster_id, state, result)
    WHERE roster_id IS NOT NULL;
"#;

/// Version 5: a roster's checks are written when they are taken up.
///
/// Writing a check (its row in `duplication_checks` with a dozen indexes,
/// its searches, name words and audit line) costs several times more than
/// registering the applicant, so an import only registers applicants and
/// counts them in `checks_waiting`; the engine writes their checks a batch
/// at a time as it runs them (`Store::queue_roster_checks`), oldest roster
/// first. `checks_through` is the last registrant of the roster given its
/// check: the roster's registrants after it wait. Rosters imported before
/// this version have every check written already.
///
/// And one index on identifiers instead of two: `(value, id_type,
/// registrant_id)` answers the exact look-up of an identifier (an import
/// makes one per row) and the history's search by identifier prefix
/// whatever the type, from the index alone; an import writes one random
/// index entry per identifier instead of two.
const V5_ROSTER_CHECKS_WAIT: &str = r#"
CREATE INDEX registrant_identifiers_by_value_type ON registrant_identifiers (value, id_type, registrant_id);
DROP INDEX registrant_identifiers_by_type_value;
DROP INDEX registrant_identifiers_by_value;

ALTER TABLE rosters ADD COLUMN checks_waiting INTEGER NOT NULL DEFAULT 0 CHECK (checks_waiting >= 0);
ALTER TABLE rosters ADD COLUMN checks_through INTEGER NOT NULL DEFAULT 0 CHECK (checks_through >= 0);
UPDATE rosters SET checks_through =
    coalesce((SELECT max(id) FROM registrants WHERE registrants.roster_id = rosters.id), 0);
"#;

/// Version 6: an untrusting reader of registry replies (issue 9).
///
/// - Per data source: `insecure_http` (plain http:// to a host that is not
///   loopback, a test lab's explicit choice), and the bounds its replies must
///   keep: body size, records fetched per check (all pages together), and the
///   longest signature validity (`expires - created`) accepted.
/// - Senders get the same `insecure_http` for their JWKS URL.
/// - `sender_sources`: a sender's keys verify the replies of the data sources
///   it is linked to, not of every source. Existing trust is kept as it was
///   (every sender for every source), except that the built-in demo registry
///   is trusted only for itself.
/// - `reply_headers`: the header and signature of a reply, stored once per
///   message and referenced by the checks it answered (a check used to keep a
///   copy each, of whatever size the registry sent).
const V6_UNTRUSTING_READER: &str = r#"
ALTER TABLE data_sources ADD COLUMN insecure_http INTEGER NOT NULL DEFAULT 0 CHECK (insecure_http IN (0, 1));
ALTER TABLE data_sources ADD COLUMN max_reply_bytes INTEGER NOT NULL DEFAULT 33554432 CHECK (max_reply_bytes > 0);
ALTER TABLE data_sources ADD COLUMN max_records_per_check INTEGER NOT NULL DEFAULT 500
    CHECK (max_records_per_check > 0);
ALTER TABLE data_sources ADD COLUMN max_signature_lifetime_secs INTEGER NOT NULL DEFAULT 3600
    CHECK (max_signature_lifetime_secs > 0);

ALTER TABLE ibr_senders ADD COLUMN insecure_http INTEGER NOT NULL DEFAULT 0 CHECK (insecure_http IN (0, 1));

CREATE TABLE sender_sources (
    sender_row_id  INTEGER NOT NULL REFERENCES ibr_senders (id) ON DELETE CASCADE,
    data_source_id INTEGER NOT NULL REFERENCES data_sources (id) ON DELETE CASCADE,
    PRIMARY KEY (sender_row_id, data_source_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sender_sources_by_source ON sender_sources (data_source_id, sender_row_id);
INSERT INTO sender_sources (sender_row_id, data_source_id)
    SELECT s.id, d.id FROM ibr_senders s, data_sources d
    WHERE d.is_demo = 0 OR s.sender_id = 'sandbox.ibr-desk.local';

CREATE TABLE reply_headers (
    id             INTEGER PRIMARY KEY,
    received_at    TEXT NOT NULL,
    transaction_id TEXT,
    -- JSON of the reply's header (null when the reply had none), capped in
    -- size by the code that writes it.
    header         TEXT NOT NULL CHECK (json_valid(header)),
    signature      TEXT
) STRICT;
ALTER TABLE check_replies ADD COLUMN reply_header_id INTEGER REFERENCES reply_headers (id);
"#;

const MIGRATIONS: &[M<'static>] = &[
    M::up(V1_SCHEMA).foreign_key_check(),
    M::up(V2_NAME_WORDS),
    M::up(V3_REVIEWS).foreign_key_check(),
    M::up(V4_ROSTERS).foreign_key_check(),
    M::up(V5_ROSTER_CHECKS_WAIT),
    M::up(V6_UNTRUSTING_READER).foreign_key_check(),
];

/// The migrations as rusqlite_migration runs them.
pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// The newest schema version this program knows.
pub(crate) fn latest_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
        assert_eq!(latest_version(), MIGRATIONS.len() as i64);
    }

    #[test]
    fn version_2_indexes_the_words_of_existing_checks() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("database");
        conn.pragma_update(None, "foreign_keys", "ON").expect("foreign keys");
        migrations().to_version(&mut conn, 1).expect("version 1");
        conn.execute_batch(
            "INSERT INTO registrants (id, created_at) VALUES (1, '2025-01-01T00:00:00.000Z');
             INSERT INTO duplication_checks (id, registrant_id, name_search, identifier_type, identifier_value,
                 check_date, state, data_source_name, search_reason)
             SELECT column1, 1, column2, 'UIN', column1, '2025-01-01T00:00:00.000Z', 'failed', 'IBR', 'application'
             FROM (VALUES (1, 'amina diallo'), (2, 'ola ola adebayo'), (3, ''), (4, 'lan'));",
        )
        .expect("checks at version 1");
        migrations().to_latest(&mut conn).expect("version 2");
        let mut stmt = conn
            .prepare("SELECT check_id, word FROM check_name_words ORDER BY check_id, word")
            .expect("words");
        let words = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .expect("rows");
        let expected = [(1, "amina"), (1, "diallo"), (2, "adebayo"), (2, "ola"), (4, "lan")];
        assert_eq!(words, expected.map(|(id, w)| (id, w.to_string())));
    }

    #[test]
    fn version_5_leaves_nothing_waiting_in_rosters_imported_before() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("database");
        conn.pragma_update(None, "foreign_keys", "ON").expect("foreign keys");
        migrations().to_version(&mut conn, 4).expect("version 4");
        conn.execute_batch(
            "INSERT INTO data_sources (id, name, registry_type, base_url, path_prefix, mode, allow_unsigned, active,
                 is_demo, created_at)
                 VALUES (1, 'IBR', 'ibr', 'https://ibr.example.org', 'registry', 'sync', 0, 1, 0,
                 '2025-01-01T00:00:00.000Z');
             INSERT INTO rosters (id, file_name, imported_at, finished_at, actor, data_source_id, data_source_name,
                 search_reason, status, imported)
                 VALUES (7, 'roster.csv', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', 'officer', 1, 'IBR',
                 'application', 'finished', 2);
             INSERT INTO registrants (id, created_at, roster_id, roster_row)
                 VALUES (1, '2025-01-01T00:00:00.000Z', NULL, NULL),
                        (2, '2025-01-01T00:00:00.000Z', 7, 2), (3, '2025-01-01T00:00:00.000Z', 7, 3);",
        )
        .expect("a roster at version 4");
        migrations().to_latest(&mut conn).expect("version 5");
        let (waiting, through): (i64, i64) = conn
            .query_row(
                "SELECT checks_waiting, checks_through FROM rosters WHERE id = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("roster");
        assert_eq!((waiting, through), (0, 3), "its checks were written by the import");
    }
}
