//! What kind of CSV a file is, from its first mebibyte: the encoding, the
//! separator and whether the first row is a header.
//!
//! - **Encoding.** A UTF-8 byte order mark means UTF-8. Otherwise the sample
//!   is UTF-8 when it decodes as UTF-8 (a character cut by the end of the
//!   sample does not count against it), and Windows-1252 when it does not:
//!   that is what spreadsheets on Windows write as "CSV" in Western Europe
//!   and Latin America, and every byte means something in it. UTF-16 (a
//!   UTF-16 byte order mark), binary files and Excel workbooks are refused
//!   with a sentence saying how to save the file as CSV.
//! - **Separator.** Each of `,` `;` tab `|` splits the first rows (quotes
//!   respected); the one that gives the first row more than one field and
//!   the most rows with as many fields as the first wins (ties: more fields).
//!   When none gives more than one field, the file has one column.
//! - **Header.** The first row is a header when none of its cells looks like
//!   data (three digits or more, as dates and identifiers have) and one of
//!   them names a field (`mapping::field_for_header`), or none has a digit
//!   while the second row does.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use super::import::REJECTED_FILE_COLUMNS;
use super::mapping::field_for_header;
use super::{RosterError, RosterSettings, formula};

/// How much of a file is read to tell its kind.
pub const SAMPLE_BYTES: usize = 1 << 20;

/// Rows of the sample used to choose the separator.
const SNIFF_ROWS: usize = 100;

/// The separators tried, in order of preference on a tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text encodings a roster may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    /// UTF-8 starting with a byte order mark (what Excel's "CSV UTF-8" writes).
    Utf8Bom,
    /// What Excel's plain "CSV" writes on Windows in Western languages.
    Windows1252,
}

impl Encoding {
    pub const ALL: [Encoding; 3] = [Encoding::Utf8, Encoding::Utf8Bom, Encoding::Windows1252];

    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with byte order mark",
            Encoding::Windows1252 => "Windows-1252",
        }
    }

    /// The text of one field, `None` when it is not valid in this encoding
    /// (only UTF-8 can be invalid).
    pub fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        match self {
            Encoding::Utf8 | Encoding::Utf8Bom => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
            Encoding::Windows1252 => Some(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0),
        }
    }

    /// The text of one field, never failing: bytes that are not UTF-8 in a
    /// UTF-8 file are read as Windows-1252 (the usual reason for them), so
    /// that a row written back to the officer keeps every letter.
    pub fn decode_lossless(self, bytes: &[u8]) -> Cow<'_, str> {
        self.decode(bytes)
            .unwrap_or_else(|| encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0)
    }

    pub fn is_utf8(self) -> bool {
        !matches!(self, Encoding::Windows1252)
    }
}

/// The separator in words.
pub fn delimiter_label(d: u8) -> String {
    match d {
        b',' => "comma (,)".to_string(),
        b';' => "semicolon (;)".to_string(),
        b'\t' => "tab".to_string(),
        b'|' => "vertical bar (|)".to_string(),
        other => format!("{:?}", char::from(other)),
    }
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Format {
    pub encoding: Encoding,
    pub delimiter: u8,
    pub has_header: bool,
}

/// What the start of a file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// As detected.
    pub detected: Format,
    /// As detected, with the officer's overrides.
    pub format: Format,
    /// The header's names, or `Column 1`… when there is no header.
    pub columns: Vec<String>,
    /// The file's size.
    pub bytes_total: u64,
    /// A rejected-rows file IBR Desk wrote (its first columns are `row` and
    /// `reason`), imported again after the officer fixed it: its cells (and
    /// its header) are read back as they were before `formula::defuse`.
    pub rejected_rows: bool,
}

/// Reads the start of the file at `path` and tells its kind, applying the
/// overrides of `settings`.
pub fn sniff_file(path: &Path, settings: &RosterSettings) -> Result<Sniffed, RosterError> {
    let file = std::fs::File::open(path).map_err(|e| RosterError::io("open", path, e))?;
    let bytes_total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut sample = Vec::with_capacity(SAMPLE_BYTES.min(usize::try_from(bytes_total).unwrap_or(SAMPLE_BYTES)));
    file.take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(|e| RosterError::io("read", path, e))?;
    let complete = (sample.len() as u64) >= bytes_total;
    sniff_sample(path, &sample, complete, bytes_total, settings)
}

