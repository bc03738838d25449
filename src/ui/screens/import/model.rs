//! What the Import roster screen decides without egui: whether a preview
//! answers the latest request, the settings an import starts with (exactly
//! what the preview showed), and the lines that report progress.

use std::time::Duration;

use crate::roster::{ImportProgress, RosterPreview, RosterSettings};
use crate::store::RosterCheckCounts;

/// Whether a preview answers the latest request (requests run side by
/// side, so an older one may arrive last): it was read as the settings say.
pub fn answers(outcome: &Result<Box<RosterPreview>, String>, settings: &RosterSettings) -> bool {
    let Ok(p) = outcome else { return true };
    settings.encoding.is_none_or(|e| e == p.format.encoding)
        && settings.delimiter.is_none_or(|d| d == p.format.delimiter)
        && settings.has_header.is_none_or(|h| h == p.format.has_header)
        && settings.mapping.as_ref().is_none_or(|m| *m == p.mapping)
}

/// The settings an import starts with: the format and mapping the preview
/// was read with, so that what is imported is what was shown.
pub fn settings_as_previewed(preview: &RosterPreview) -> RosterSettings {
    RosterSettings {
        encoding: Some(preview.format.encoding),
        delimiter: Some(preview.format.delimiter),
        has_header: Some(preview.format.has_header),
        mapping: Some(preview.mapping.clone()),
        overrides: Vec::new(),
    }
}

/// How much of the file has been read, 0 to 1 (0 while its size is unknown).
pub fn read_fraction(p: &ImportProgress) -> f32 {
    if p.bytes_total > 0 {
        p.bytes_read as f32 / p.bytes_total as f32
    } else {
        0.0
    }
}

/// "N rows read · N imported · N rejected · N rows/s" after `elapsed`.
pub fn progress_line(p: &ImportProgress, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    format!(
        "{} rows read · {} imported · {} rejected · {:.0} rows/s",
        p.rows_read,
        p.imported,
        p.rejected,
        p.rows_read as f64 / secs
    )
}

/// "N of M checked", on the roster's progress bar.
pub fn checked_of(c: &RosterCheckCounts) -> String {
    format!("{} of {} checked", c.finished(), c.total())
}

/// The roster's checks by state and result.
pub fn checks_line(c: &RosterCheckCounts) -> String {
    format!(
        "{} queued · {} running · {} no match · {} possible match · {} confirmed match · {} failed",
        c.ready, c.checking, c.no_match, c.possible_match, c.confirmed_match, c.failed
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::roster::{ColumnMapping, Encoding, Field, Format};

    fn preview(format: Format, mapping: ColumnMapping) -> RosterPreview {
        RosterPreview {
            path: PathBuf::from("roster.csv"),
            bytes_total: 100,
            detected: format,
            format,
            columns: vec!["id_value".into()],
            guessed: mapping.clone(),
            mapping,
            mapping_problem: None,
            rows: vec![],
            more_rows: false,
        }
    }

    fn comma() -> Format {
        Format {
            encoding: Encoding::Utf8,
            delimiter: b',',
            has_header: true,
        }
    }

    #[test]
    fn only_a_preview_read_as_the_settings_say_answers() {
        let p = preview(comma(), ColumnMapping::default());
        let answer = Ok(Box::new(p.clone()));
        assert!(answers(&answer, &RosterSettings::default()));
        assert!(answers(&answer, &settings_as_previewed(&p)));
        let semicolon = RosterSettings {
            delimiter: Some(b';'),
            ..RosterSettings::default()
        };
        assert!(!answers(&answer, &semicolon));
        let latin = RosterSettings {
            encoding: Some(Encoding::Windows1252),
            ..RosterSettings::default()
        };
        assert!(!answers(&answer, &latin));
        let no_header = RosterSettings {
            has_header: Some(false),
            ..RosterSettings::default()
        };
        assert!(!answers(&answer, &no_header));
        let mut other = ColumnMapping::default();
        other.set(Field::IdValue, Some(0));
        let mapped = RosterSettings {
            mapping: Some(other),
            ..RosterSettings::default()
        };
        assert!(!answers(&answer, &mapped));
        // A failed preview always answers: its error is shown.
        assert!(answers(&Err("unreadable".into()), &semicolon));
    }

    #[test]
    fn an_import_starts_with_what_the_preview_showed() {
        let mut m = ColumnMapping::default();
        m.set(Field::IdValue, Some(0));
        let p = preview(comma(), m.clone());
        let s = settings_as_previewed(&p);
        assert_eq!(s.encoding, Some(Encoding::Utf8));
        assert_eq!(s.delimiter, Some(b','));
        assert_eq!(s.has_header, Some(true));
        assert_eq!(s.mapping, Some(m));
        assert!(s.overrides.is_empty());
    }

    #[test]
    fn progress_is_told_in_rows_and_rate() {
        let p = ImportProgress {
            roster_id: 1,
            rows_read: 500,
            bytes_read: 25,
            bytes_total: 100,
            imported: 490,
            rejected: 10,
        };
        assert_eq!(read_fraction(&p), 0.25);
        assert_eq!(
            progress_line(&p, Duration::from_secs(2)),
            "500 rows read · 490 imported · 10 rejected · 250 rows/s"
        );
        // No size yet, no time yet: no division by zero.
        assert_eq!(read_fraction(&ImportProgress::default()), 0.0);
        assert!(progress_line(&ImportProgress::default(), Duration::ZERO).ends_with("0 rows/s"));
    }

    #[test]
    fn the_roster_checks_are_counted_by_state() {
        let c = RosterCheckCounts {
            ready: 3,
            checking: 1,
            completed: 5,
            failed: 1,
            no_match: 3,
            possible_match: 1,
            confirmed_match: 1,
            not_run: 0,
        };
        assert_eq!(checked_of(&c), "6 of 10 checked");
        assert_eq!(
            checks_line(&c),
            "3 queued · 1 running · 3 no match · 1 possible match · 1 confirmed match · 1 failed"
        );
    }
}
