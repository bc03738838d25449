//! The Import roster screen driven as an officer drives it (egui_kittest):
//! choose a file (the file dialog answers with a path, as the test's
//! stand-in for the system's), read the preview with its rejected rows,
//! import, read the counts and the rejected file, watch the roster's checks
//! run against the built-in demo registry, and export the history. Steps
//! frames until what a person would wait for appears, with a bound.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use common::*;
use ibr_desk::store::RosterStatus;
use ibr_desk::ui::Screen;
use ibr_desk::ui::screens::import::{FileDialogs, set_file_dialogs};

/// The file dialogs, answered by the test.
#[derive(Default)]
struct Dialogs {
    roster: Mutex<Option<PathBuf>>,
    export: Mutex<Option<PathBuf>>,
    /// The file names the window suggested for exports.
    suggested: Mutex<Vec<String>>,
}

impl FileDialogs for Dialogs {
    fn pick_roster(&self) -> Option<PathBuf> {
        self.roster.lock().unwrap().clone()
    }

    fn save_export(&self, suggested: &str) -> Option<PathBuf> {
        self.suggested.lock().unwrap().push(suggested.to_string());
        self.export.lock().unwrap().clone()
    }
}

#[test]
fn an_officer_imports_a_roster_with_bad_rows_and_watches_its_checks() {
    let mut desk = Desk::open();
    // The demo registry is the data source on a first run.
    desk.wait_for_label("Run sample checks on the demo registry");
    let roster = desk.dir.path().join("may-roster.csv");
    std::fs::write(
        &roster,
        "Prénom;Nom;Date de naissance;Sexe;Type;Numéro\n\
         Zoë;Núñez;1990-04-12;F;UIN;7000000001\n\
         Kofi;Mensah;27/03/1984;M;UIN;7000000002\n\
         Awa;Sow;;F;UIN;7000000003\n\
         Lan;Nguyen;1985-01-01;F;NID;7000000004\n\
         Ama;Owusu;2001-07-30;F;brn;B2001-7000005\n\
         Yaw;Boateng;1979-11-02;M;UIN;7000000001\n",
    )
    .unwrap();
    let export = desk.dir.path().join("history.csv");
    let dialogs = Arc::new(Dialogs::default());
    *dialogs.roster.lock().unwrap() = Some(roster.clone());
    *dialogs.export.lock().unwrap() = Some(export.clone());
    set_file_dialogs(&desk.harness.ctx, dialogs.clone());

    desk.harness.state_mut().show_screen(Screen::Import);
    desk.wait_for_label("Import roster");
    desk.click("Choose file…");
    // Step 2 and 3: the columns guessed from the French header, the first rows with their reasons.
    desk.wait_for_label("rejected: The birth date \"27/03/1984\" is not written year-month-day");
    assert!(has(
        &desk.harness,
        "rejected: The identifier type \"NID\" is not UIN, BRN, MRN or DRN."
    ));
    assert!(has(&desk.harness, "rejected: The same UIN is on row 2 of this file"));
    assert!(
        !has(&desk.harness, "7000000003"),
        "identifier values are masked in the preview"
    );
    assert!(has(&desk.harness, "••••••0003"));
    assert_eq!(desk.store.registrant_count().unwrap(), 0, "a preview stores nothing");

    desk.click("Start import");
    desk.wait_for_label("Import finished");
    let r = desk.store.rosters(1).unwrap().remove(0);
    assert_eq!((r.status, r.imported, r.rejected), (RosterStatus::Finished, 3, 3));
    assert!(has(
        &desk.harness,
        "Rejected rows (1 unknown identifier type, 1 malformed birth date, 1 duplicate identifier in the file)"
    ));
    let rejected = desk.dir.path().join("may-roster.rejected.csv");
    assert!(
        has(&desk.harness, &rejected.display().to_string()),
        "the rejected file is named"
    );
    let rows = std::fs::read_to_string(&rejected).unwrap();
    assert_eq!(rows.lines().count(), 4, "{rows}");
    assert!(
        rows.contains("\n3;") && rows.contains("\n5;") && rows.contains("\n7;"),
        "{rows}"
    );

    // The roster's checks run in batches against the demo registry.
    desk.wait_for_label("0 queued · 0 running · ");
    assert!(has(
        &desk.harness,
        "3 no match · 0 possible match · 0 confirmed match · 0 failed"
    ));
    assert_eq!(desk.store.roster_check_counts(r.id).unwrap().no_match, 3);

    // Export the history, masked by default.
    desk.click("Export CSV…");
    let path = export.clone();
    desk.wait_until("the export to be written", move |_| path.exists());
    let text = std::fs::read_to_string(&export).unwrap();
    assert!(text.contains("******0001") && !text.contains("7000000001"), "{text}");
    assert_eq!(*dialogs.suggested.lock().unwrap(), ["ibr-desk-history.csv"]);

    // And another file.
    desk.click("Import another file");
    desk.wait_for_label("Choose file…");
}