/// [`sniff_file`] on a sample already read; `complete` when it is the whole file.
pub fn sniff_sample(
    path: &Path,
    sample: &[u8],
    complete: bool,
    bytes_total: u64,
    settings: &RosterSettings,
) -> Result<Sniffed, RosterError> {
    let encoding = detect_encoding(sample, complete)?;
    let body = sample.strip_prefix(UTF8_BOM).unwrap_or(sample);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(RosterError::Empty(path.to_path_buf()));
    }
    let delimiter = detect_delimiter(body, complete);
    let enc = settings.encoding.unwrap_or(encoding);
    let delim = settings.delimiter.unwrap_or(delimiter);
    let rows = records(body, delim, complete, 2);
    let decoded: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|f| enc.decode_lossless(f).trim().to_string()).collect())
        .collect();
    let detected_header = decoded
        .first()
        .is_some_and(|first| looks_like_header(first, decoded.get(1)));
    let has_header = settings.has_header.unwrap_or(detected_header);
    let first = decoded.first().cloned().unwrap_or_default();
    let columns: Vec<String> = if has_header {
        first
            .iter()
            .enumerate()
            .map(|(i, name)| {
                if name.is_empty() {
                    format!("Column {}", i + 1)
                } else {
                    name.clone()
                }
            })
            .collect()
    } else {
        (1..=first.len()).map(|i| format!("Column {i}")).collect()
    };
    if has_header && complete && !has_data_after_header(body, delim) {
        return Err(RosterError::HeaderOnly(path.to_path_buf()));
    }
    let rejected_rows = has_header && columns.starts_with(&REJECTED_FILE_COLUMNS.map(String::from));
    let columns = if rejected_rows {
        columns.iter().map(|c| formula::restore(c).into_owned()).collect()
    } else {
        columns
    };
    Ok(Sniffed {
        detected: Format {
            encoding,
            delimiter,
            has_header: detected_header,
        },
        format: Format {
            encoding: enc,
            delimiter: delim,
            has_header,
        },
        columns,
        bytes_total,
        rejected_rows,
    })
}

/// Whether anything but empty rows follows the first row.
fn has_data_after_header(body: &[u8], delimiter: u8) -> bool {
    records(body, delimiter, true, usize::MAX)
        .iter()
        .skip(1)
        .any(|r| r.iter().any(|f| !f.iter().all(u8::is_ascii_whitespace)))
}

fn detect_encoding(sample: &[u8], complete: bool) -> Result<Encoding, RosterError> {
    if sample.starts_with(UTF8_BOM) {
        return Ok(Encoding::Utf8Bom);
    }
    if sample.starts_with(b"\xFF\xFE") || sample.starts_with(b"\xFE\xFF") {
        return Err(RosterError::NotCsv(
            "the file is UTF-16 text, which IBR Desk does not read: save it as \"CSV UTF-8\" (or plain CSV) and \
             import it again"
                .into(),
        ));
    }
    if sample.starts_with(b"PK\x03\x04") {
        return Err(RosterError::NotCsv(
            "the file is an Excel workbook (or another zip archive), not CSV: open it in the spreadsheet, save it \
             as \"CSV UTF-8\", and import that file"
                .into(),
        ));
    }
    if sample.contains(&0) {
        return Err(RosterError::NotCsv(
            "the file is not text (it contains NUL bytes): save it from the spreadsheet as \"CSV UTF-8\" and import \
             that file"
                .into(),
        ));
    }
    Ok(match std::str::from_utf8(sample) {
        Ok(_) => Encoding::Utf8,
        // Only a character cut by the end of the sample: still UTF-8.
        Err(e) if e.error_len().is_none() && !complete => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    })
}

/// The separator that splits the first rows most consistently.
fn detect_delimiter(body: &[u8], complete: bool) -> u8 {
    let mut best: Option<((bool, usize, usize), u8)> = None;
    for d in DELIMITERS {
        let counts: Vec<usize> = records(body, d, complete, SNIFF_ROWS).iter().map(Vec::len).collect();
        let Some(&first) = counts.first() else { continue };
        let consistent = counts.iter().filter(|&&n| n == first).count() * 1000 / counts.len();
        let score = (first > 1, consistent, first);
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, d));
        }
    }
    match best {
        Some(((true, _, _), d)) => d,
        _ => b',',
    }
}

/// The first `limit` records of the sample, each as its fields' bytes; the
/// last is left out when the sample is not the whole file (it may be cut).
fn records(body: &[u8], delimiter: u8, complete: bool, limit: usize) -> Vec<Vec<Vec<u8>>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body);
    let mut out = Vec::new();
    let mut record = csv::ByteRecord::new();
    let take = if complete { limit } else { limit.saturating_add(1) };
    while out.len() < take {
        match reader.read_byte_record(&mut record) {
            Ok(true) => out.push(record.iter().map(<[u8]>::to_vec).collect()),
            Ok(false) | Err(_) => break,
        }
    }
    if !complete && out.len() > 1 && reader.position().byte() >= body.len() as u64 {
        out.pop();
    } else if out.len() > limit {
        out.truncate(limit);
    }
    out
}

