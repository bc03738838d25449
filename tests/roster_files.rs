//! The files an import and an export leave on the laptop: safe to open in a
//! spreadsheet (a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return gets a leading `'`), readable by their owner only, and — for the
//! rejected rows — imported again exactly as they were written once fixed,
//! and written to the data directory when the roster's folder is read-only.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use ibr_desk::domain::{CheckFilter, DataSource, NewDataSource};
use ibr_desk::ibr::plan;
use ibr_desk::roster::{
    ImportOptions, ImportSummary, RosterError, RosterSettings, export_history, import_file, preview,
};
use ibr_desk::store::Store;

struct Office {
    dir: tempfile::TempDir,
    store: Store,
    source: DataSource,
}

impl Office {
    fn new() -> Office {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data").join("ibr-desk.sqlite3")).unwrap();
        let source = store
            .insert_data_source(&NewDataSource::ibr("National IBR", "https://ibr.example.org"))
            .unwrap();
        Office { dir, store, source }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn options(&self) -> ImportOptions {
        ImportOptions::new(
            self.source.id,
            ibr_desk::domain::SearchReason::Application,
            "test officer",
        )
    }

    fn try_import(&self, path: &Path, options: ImportOptions) -> Result<ImportSummary, RosterError> {
        import_file(&self.store, path, &options, &AtomicBool::new(false), &mut |_| {})
    }

    fn import(&self, path: &Path) -> ImportSummary {
        self.try_import(path, self.options())
            .unwrap_or_else(|e| panic!("import failed: {e}"))
    }
}

/// The rows of a CSV IBR Desk wrote, cells as a spreadsheet reads them.
fn rows_of(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The first character of every cell, for every cell that a spreadsheet
/// would run as a formula. Empty when the file is safe.
fn formula_cells(path: &Path) -> Vec<String> {
    rows_of(path)
        .into_iter()
        .flatten()
        .filter(|c| c.starts_with(['=', '+', '-', '@', '\t', '\r']))
        .collect()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A roster with a cell starting with each formula character, in rows the
/// import refuses (a day-first date, an unknown type), and one it accepts.
const ROSTER: &str = "given_name,surname,birth_date,sex,id_type,id_value,=note\n\
    =SUM(1+1),Diallo,,F,UIN,1001,ok\n\
    -Ana,Sow,27/03/1984,F,UIN,-12,+1+1\n\
    @Lee,+Kim,27/03/1984,F,UIN,1003,\"\t=1+1\"\n\
    '-Zoé,O'Brien,27/03/1984,F,UIN,1004,\"\r=2\"\n\
    Kofi,Mensah,,M,NID,1005,@SUM(A1)\n";

#[test]
fn the_rejected_file_defuses_each_formula_character_and_reimports_as_it_was() {
    let o = Office::new();
    let roster = o.file("roster.csv", ROSTER);
    let s = o.import(&roster);
    assert_eq!((s.imported, s.rejected), (1, 4));
    let rejected = s.rejected_file.clone().unwrap();
    assert_eq!(
        formula_cells(&rejected),
        Vec::<String>::new(),
        "{:?}",
        rows_of(&rejected)
    );
    let rows = rows_of(&rejected);
    assert_eq!(rows[0][..3], ["row", "reason", "given_name"]);
    assert_eq!(rows[0][8], "'=note", "the header is defused too");
    let row = |n: &str| rows.iter().find(|r| r[0] == n).unwrap().clone();
    assert_eq!(
        row("3")[2..],
        ["'-Ana", "Sow", "27/03/1984", "F", "UIN", "'-12", "'+1+1"]
    );
    assert_eq!(row("4")[2..4], ["'@Lee", "'+Kim"]);
    assert_eq!(row("4")[8], "'\t=1+1", "a leading tab");
    assert_eq!(
        row("5")[2..4],
        ["''-Zoé", "O'Brien"],
        "a quote mark of the roster's own is kept"
    );
    assert_eq!(row("5")[8], "'\r=2", "a leading carriage return");
    assert_eq!(row("6")[8], "'@SUM(A1)");

    // The officer fixes the dates and the type, and imports the rejected file.
    let fixed = std::fs::read_to_string(&rejected)
        .unwrap()
        .replace("27/03/1984", "1984-03-27")
        .replace(",NID,", ",UIN,");
    std::fs::write(&rejected, fixed).unwrap();
    let p = preview(Some(&o.store), &rejected, &RosterSettings::default(), 10).unwrap();
    assert_eq!(
        p.rows[0].values,
        ["-Ana", "Sow", "1984-03-27", "female", "UIN", "-12"],
        "the preview reads it back too"
    );
    let again = o.import(&rejected);
    assert_eq!((again.imported, again.rejected), (4, 0), "{:?}", again.rejected_file);
    let people = o.store.registrants(0, 10).unwrap();
    let names: Vec<(String, String, String)> = people
        .iter()
        .map(|p| {
            (
                p.given_name.clone().unwrap_or_default(),
                p.surname.clone().unwrap_or_default(),
                p.identifiers[0].value.clone(),
            )
        })
        .collect();
    for expected in [
        ("-Ana", "Sow", "-12"),
        ("@Lee", "+Kim", "1003"),
        ("'-Zoé", "O'Brien", "1004"),
        ("Kofi", "Mensah", "1005"),
    ] {
        let expected = (expected.0.to_string(), expected.1.to_string(), expected.2.to_string());
        assert!(
            names.contains(&expected),
            "{expected:?} was read back as written: {names:?}"
        );
    }
}

#[test]
fn a_rejected_file_rejected_again_is_written_as_the_first_time() {
    let o = Office::new();
    let s = o.import(&o.file("roster.csv", ROSTER));
    let first = s.rejected_file.unwrap();
    let again = o.import(&first).rejected_file.unwrap();
    // Its own `row` and `reason` columns come along as roster columns; the
    // roster's cells are as defused as the first time, not twice.
    let (a, b) = (rows_of(&first), rows_of(&again));
    assert_eq!(a.len(), b.len());
    assert_eq!(b[0][4..], a[0][2..], "the header");
    for (x, y) in a[1..].iter().zip(&b[1..]) {
        assert_eq!(y[4..], x[2..], "row {}", x[0]);
    }
}

#[test]
fn a_plain_roster_keeps_its_quote_marks() {
    // Only a rejected-rows file of ours loses the mark we added: in any other
    // roster a leading ' is the author's.
    let o = Office::new();
    o.import(&o.file("plain.csv", "given_name,surname,id_type,id_value\n'-Ann,Lee,UIN,1\n"));
    let people = o.store.registrants(0, 1).unwrap();
    assert_eq!(people[0].given_name.as_deref(), Some("'-Ann"));
}

#[test]
fn the_export_defuses_each_formula_character() {
    let o = Office::new();
    let roster = o.file(
        "roster.csv",
        "given_name,surname,id_type,id_value\n\
         =HYPERLINK(\"http://evil.example/\"),Diallo,UIN,1\n\
         +Ana,-Sow,UIN,2\n\
         @Lee,Kim,UIN,3\n",
    );
    assert_eq!(o.import(&roster).imported, 3);
    o.store.queue_roster_checks(u64::MAX, plan::queries_for).unwrap();
    let out = o.dir.path().join("history.csv");
    let e = export_history(&o.store, &CheckFilter::default(), &out, true).unwrap();
    assert_eq!(e.rows, 3);
    assert_eq!(formula_cells(&out), Vec::<String>::new(), "{:?}", rows_of(&out));
    let cells: Vec<String> = rows_of(&out).into_iter().flatten().collect();
    for defused in ["'=HYPERLINK(\"http://evil.example/\")", "'+Ana", "'-Sow", "'@Lee"] {
        assert!(cells.iter().any(|c| c == defused), "{defused:?} in {cells:?}");
    }
}

#[cfg(unix)]
#[test]
fn the_export_and_the_rejected_file_are_readable_by_their_owner_only() {
    let o = Office::new();
    let s = o.import(&o.file("roster.csv", ROSTER));
    let rejected = s.rejected_file.unwrap();
    assert_eq!(mode(&rejected), 0o600, "{}", rejected.display());
    let out = o.dir.path().join("history.csv");
    export_history(&o.store, &CheckFilter::default(), &out, false).unwrap();
    assert_eq!(mode(&out), 0o600);
    // Written again over a file others could read: the new file is private.
    use std::os::unix::fs::PermissionsExt as _;
    for f in [&rejected, &out] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    export_history(&o.store, &CheckFilter::default(), &out, false).unwrap();
    let s = o.import(&o.file("roster.csv", ROSTER));
    assert_eq!(s.rejected_file.as_deref(), Some(rejected.as_path()));
    assert_eq!((mode(&out), mode(&rejected)), (0o600, 0o600));
}

#[cfg(unix)]
#[test]
fn from_a_read_only_folder_the_rejected_rows_go_to_the_data_directory() {
    let o = Office::new();
    let roster = o.file("usb/may roster.csv", ROSTER);
    let usb = roster.parent().unwrap().to_path_buf();
    let Some(_read_only) = common::read_only::ReadOnlyFolder::make(&usb) else {
        return;
    };
    let first = o.import(&roster);
    assert_eq!((first.imported, first.rejected), (1, 4));
    assert!(first.rejected_file_in_data_dir, "{first:?}");
    let folder = o.data_dir().join("rejected");
    let one = first.rejected_file.clone().unwrap();
    assert_eq!(one.parent(), Some(folder.as_path()));
    let name = one.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("may roster.") && name.ends_with(".rejected.csv"),
        "{name}"
    );
    assert_eq!((mode(&folder), mode(&one)), (0o700, 0o600));
    assert_eq!(rows_of(&one).len(), 5, "a header and the four rows");
    assert_eq!(
        std::fs::read_dir(&usb).unwrap().count(),
        1,
        "nothing was written beside the roster"
    );

    // A second import of the same file does not overwrite the first one's.
    let second = o.import(&roster);
    let two = second.rejected_file.unwrap();
    assert_ne!(one, two);
    assert!(one.exists() && two.exists());
    assert!(
        std::fs::read_dir(&folder)
            .unwrap()
            .all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".partial"))
    );

    // A file the officer chose is written there or nowhere: no silent move.
    let mut options = o.options();
    options.rejected_file = Some(usb.join("mine.csv"));
    let e = o
        .try_import(&roster, options)
        .expect_err("the chosen folder is read-only");
    assert!(e.to_string().contains("cannot write the rejected rows to"), "{e}");
}

#[test]
fn a_writable_folder_keeps_the_rejected_rows_beside_the_roster() {
    let o = Office::new();
    let s = o.import(&o.file("office/may.csv", ROSTER));
    assert!(!s.rejected_file_in_data_dir);
    assert_eq!(
        s.rejected_file,
        Some(o.dir.path().join("office").join("may.rejected.csv"))
    );
    assert!(!o.data_dir().join("rejected").exists());
}