#[test]
fn the_checks_screen_exports_what_its_filters_show() {
    use ibr_desk::domain::{ApplicantSnapshot, IdType, NewCheck, SearchReason};
    let mut desk = Desk::open();
    desk.wait_for_label("Run sample checks on the demo registry");
    let source = desk.store.data_sources().unwrap().remove(0);
    for (given, uin) in [("Amina", "8000000001"), ("Kofi", "8000000002")] {
        let r = desk
            .store
            .insert_registrant(&applicant(given, "Mensah", None, &[(IdType::Uin, uin)]))
            .unwrap();
        desk.store
            .insert_check(
                &NewCheck {
                    registrant_id: r.id,
                    applicant: ApplicantSnapshot {
                        given_name: r.given_name.clone(),
                        surname: r.surname.clone(),
                        birth_date: None,
                        sex: None,
                    },
                    identifier_type: IdType::Uin,
                    identifier_value: uin.into(),
                    data_source_id: source.id,
                    search_reason: SearchReason::Application,
                    queries: ibr_desk::ibr::plan::queries_for(&r),
                },
                "test officer",
            )
            .unwrap();
    }
    let export = desk.dir.path().join("amina.csv");
    let dialogs = Arc::new(Dialogs::default());
    *dialogs.export.lock().unwrap() = Some(export.clone());
    set_file_dialogs(&desk.harness.ctx, dialogs.clone());

    desk.harness.state_mut().show_screen(Screen::Checks);
    desk.type_into("Search", "amina");
    desk.wait_for_label("1 check(s)");
    desk.click("⬇ Export…");
    desk.click("Write identifier values in full");
    desk.click("Export 1 check(s) as CSV…");
    let path = export.clone();
    desk.wait_until("the export to be written", move |_| path.exists());
    let text = std::fs::read_to_string(&export).unwrap();
    assert_eq!(text.lines().count(), 2, "the header and Amina's check: {text}");
    assert!(text.contains("8000000001") && !text.contains("8000000002"), "{text}");
    assert_eq!(*dialogs.suggested.lock().unwrap(), ["ibr-desk-checks.csv"]);
}

#[cfg(unix)]
#[test]
fn from_a_read_only_folder_the_summary_says_where_the_rejected_rows_are() {
    let mut desk = Desk::open();
    desk.wait_for_label("Run sample checks on the demo registry");
    let usb = tempfile::tempdir().unwrap();
    let roster = usb.path().join("june.csv");
    std::fs::write(
        &roster,
        "given_name,surname,birth_date,id_type,id_value\nZoë,Núñez,1990-04-12,UIN,7100000001\nKofi,Mensah,27/03/1984,UIN,7100000002\n",
    )
    .unwrap();
    let Some(_read_only) = common::read_only::ReadOnlyFolder::make(usb.path()) else {
        return;
    };
    let dialogs = Arc::new(Dialogs::default());
    *dialogs.roster.lock().unwrap() = Some(roster.clone());
    set_file_dialogs(&desk.harness.ctx, dialogs);

    desk.harness.state_mut().show_screen(Screen::Import);
    desk.click("Choose file…");
    desk.wait_for_label("rejected: The birth date \"27/03/1984\"");
    desk.click("Start import");
    desk.wait_for_label("Import finished");
    assert!(has(&desk.harness, "The roster's folder cannot be written (read-only?)"));
    let r = desk.store.rosters(1).unwrap().remove(0);
    let rejected = PathBuf::from(r.rejected_file.expect("a rejected file"));
    assert_eq!(rejected.parent(), Some(desk.dir.path().join("rejected").as_path()));
    assert!(has(&desk.harness, &rejected.display().to_string()), "the file is named");
    assert!(std::fs::read_to_string(&rejected).unwrap().contains("27/03/1984"));
}
