//! The roster importer fed the files officers really have: the wrong
//! separator, ragged rows, quotes around separators and line breaks, a byte
//! order mark, Windows-1252 names, an empty file, a header alone, a 10 MB
//! value, a quote never closed, duplicate identifiers in the file and in the
//! store, the same file twice, and a cancelled import. Each either imports
//! every valid row and writes every other one, with its row number and
//! reason, to a file that imports once fixed, or stops with a sentence and
//! stores nothing half-written.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use ibr_desk::domain::{
    CheckFilter, CheckState, DataSource, IdType, Identifier, NewDataSource, NewRegistrant, QueryKind,
};
use ibr_desk::ibr::plan;
use ibr_desk::roster::{
    Encoding, ImportOptions, ImportSummary, MapOverride, RejectKind, RosterError, RosterSettings, export_history,
    import_file, preview,
};
use ibr_desk::store::{RosterStatus, Store};

const HEADER: &str = "given_name,surname,birth_date,sex,id_type,id_value\n";

struct Office {
    dir: tempfile::TempDir,
    store: Store,
    source: DataSource,
}

impl Office {
    fn new() -> Office {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ibr-desk.sqlite3")).unwrap();
        let source = store
            .insert_data_source(&NewDataSource::ibr("National IBR", "https://ibr.example.org"))
            .unwrap();
        Office { dir, store, source }
    }

    fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn options(&self) -> ImportOptions {
        ImportOptions::new(
            self.source.id,
            ibr_desk::domain::SearchReason::Application,
            "test officer",
        )
    }

    fn try_import(&self, path: &Path) -> Result<ImportSummary, RosterError> {
        self.try_import_with(path, self.options())
    }

    fn try_import_with(&self, path: &Path, options: ImportOptions) -> Result<ImportSummary, RosterError> {
        import_file(&self.store, path, &options, &AtomicBool::new(false), &mut |_| {})
    }

    fn import(&self, path: &Path) -> ImportSummary {
        self.try_import(path).unwrap_or_else(|e| panic!("import failed: {e}"))
    }

    /// Writes every waiting check of the imported rows, as the engine does
    /// a batch at a time when it takes them up.
    fn take_up_checks(&self) {
        self.store.queue_roster_checks(u64::MAX, plan::queries_for).unwrap();
    }

    fn registrants(&self) -> u64 {
        self.store.registrant_count().unwrap()
    }

    /// Whatever happened, what the store holds agrees with itself: every
    /// registrant of the roster has exactly one queued check, and once the
    /// engine writes them (as it does when it takes them up), each has its
    /// searches, and the roster's counts say so.
    fn assert_consistent(&self, roster_id: i64) {
        let roster = self.store.roster(roster_id).unwrap().unwrap();
        assert_ne!(roster.status, RosterStatus::Importing);
        assert_eq!(self.store.roster_registrant_count(roster_id).unwrap(), roster.imported);
        let waiting = self.store.roster_check_counts(roster_id).unwrap();
        assert_eq!((waiting.ready, waiting.total()), (roster.imported, roster.imported));
        self.take_up_checks();
        assert_eq!(self.store.roster(roster_id).unwrap().unwrap().checks_waiting, 0);
        let filter = CheckFilter {
            roster_id: Some(roster_id),
            ..CheckFilter::default()
        };
        assert_eq!(self.store.history_count(&filter).unwrap(), roster.imported);
        let counts = self.store.roster_check_counts(roster_id).unwrap();
        assert_eq!(counts.ready, roster.imported);
        for c in self.store.history_page(&filter, 0, 10_000).unwrap() {
            assert_eq!(c.state, CheckState::Ready);
            assert!(!c.queries.is_empty(), "check {} has its searches", c.id);
            assert_eq!(c.queries[0].reference_id, format!("{}-1", c.id));
        }
    }
}