/// A first row is a header when none of its cells looks like data (three
/// digits or more: a date, an identifier) and a cell names a field, or the
/// second row has a digit where the first has none.
fn looks_like_header(first: &[String], second: Option<&Vec<String>>) -> bool {
    let digits = |c: &str| c.chars().filter(char::is_ascii_digit).count();
    if first.iter().any(|c| digits(c) >= 3) {
        return false;
    }
    if first.iter().any(|c| field_for_header(c).is_some()) {
        return true;
    }
    let has_digit = |cells: &[String]| cells.iter().any(|c| digits(c) > 0);
    !has_digit(first) && second.is_some_and(|s| has_digit(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(text: &[u8]) -> Result<Sniffed, RosterError> {
        sniff_sample(
            Path::new("r.csv"),
            text,
            true,
            text.len() as u64,
            &RosterSettings::default(),
        )
    }

    #[test]
    fn detects_separators() {
        let cases: [(&[u8], u8); 5] = [
            (b"given_name,surname,id_value\nAmina,Diallo,1\n", b','),
            (b"given_name;surname;id_value\nAmina;\"Diallo, Jr\";1\n", b';'),
            (b"given_name\tsurname\tid_value\nAmina\tDiallo\t1\n", b'\t'),
            (b"given_name|surname|id_value\nAmina|Di,al;lo|1\n", b'|'),
            (b"id_value\n1\n2\n", b','),
        ];
        for (text, d) in cases {
            let s = sniff(text).expect("sniff");
            assert_eq!(s.format.delimiter, d, "{}", String::from_utf8_lossy(text));
            assert!(s.format.has_header);
        }
    }

    #[test]
    fn detects_encodings() {
        assert_eq!(
            sniff(b"\xEF\xBB\xBFid_value\nZo\xC3\xAB\n").unwrap().format.encoding,
            Encoding::Utf8Bom
        );
        assert_eq!(
            sniff(b"id_value\nZo\xC3\xAB\n").unwrap().format.encoding,
            Encoding::Utf8
        );
        let s = sniff(b"given_name,id_value\nZo\xEB,1\n\xD1u\xF1ez,2\n").unwrap();
        assert_eq!(s.format.encoding, Encoding::Windows1252);
        assert_eq!(Encoding::Windows1252.decode(b"Zo\xEB").as_deref(), Some("Zoë"));
        assert_eq!(Encoding::Utf8.decode(b"Zo\xEB"), None);
        assert_eq!(Encoding::Utf8.decode_lossless(b"\xD1"), "Ñ");
        // A character cut by the end of the sample is still UTF-8.
        let cut = b"id_value\nZo\xC3";
        let s = sniff_sample(Path::new("r.csv"), cut, false, 100, &RosterSettings::default()).unwrap();
        assert_eq!(s.format.encoding, Encoding::Utf8);
    }

    #[test]
    fn refuses_what_is_not_csv() {
        assert!(matches!(sniff(b""), Err(RosterError::Empty(_))));
        assert!(matches!(sniff(b"\xEF\xBB\xBF \n\n"), Err(RosterError::Empty(_))));
        for bad in [&b"\xFF\xFEi\0d\0"[..], b"PK\x03\x04....", b"id\0value"] {
            let e = sniff(bad).expect_err("not csv");
            assert!(matches!(e, RosterError::NotCsv(_)), "{e}");
            assert!(e.to_string().contains("CSV UTF-8"), "{e}");
        }
        let e = sniff(b"given_name,id_value\n\n,\n").expect_err("header only");
        assert!(e.to_string().contains("header row but no applicants"), "{e}");
    }

    #[test]
    fn tells_a_header_from_data() {
        let s = sniff(b"Prenom;Apellido;Numero\nAmina;Diallo;12\n").unwrap();
        assert!(s.detected.has_header);
        assert_eq!(s.columns, ["Prenom", "Apellido", "Numero"]);
        let s = sniff(b"Amina,Diallo,UIN,123\nJose,Pena,UIN,456\n").unwrap();
        assert!(!s.detected.has_header);
        assert_eq!(s.columns, ["Column 1", "Column 2", "Column 3", "Column 4"]);
        let s = sniff(b"Vorname,Name,Kennung\nAmina,Diallo,123\n").unwrap();
        assert!(s.detected.has_header, "no digit in the first row, digits in the second");
        let forced = sniff_sample(
            Path::new("r.csv"),
            b"Amina,Diallo,123\n",
            true,
            17,
            &RosterSettings {
                has_header: Some(false),
                delimiter: Some(b';'),
                ..RosterSettings::default()
            },
        )
        .unwrap();
        assert_eq!((forced.format.delimiter, forced.columns.len()), (b';', 1));
    }
}
