//! `ibr-desk import` as a person runs it: a roster with bad rows, the JSON
//! summary, the rejected file, a second import of the same file, columns
//! mapped by hand, and the errors that stop an import before it starts.

mod common;

use std::path::Path;

use common::cli::{json, run, text};

fn add_source(dir: &Path, name: &str) {
    let o = run(
        dir,
        &["source", "add", "--name", name, "--base-url", "https://ibr.example.org"],
    );
    assert!(o.status.success(), "{}", text(&o));
}

const ROSTER: &str = "given_name,surname,birth_date,sex,id_type,id_value\n\
    Amina,Diallo,1990-04-12,F,UIN,1001\n\
    José,Peña,27/03/1984,M,UIN,1002\n\
    Awa,Sow,,F,BRN,B-1\n\
    Lan,Nguyen,,F,NID,1004\n\
    Kofi,Mensah,1985-01-01,M,UIN,1005\n";

#[test]
fn import_prints_a_json_summary_and_writes_the_rejected_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    add_source(d, "National IBR");
    let roster = d.join("roster.csv");
    std::fs::write(&roster, ROSTER).unwrap();

    let o = run(d, &["import", roster.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let s = json(&o);
    assert_eq!(
        (s["imported"].as_u64(), s["rejected"].as_u64(), s["queued"].as_u64()),
        (Some(3), Some(2), Some(3))
    );
    assert_eq!(s["roster_id"], 1);
    assert!(s["seconds"].as_f64().is_some(), "{s}");
    assert_eq!(s["reasons"]["malformed_birth_date"], 1);
    assert_eq!(s["reasons"]["unknown_id_type"], 1);
    let rejected = s["rejected_file"].as_str().expect("a rejected file");
    assert_eq!(Path::new(rejected), d.join("roster.rejected.csv"));
    let rows = std::fs::read_to_string(rejected).unwrap();
    assert!(rows.starts_with("\u{feff}row,reason,given_name,surname"), "{rows}");
    assert!(rows.contains("\n3,") && rows.contains("\n5,"), "{rows}");
    assert!(rows.contains("27/03/1984") && rows.contains("NID"), "{rows}");

    // The checks wait in the queue for `queue run` (or the window), which
    // writes them into the history as it starts them.
    let h = json(&run(d, &["history", "--json"]));
    assert_eq!(
        (h["total"].as_u64(), h["roster_checks_waiting"].as_u64()),
        (Some(0), Some(3))
    );
    let t = text(&run(d, &["history"]));
    assert!(t.contains("3 check(s) of imported rosters wait in the queue"), "{t}");

    // The same file again: nothing new.
    let again = json(&run(d, &["import", roster.to_str().unwrap(), "--json"]));
    assert_eq!(
        (again["imported"].as_u64(), again["rejected"].as_u64()),
        (Some(0), Some(5))
    );
    assert_eq!(again["earlier_imports"], serde_json::json!([1]));
    assert_eq!(again["reasons"]["already_registered"], 3);
    let h = json(&run(d, &["history", "--json"]));
    assert_eq!(h["roster_checks_waiting"], 3, "no new check either");

    // In words, without --json.
    std::fs::write(d.join("more.csv"), "id_type,id_value\nUIN,2001\n").unwrap();
    let o = run(d, &["import", d.join("more.csv").to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("Imported 1 of 1 row(s)"), "{t}");
    assert!(t.contains("`ibr-desk queue run` runs them"), "{t}");

    // (`cli_checks.rs` runs an imported roster's checks and exports them.)
}

#[test]
fn columns_map_by_hand_and_errors_are_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let roster = d.join("liste.csv");
    std::fs::write(&roster, "Vorname;Name;Kennung\nAmina;Diallo;1001\nAwa;Sow;\n").unwrap();
    let path = roster.to_str().unwrap();

    let o = run(d, &["import", path]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("error: there is no active data source"),
        "{}",
        text(&o)
    );

    add_source(d, "National IBR");
    add_source(d, "Regional IBR");
    let o = run(d, &["import", path]);
    assert!(
        text(&o).contains("choose the data source the checks will ask with --source"),
        "{}",
        text(&o)
    );

    let o = run(d, &["import", path, "--source", "Regional IBR"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no column holds the identifier"), "{}", text(&o));

    let o = run(d, &["import", path, "--source", "Regional IBR", "--map", "nickname=1"]);
    assert_eq!(o.status.code(), Some(2), "a usage error: {}", text(&o));
    assert!(text(&o).contains("not a field"), "{}", text(&o));

    let elsewhere = d.join("to-fix.csv");
    let o = run(
        d,
        &[
            "import",
            path,
            "--source",
            "Regional IBR",
            "--map",
            "given_name=Vorname",
            "--map",
            "surname=2",
            "--map",
            "id_value=Kennung",
            "--map",
            "id_type=UIN",
            "--reason",
            "recertification",
            "--rejected",
            elsewhere.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let s = json(&o);
    assert_eq!((s["imported"].as_u64(), s["rejected"].as_u64()), (Some(1), Some(1)));
    assert_eq!(s["data_source"], "Regional IBR");
    assert_eq!(Path::new(s["rejected_file"].as_str().unwrap()), elsewhere);
    let rows = std::fs::read_to_string(&elsewhere).unwrap();
    assert!(
        rows.contains("3;The identifier (id_value) is empty.;Awa;Sow;"),
        "{rows}"
    );

    std::fs::write(d.join("empty.csv"), "").unwrap();
    let o = run(
        d,
        &[
            "import",
            d.join("empty.csv").to_str().unwrap(),
            "--source",
            "Regional IBR",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("is empty: there is nothing to import"),
        "{}",
        text(&o)
    );
}

#[cfg(unix)]
#[test]
fn from_a_read_only_folder_the_rejected_rows_go_to_the_data_directory_and_the_summary_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    add_source(&d, "National IBR");
    let usb = dir.path().join("usb");
    std::fs::create_dir(&usb).unwrap();
    let roster = usb.join("roster.csv");
    std::fs::write(&roster, ROSTER).unwrap();
    let Some(_read_only) = common::read_only::ReadOnlyFolder::make(&usb) else {
        return;
    };
    let o = run(&d, &["import", roster.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let s = json(&o);
    assert_eq!(s["rejected_file_in_data_dir"], true, "{s}");
    let rejected = Path::new(s["rejected_file"].as_str().expect("a rejected file")).to_path_buf();
    assert_eq!(rejected.parent(), Some(d.join("rejected").as_path()), "{s}");
    assert!(std::fs::read_to_string(&rejected).unwrap().contains("27/03/1984"));

    let o = run(&d, &["import", roster.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("cannot be written (read-only?)"), "{t}");
    let second = std::fs::read_dir(d.join("rejected"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p != &rejected)
        .expect("the second import's own file");
    assert!(t.contains(&second.display().to_string()), "the summary names it: {t}");
}