/// The rejected file's rows (header first).
fn rows_of(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a byte order mark");
    let delimiter = if bytes[3..].starts_with(b"row;") { b';' } else { b',' };
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&bytes[..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn reason_of(rows: &[Vec<String>], row: u64) -> String {
    rows.iter()
        .find(|r| r[0] == row.to_string())
        .unwrap_or_else(|| panic!("row {row} is not in the rejected file: {rows:?}"))[1]
        .clone()
}

#[test]
fn good_rows_become_registrants_with_queued_checks() {
    let o = Office::new();
    let f = o.file(
        "roster.csv",
        format!("{HEADER}Amina,Diallo,1990-04-12,F,UIN,1001\nJosé,Peña,,male,brn,B-77\n,,,,DRN,D-1\n"),
    );
    let s = o.import(&f);
    assert_eq!((s.rows_read, s.imported, s.rejected, s.queued), (3, 3, 0, 3));
    assert_eq!(s.rejected_file, None, "no rejected file when nothing is rejected");
    assert!(!o.dir.path().join("roster.rejected.csv").exists());
    o.assert_consistent(s.roster_id);
    let people = o.store.registrants(0, 10).unwrap();
    assert_eq!(people[1].identifiers, [Identifier::new(IdType::Brn, "B-77")]);
    assert_eq!(people[0].birth_date, NaiveDate::from_ymd_opt(1990, 4, 12));
    let checks = o.store.history_page(&CheckFilter::default(), 0, 10).unwrap();
    let amina = checks.iter().find(|c| c.identifier_value == "1001").unwrap();
    assert!(
        matches!(amina.queries[1].kind, QueryKind::Demographic { .. }),
        "name and birth date known"
    );
    let jose = checks.iter().find(|c| c.identifier_value == "B-77").unwrap();
    assert_eq!(jose.queries.len(), 1, "no birth date: the identifier only");
    assert_eq!(
        o.store.roster(s.roster_id).unwrap().unwrap().status,
        RosterStatus::Finished
    );
}

#[test]
fn a_file_with_another_separator_says_so_and_stores_nothing() {
    let o = Office::new();
    let f = o.file(
        "colons.csv",
        "given_name:surname:birth_date:sex:id_type:id_value\nAmina:Diallo:1990-04-12:F:UIN:1001\n",
    );
    let e = o.try_import(&f).expect_err("one column");
    assert!(matches!(e, RosterError::Mapping(_)), "{e}");
    assert!(e.to_string().contains("separated by a character other than"), "{e}");
    assert!(o.store.rosters(10).unwrap().is_empty(), "no roster started");
    assert!(!o.dir.path().join("colons.rejected.csv").exists());
    assert!(!o.dir.path().join("colons.rejected.csv.partial").exists());

    // Semicolons and tabs are found by themselves.
    let semi = o.file(
        "semi.csv",
        "given_name;surname;id_type;id_value\nAmina;Diallo, Jr.;UIN;1\n",
    );
    let s = o.import(&semi);
    assert_eq!((s.imported, s.format.delimiter), (1, b';'));
    let tabs = o.file("tabs.tsv", "given_name\tsurname\tid_type\tid_value\nAwa\tSow\tUIN\t2\n");
    assert_eq!(o.import(&tabs).format.delimiter, b'\t');
}

#[test]
fn ragged_rows_are_rejected_and_the_rest_imported() {
    let o = Office::new();
    let f = o.file(
        "ragged.csv",
        format!(
            "{HEADER}Amina,Diallo,1990-04-12,F,UIN,1\nJosé,Peña, Jr.,1980-01-01,M,UIN,2\nAwa,Sow,UIN,3\nLan,Nguyen,,,UIN,4\n"
        ),
    );
    let s = o.import(&f);
    assert_eq!((s.imported, s.rejected), (2, 2));
    let rows = rows_of(s.rejected_file.as_ref().unwrap());
    assert_eq!(
        rows[0],
        [
            "row",
            "reason",
            "given_name",
            "surname",
            "birth_date",
            "sex",
            "id_type",
            "id_value"
        ]
    );
    assert!(reason_of(&rows, 3).contains("has 7 value(s) but the header has 6"));
    assert!(reason_of(&rows, 4).contains("has 4 value(s) but the header has 6"));
    // The row as it was, every value kept.
    assert_eq!(rows[1][2..], ["José", "Peña", " Jr.", "1980-01-01", "M", "UIN", "2"]);
    o.assert_consistent(s.roster_id);
}

#[test]
fn quotes_around_separators_and_line_breaks_are_one_value() {
    let o = Office::new();
    let f = o.file(
        "quotes.csv",
        format!(
            "{HEADER}\"Amina, \"\"Ami\"\"\",Diallo,1990-04-12,F,UIN,1\n\"Jean\nPierre\",Dubois,,M,UIN,2\n\"Bad\nDate\",X,\"12/04/1990\",F,UIN,3\n"
        ),
    );
    let s = o.import(&f);
    assert_eq!((s.imported, s.rejected), (2, 1));
    let names: Vec<Option<String>> = o
        .store
        .registrants(0, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.given_name)
        .collect();
    assert_eq!(
        names,
        [Some("Amina, \"Ami\"".to_string()), Some("Jean\nPierre".to_string())]
    );
    let rows = rows_of(s.rejected_file.as_ref().unwrap());
    // Row numbers count rows, as a spreadsheet shows them, not lines.
    assert!(reason_of(&rows, 4).contains("not written year-month-day"), "{rows:?}");
    assert_eq!(rows[1][2], "Bad\nDate", "written back quoted, line break kept");
}

#[test]
fn a_byte_order_mark_and_windows_1252_names_are_read() {
    let o = Office::new();
    let bom = o.file("bom.csv", format!("\u{feff}{HEADER}Zoë,Núñez,1990-04-12,F,UIN,1\n"));
    let s = o.import(&bom);
    assert_eq!((s.imported, s.format.encoding), (1, Encoding::Utf8Bom));
    assert_eq!(s.columns[0], "given_name", "the mark is not part of the first name");

    let mut cp1252 = b"Prenom;Apellido;Tipo;Numero\n".to_vec();
    cp1252.extend_from_slice(b"Zo\xEB;\xD1u\xF1ez;UIN;2\nFran\xE7ois;M\xFCller;UIN;3\n");
    let win = o.file("win.csv", cp1252);
    let s = o.import(&win);
    assert_eq!(
        (s.imported, s.format.encoding, s.format.delimiter),
        (2, Encoding::Windows1252, b';')
    );
    let people = o.store.registrants(0, 10).unwrap();
    assert_eq!(people[1].given_name.as_deref(), Some("Zoë"));
    assert_eq!(people[1].surname.as_deref(), Some("Ñuñez"));
    assert_eq!(people[2].surname.as_deref(), Some("Müller"));
    // Name search finds them typed without accents.
    o.take_up_checks();
    let found = o
        .store
        .history_count(&CheckFilter {
            text: Some("zoe nunez".into()),
            ..CheckFilter::default()
        })
        .unwrap();
    assert_eq!(found, 2, "Zoë Núñez and Zoë Ñuñez");
}

#[test]
fn a_stray_windows_1252_row_in_a_utf8_file_is_rejected_with_its_letters() {
    let o = Office::new();
    let mut bytes = HEADER.as_bytes().to_vec();
    // More than the sniffed sample of plain ASCII, then one Windows-1252 row.
    for i in 0..40_000 {
        bytes.extend_from_slice(format!("Amina,Diallo,1990-04-12,F,UIN,{i}\n").as_bytes());
    }
    bytes.extend_from_slice(b"Zo\xEB,Diallo,1990-04-12,F,UIN,X1\n");
    let f = o.file("mixed.csv", bytes);
    let s = o.import(&f);
    assert_eq!((s.imported, s.rejected, s.format.encoding), (40_000, 1, Encoding::Utf8));
    let rows = rows_of(s.rejected_file.as_ref().unwrap());
    assert!(reason_of(&rows, 40_002).contains("not valid UTF-8"));
    assert_eq!(rows[1][2], "Zoë", "written back as UTF-8, the letter kept");
}

#[test]
fn an_empty_file_or_a_header_alone_is_an_error_that_stores_nothing() {
    let o = Office::new();
    let e = o.try_import(&o.file("empty.csv", "")).expect_err("empty");
    assert!(e.to_string().contains("is empty: there is nothing to import"), "{e}");
    let e = o.try_import(&o.file("blank.csv", "\n\n  \n")).expect_err("blank");
    assert!(matches!(e, RosterError::Empty(_)), "{e}");
    let e = o.try_import(&o.file("header.csv", HEADER)).expect_err("header only");
    assert!(e.to_string().contains("has a header row but no applicants"), "{e}");
    let e = o
        .try_import(&o.file("header2.csv", format!("{HEADER},,,,,\n")))
        .expect_err("header and empty row");
    assert!(matches!(e, RosterError::HeaderOnly(_)), "{e}");
    let e = o.try_import(&o.dir.path().join("missing.csv")).expect_err("missing");
    assert!(e.to_string().starts_with("cannot open"), "{e}");
    let e = o
        .try_import(&o.file("book.xlsx", b"PK\x03\x04\x14\0\0\0"))
        .expect_err("xlsx");
    assert!(e.to_string().contains("Excel workbook"), "{e}");
    assert!(o.store.rosters(10).unwrap().is_empty());
    assert_eq!(o.registrants(), 0);
}

#[test]
fn a_10_mb_value_is_rejected_whole_and_the_other_rows_imported() {
    let o = Office::new();
    let big = "x".repeat(10 << 20);
    let f = o.file(
        "big.csv",
        format!("{HEADER}Amina,Diallo,1990-04-12,F,UIN,1\n\"{big}\",Diallo,,F,UIN,2\nAwa,Sow,,F,UIN,3\n"),
    );
    let s = o.import(&f);
    assert_eq!((s.imported, s.rejected), (2, 1));
    assert_eq!(s.reasons, [(RejectKind::ValueTooLong, 1)]);
    let rows = rows_of(s.rejected_file.as_ref().unwrap());
    assert!(
        reason_of(&rows, 3).contains("given_name is 10485760 characters long"),
        "{rows:?}"
    );
    assert_eq!(rows[1][2].len(), big.len(), "the value is written back in full");
}

#[test]
fn a_quote_never_closed_stops_with_a_sentence_and_keeps_what_came_before() {
    let o = Office::new();
    let mut text = format!("{HEADER}Amina,Diallo,1990-04-12,F,UIN,1\n\"Awa,Sow,,F,UIN,2\n");
    for i in 0..60_000 {
        text.push_str(&format!("Person,Number{i},,F,UIN,{i}x\n"));
    }
    let f = o.file("unclosed.csv", text);
    let mut options = o.options();
    options.max_row_bytes = 1 << 20;
    let e = o.try_import_with(&f, options).expect_err("too long");
    let message = e.to_string();
    assert!(
        message.contains("row 3 is longer than 1 MiB: a quote is probably never closed"),
        "{message}"
    );
    assert!(message.contains("after 1 row(s) were imported"), "{message}");
    let roster = o.store.rosters(1).unwrap().remove(0);
    assert_eq!((roster.status, roster.imported), (RosterStatus::Failed, 1));
    assert!(roster.error.unwrap().contains("never closed"));
    o.assert_consistent(roster.id);
}

#[test]
fn duplicates_in_the_file_and_in_the_store_are_rejected_with_where_they_are() {
    let o = Office::new();
    let by_hand = o
        .store
        .insert_registrant(&NewRegistrant {
            given_name: Some("Lan".into()),
            surname: Some("Nguyen".into()),
            birth_date: None,
            sex: None,
            identifiers: vec![Identifier::new(IdType::Uin, "900")],
        })
        .unwrap();
    let f = o.file(
        "dups.csv",
        format!("{HEADER}Amina,Diallo,,F,UIN,1\nAmina,Diallo,,F,uin,1\nLan,Nguyen,,F,UIN,900\nAmina,Diallo,,F,BRN,1\n"),
    );
    let s = o.import(&f);
    assert_eq!(
        (s.imported, s.rejected),
        (2, 2),
        "the same value under another type is another identifier"
    );
    let rows = rows_of(s.rejected_file.as_ref().unwrap());
    assert!(
        reason_of(&rows, 3).contains("The same UIN is on row 2 of this file"),
        "{rows:?}"
    );
    assert!(
        reason_of(&rows, 4).contains(&format!(
            "already registered here (registrant {}, entered by hand)",
            by_hand.id
        )),
        "{rows:?}"
    );
    assert!(
        !reason_of(&rows, 4).contains("900"),
        "reasons do not quote identifier values"
    );
    assert_eq!(
        s.reasons,
        [(RejectKind::DuplicateInFile, 1), (RejectKind::AlreadyRegistered, 1)]
    );
}

#[test]
fn importing_the_same_file_again_creates_nothing() {
    let o = Office::new();
    let f = o.file(
        "roster.csv",
        format!("{HEADER}Amina,Diallo,1990-04-12,F,UIN,1\nAwa,Sow,,F,UIN,2\nBad,Row,,F,NID,3\n"),
    );
    let first = o.import(&f);
    assert_eq!((first.imported, first.rejected), (2, 1));
    let second = o.import(&f);
    assert_eq!((second.imported, second.rejected, second.queued), (0, 3, 0));
    assert_eq!(second.earlier_imports, [first.roster_id]);
    assert_eq!(o.registrants(), 2);
    assert_eq!(o.store.queue_counts().unwrap().ready, 2);
    let rows = rows_of(second.rejected_file.as_ref().unwrap());
    assert!(
        reason_of(&rows, 2).contains(&format!("imported from roster {}, row 2", first.roster_id)),
        "{rows:?}"
    );
    assert!(reason_of(&rows, 4).contains("\"NID\" is not UIN"), "{rows:?}");
    o.assert_consistent(second.roster_id);
}

#[test]
fn a_cancelled_import_keeps_whole_chunks_and_continues_when_imported_again() {
    let o = Office::new();
    let mut text = HEADER.to_string();
    for i in 0..10_000 {
        text.push_str(&format!("Person{i},Diallo,1990-04-12,F,UIN,{i}\n"));
    }
    let f = o.file("long.csv", text);
    let mut options = o.options();
    options.chunk_rows = 1_000;
    let cancel = AtomicBool::new(false);
    let mut reports = Vec::new();
    let s = import_file(&o.store, &f, &options, &cancel, &mut |p| {
        reports.push(*p);
        if p.rows_read >= 3_000 {
            cancel.store(true, Ordering::Relaxed);
        }
    })
    .unwrap();
    assert!(s.cancelled);
    assert!(s.imported >= 3_000 && s.imported < 10_000, "{}", s.imported);
    assert_eq!(s.imported % 1_000, 0, "whole chunks only");
    assert_eq!(s.rows_read, s.imported);
    assert!(reports.windows(2).all(|w| w[0].rows_read <= w[1].rows_read));
    assert!(reports.iter().any(|p| p.bytes_read > 0 && p.bytes_read < p.bytes_total));
    let roster = o.store.roster(s.roster_id).unwrap().unwrap();
    assert_eq!((roster.status, roster.fingerprint), (RosterStatus::Cancelled, None));
    o.assert_consistent(s.roster_id);
    assert_eq!(
        o.store.queue_counts().unwrap().ready,
        s.imported,
        "their checks are queued"
    );

    let rest = o.try_import_with(&f, options).unwrap();
    assert_eq!((rest.imported, rest.rejected), (10_000 - s.imported, s.imported));
    assert_eq!(o.registrants(), 10_000);
    o.assert_consistent(rest.roster_id);
}

#[test]
fn every_rejected_row_is_in_the_rejected_file_and_imports_once_fixed() {
    let o = Office::new();
    let f = o.file(
        "may.csv",
        "Prénom;Nom;Date de naissance;Sexe;Type;Numéro\n\
         Amina;Diallo;1990-04-12;F;UIN;1\n\
         Awa;Sow;27/03/1984;F;UIN;2\n\
         Lan;Nguyen;2999-01-01;F;UIN;3\n\
         Kofi;Mensah;;M;;4\n\
         Ama;Owusu;;F;UIN;\n\
         Yaw;Boateng;;M;NID;6\n",
    );
    let s = o.import(&f);
    assert_eq!((s.rows_read, s.imported, s.rejected), (6, 1, 5));
    let rejected = s.rejected_file.clone().unwrap();
    assert_eq!(rejected, o.dir.path().join("may.rejected.csv"));
    let rows = rows_of(&rejected);
    assert_eq!(rows.len(), 6, "a header and every rejected row");
    assert_eq!(rows[0][..4], ["row", "reason", "Prénom", "Nom"]);
    let expected = [
        (3, "27/03/1984"),
        (4, "in the future"),
        (5, "identifier type (id_type) is empty"),
        (6, "identifier (id_value) is empty"),
        (7, "\"NID\" is not UIN"),
    ];
    for (row, words) in expected {
        assert!(reason_of(&rows, row).contains(words), "row {row}: {rows:?}");
    }

    // The officer fixes the rows in the rejected file and imports it.
    let fixed = std::fs::read_to_string(&rejected)
        .unwrap()
        .replace("27/03/1984", "1984-03-27")
        .replace("2999-01-01", "1999-01-01")
        .replace(";M;;4", ";M;UIN;4")
        .replace(";F;UIN;\n", ";F;UIN;5\n")
        .replace(";NID;", ";BRN;");
    std::fs::write(&rejected, fixed).unwrap();
    let again = o.import(&rejected);
    assert_eq!((again.imported, again.rejected), (5, 0), "{:?}", again.rejected_file);
    assert_eq!(o.registrants(), 6);
    o.assert_consistent(again.roster_id);
}

#[test]
fn columns_can_be_mapped_by_hand() {
    let o = Office::new();
    let f = o.file(
        "de.csv",
        "Vorname,Name,Geburtstag,Kennung\nAmina,Diallo,1990-04-12,1001\n",
    );
    let e = o.try_import(&f).expect_err("not guessed");
    assert!(e.to_string().contains("no column holds the identifier"), "{e}");
    let mut options = o.options();
    options.settings = RosterSettings {
        overrides: [
            "given_name=Vorname",
            "surname=2",
            "birth_date=geburtstag",
            "id_value=4",
            "id_type=UIN",
        ]
        .iter()
        .map(|m| m.parse::<MapOverride>().unwrap())
        .collect(),
        ..RosterSettings::default()
    };
    let s = o.try_import_with(&f, options).unwrap();
    assert_eq!(s.imported, 1);
    let r = &o.store.registrants(0, 1).unwrap()[0];
    assert_eq!(
        (r.surname.as_deref(), r.identifiers[0].id_type.clone()),
        (Some("Diallo"), IdType::Uin)
    );
}

#[test]
fn the_preview_shows_rows_as_they_will_be_imported() {
    let o = Office::new();
    o.import(&o.file("first.csv", format!("{HEADER}Amina,Diallo,,F,UIN,1\n")));
    let f = o.file(
        "next.csv",
        format!("{HEADER}Amina,Diallo,,F,UIN,1\nAwa,Sow,1984-03-27,female,uin,2\nAwa,Sow,,F,UIN,2\nX,Y,,F,NID,3\n"),
    );
    let p = preview(Some(&o.store), &f, &RosterSettings::default(), 3).unwrap();
    assert_eq!(p.rows.len(), 3);
    assert!(p.more_rows);
    assert!(p.mapping_problem.is_none());
    assert_eq!(p.rows[0].row, 2);
    assert!(p.rows[0].problem.as_deref().unwrap().contains("already registered"));
    assert_eq!(p.rows[1].values, ["Awa", "Sow", "1984-03-27", "female", "UIN", "2"]);
    assert_eq!(p.rows[1].problem, None);
    assert!(p.rows[2].problem.as_deref().unwrap().contains("row 3 of this file"));
    assert_eq!(o.registrants(), 1, "a preview stores nothing");
}

#[test]
fn the_export_masks_identifiers_unless_asked_and_carries_the_decision_columns() {
    let o = Office::new();
    let s = o.import(&o.file("r.csv", format!("{HEADER}Amina,Diallo,,F,UIN,4567890123\n")));
    o.take_up_checks();
    let out = o.dir.path().join("history.csv");
    let e = export_history(&o.store, &CheckFilter::default(), &out, false).unwrap();
    assert_eq!(e.rows, 1);
    let text = std::fs::read_to_string(&out).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with("review_status,final_result,roster_id"), "{header}");
    assert!(text.contains("******0123") && !text.contains("4567890123"), "{text}");
    assert!(text.contains(&format!(",{}\n", s.roster_id)), "{text}");
    assert!(!o.dir.path().join("history.csv.partial").exists());
    export_history(&o.store, &CheckFilter::default(), &out, true).unwrap();
    assert!(std::fs::read_to_string(&out).unwrap().contains("4567890123"));
}
