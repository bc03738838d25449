//! "Today" is the computer's local date, not the UTC one: a birth date typed
//! at the command line or read from a roster is in the future only when it is
//! after the local today. Run under a zone 14 hours ahead of UTC and one 12
//! hours behind: at any moment one of them is on another date than UTC, so
//! code taking the UTC date fails here whatever the hour.

mod common;

use std::path::Path;
use std::process::Output;

use chrono::{NaiveDate, Utc};
use common::cli::{json, run, text};

const ZONES: [&str; 2] = ["Etc/GMT-14", "Etc/GMT+12"];

/// `ibr-desk --data-dir DIR ARGS…` with `TZ=zone`.
fn run_in(dir: &Path, zone: &str, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("IBR_DESK_SECRET_STORE", "memory")
        .env("IBR_DESK_OFFICER", "Test Officer")
        .env("TZ", zone)
        .output()
        .expect("the binary runs")
}

fn today_in(zone: &str) -> NaiveDate {
    let tz: chrono_tz::Tz = zone.parse().expect("a zone");
    Utc::now().with_timezone(&tz).date_naive()
}

/// Runs `attempt` with the zone's today; once more if the zone's midnight
/// passed meanwhile (then the first answer may be of either day).
fn on_one_day(zone: &str, mut attempt: impl FnMut(NaiveDate) -> Result<(), String>) {
    for _ in 0..2 {
        let day = today_in(zone);
        let outcome = attempt(day);
        if today_in(zone) == day {
            return outcome.unwrap_or_else(|e| panic!("{zone}, local today {day}: {e}"));
        }
    }
    panic!("{zone}: midnight passed twice");
}

#[test]
fn a_birth_date_of_the_local_today_is_accepted_and_of_tomorrow_refused() {
    for zone in ZONES {
        let mut n = 0;
        on_one_day(zone, |today| {
            let dir = tempfile::tempdir().unwrap();
            let add = |id: &str, born: NaiveDate| {
                let born = born.to_string();
                run_in(
                    dir.path(),
                    zone,
                    &[
                        "registrant",
                        "add",
                        "--id-type",
                        "UIN",
                        "--id-value",
                        id,
                        "--birth-date",
                        &born,
                    ],
                )
            };
            n += 1;
            let o = add(&format!("10{n}"), today);
            if !o.status.success() {
                return Err(format!("born today refused: {}", text(&o)));
            }
            let o = add(&format!("20{n}"), today.succ_opt().unwrap());
            if o.status.success() || !text(&o).contains("future") {
                return Err(format!("born tomorrow: {}", text(&o)));
            }
            Ok(())
        });
    }
}

#[test]
fn a_roster_row_born_the_local_today_is_imported_and_tomorrow_rejected() {
    for zone in ZONES {
        on_one_day(zone, |today| {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            let o = run(
                d,
                &[
                    "source",
                    "add",
                    "--name",
                    "IBR",
                    "--base-url",
                    "https://ibr.example.org",
                ],
            );
            assert!(o.status.success(), "{}", text(&o));
            let tomorrow = today.succ_opt().unwrap();
            let roster = d.join("roster.csv");
            let rows = format!("birth_date,id_type,id_value\n{today},UIN,1001\n{tomorrow},UIN,1002\n");
            std::fs::write(&roster, rows).unwrap();
            let s = json(&run_in(d, zone, &["import", roster.to_str().unwrap(), "--json"]));
            let counts = (
                s["imported"].as_u64(),
                s["rejected"].as_u64(),
                s["reasons"]["future_birth_date"].as_u64(),
            );
            if counts == (Some(1), Some(1), Some(1)) {
                Ok(())
            } else {
                Err(format!("{s}"))
            }
        });
    }
}
