//! Which column holds which field.
//!
//! Guessed from the header names, compared without case, accents, spaces,
//! `_`, `-` or `.` (`Date_of_Birth`, `date-of-birth` and `Date of birth` are
//! one name), against each field's synonyms in English, French and Spanish.
//! A column is used for one field at most, the leftmost column winning. When
//! no column gives the identifier type but the identifier's own column is
//! named `UIN`, `BRN`, `MRN` or `DRN`, every row has that type.
//!
//! The officer changes the guess in the window (a list per field) or with
//! `--map field=column`, where the column is a header name or a 1-based
//! column number, and `--map id_type=UIN` (a type that is not a column name)
//! gives every row that type.

use crate::domain::{IdType, normalize_name};

/// The fields of a roster row.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Field {
    #[strum(message = "Given name")]
    GivenName,
    #[strum(message = "Surname")]
    Surname,
    #[strum(message = "Birth date")]
    BirthDate,
    #[strum(message = "Sex")]
    Sex,
    #[strum(message = "Identifier type")]
    IdType,
    #[strum(message = "Identifier")]
    IdValue,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::GivenName,
        Field::Surname,
        Field::BirthDate,
        Field::Sex,
        Field::IdType,
        Field::IdValue,
    ];

    /// The column name that maps without `--map`.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        strum::EnumMessage::get_message(&self).unwrap_or(self.name())
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Header names (in comparison form) that mean this field.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::GivenName => &[
                "given name",
                "given names",
                "givenname",
                "first name",
                "firstname",
                "first",
                "forename",
                "forenames",
                "prenom",
                "prenoms",
                "nombre",
                "nombres",
                "primer nombre",
            ],
            Field::Surname => &[
                "surname",
                "last name",
                "lastname",
                "last",
                "family name",
                "familyname",
                "apellido",
                "apellidos",
                "nom",
                "nom de famille",
            ],
            Field::BirthDate => &[
                "birth date",
                "birthdate",
                "date of birth",
                "dob",
                "birthday",
                "born",
                "date de naissance",
                "fecha de nacimiento",
                "fecha nacimiento",
            ],
            Field::Sex => &["sex", "gender", "sexe", "sexo", "genre", "genero"],
            Field::IdType => &[
                "id type",
                "idtype",
                "identifier type",
                "identification type",
                "type",
                "document type",
                "type de document",
                "tipo",
                "tipo de documento",
                "tipo documento",
            ],
            Field::IdValue => &[
                "id value",
                "idvalue",
                "id",
                "identifier",
                "identifier value",
                "identification number",
                "id number",
                "number",
                "uin",
                "brn",
                "mrn",
                "drn",
                "document number",
                "numero",
                "numero de documento",
                "numero documento",
            ],
        }
    }

    /// The field named `name` (`given_name`, …; any case).
    pub fn parse(name: &str) -> Option<Field> {
        let n = name.trim().to_ascii_lowercase().replace('-', "_");
        n.parse().ok()
    }
}

/// A header name in comparison form: lower case, no accents, and `_`, `-`,
/// `.`, `/` and runs of spaces as one space.
fn comparable(name: &str) -> String {
    let spaced: String = name
        .chars()
        .map(|c| if matches!(c, '_' | '.' | '/') { ' ' } else { c })
        .collect();
    normalize_name(&spaced)
}

/// The field a header name means, if any.
pub fn field_for_header(name: &str) -> Option<Field> {
    let n = comparable(name);
    if n.is_empty() {
        return None;
    }
    Field::ALL.into_iter().find(|f| f.synonyms().contains(&n.as_str()))
}

/// Which column (0-based) holds each field.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ColumnMapping {
    columns: [Option<usize>; 6],
    /// The identifier type of every row, when no column gives it.
    pub fixed_id_type: Option<IdType>,
}

impl ColumnMapping {
    /// The column of a field.
    pub fn get(&self, field: Field) -> Option<usize> {
        self.columns[field.index()]
    }

    /// Puts a field in a column (or in none); a field that was in that
    /// column before is taken out of it.
    pub fn set(&mut self, field: Field, column: Option<usize>) {
        if let Some(c) = column {
            for other in &mut self.columns {
                if *other == Some(c) {
                    *other = None;
                }
            }
        }
        self.columns[field.index()] = column;
        if field == Field::IdType && column.is_some() {
            self.fixed_id_type = None;
        }
    }

    /// The guess from the header names (see the module's documentation).
    pub fn guess(columns: &[String]) -> ColumnMapping {
        let mut m = ColumnMapping::default();
        for (i, name) in columns.iter().enumerate() {
            if let Some(f) = field_for_header(name)
                && m.get(f).is_none()
            {
                m.columns[f.index()] = Some(i);
            }
        }
        m.imply_id_type(columns);
        m
    }

    /// Without an identifier type column, an identifier column named after
    /// a type gives every row that type.
    fn imply_id_type(&mut self, columns: &[String]) {
        if self.get(Field::IdType).is_some() || self.fixed_id_type.is_some() {
            return;
        }
        if let Some(name) = self.get(Field::IdValue).and_then(|i| columns.get(i))
            && let Ok(t) = name.trim().parse::<IdType>()
        {
            self.fixed_id_type = Some(t);
        }
    }

    /// Applies `--map` overrides, in order.
    pub fn apply(&mut self, overrides: &[MapOverride], columns: &[String]) -> Result<(), String> {
        for o in overrides {
            match resolve_column(&o.column, columns) {
                Some(i) => self.set(o.field, Some(i)),
                None if o.field == Field::IdType && o.column.trim().parse::<IdType>().is_ok() => {
                    self.columns[Field::IdType.index()] = None;
                    self.fixed_id_type = o.column.trim().parse().ok();
                }
                None if o.column.trim().is_empty() || o.column.trim() == "-" => self.set(o.field, None),
                None => {
                    return Err(format!(
                        "--map {}={}: there is no column {:?} (the columns are: {}); give a header name or a \
                         column number from 1 to {}",
                        o.field,
                        o.column,
                        o.column,
                        list(columns),
                        columns.len()
                    ));
                }
            }
        }
        self.imply_id_type(columns);
        Ok(())
    }

    /// Whether rows can be read with this mapping: the identifier and its
    /// type are known, and every column exists. The error says what to do.
    pub fn check(&self, columns: &[String]) -> Result<(), String> {
        for f in Field::ALL {
            if let Some(i) = self.get(f)
                && i >= columns.len()
            {
                return Err(format!(
                    "the {f} is mapped to column {} but the file has {} column(s)",
                    i + 1,
                    columns.len()
                ));
            }
        }
        if columns.len() == 1 && self.get(Field::IdValue).is_none() {
            return Err(format!(
                "the file has a single column ({:?}): its values may be separated by a character other than a \
                 comma, semicolon, tab or vertical bar; save it from the spreadsheet as CSV and import it again",
                shorten(&columns[0])
            ));
        }
        if self.get(Field::IdValue).is_none() {
            return Err(format!(
                "no column holds the identifier: none of the columns ({}) is named id_value or a name like it; \
                 choose its column (in the window, or with --map id_value=COLUMN)",
                list(columns)
            ));
        }
        if self.get(Field::IdType).is_none() && self.fixed_id_type.is_none() {
            return Err(format!(
                "no column holds the identifier type: none of the columns ({}) is named id_type or a name like \
                 it; choose its column, or one type for every row (in the window, or with --map id_type=COLUMN \
                 or --map id_type=UIN)",
                list(columns)
            ));
        }
        Ok(())
    }

    /// The mapping in words, for summaries: `given_name ← "Prénom" (1), …`.
    pub fn describe(&self, columns: &[String]) -> String {
        let mut parts: Vec<String> = Field::ALL
            .into_iter()
            .filter_map(|f| {
                self.get(f).map(|i| {
                    format!(
                        "{f} ← {:?} ({})",
                        columns.get(i).map(String::as_str).unwrap_or("?"),
                        i + 1
                    )
                })
            })
            .collect();
        if let Some(t) = &self.fixed_id_type
            && self.get(Field::IdType).is_none()
        {
            parts.push(format!("id_type = {t} for every row"));
        }
        parts.join(", ")
    }
}

/// One `--map field=column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapOverride {
    pub field: Field,
    /// A header name, a 1-based column number, or (for `id_type`) a type.
    pub column: String,
}

impl std::str::FromStr for MapOverride {
    type Err = String;

    fn from_str(s: &str) -> Result<MapOverride, String> {
        let (field, column) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?} is not field=column (for example given_name=Prénom or id_value=3)"))?;
        let field = Field::parse(field).ok_or_else(|| {
            format!(
                "{:?} is not a field: the fields are {}",
                field.trim(),
                Field::ALL.map(Field::name).join(", ")
            )
        })?;
        Ok(MapOverride {
            field,
            column: column.trim().to_string(),
        })
    }
}

/// A header name (compared as the guess compares) or a 1-based number.
fn resolve_column(column: &str, columns: &[String]) -> Option<usize> {
    let c = column.trim();
    if let Ok(n) = c.parse::<usize>() {
        return (1..=columns.len()).contains(&n).then(|| n - 1);
    }
    if let Some(i) = columns.iter().position(|name| name.trim() == c) {
        return Some(i);
    }
    let wanted = comparable(c);
    if wanted.is_empty() {
        return None;
    }
    columns.iter().position(|name| comparable(name) == wanted)
}

fn list(columns: &[String]) -> String {
    columns
        .iter()
        .take(12)
        .map(|c| format!("{:?}", shorten(c)))
        .chain((columns.len() > 12).then(|| "…".to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_words_and_labels_are_pinned() {
        assert_eq!(Field::ALL, <Field as strum::VariantArray>::VARIANTS);
        assert_eq!(
            Field::ALL.map(Field::name),
            ["given_name", "surname", "birth_date", "sex", "id_type", "id_value"]
        );
        assert_eq!(
            Field::ALL.map(Field::label),
            [
                "Given name",
                "Surname",
                "Birth date",
                "Sex",
                "Identifier type",
                "Identifier"
            ]
        );
        for f in Field::ALL {
            assert_eq!(f.to_string(), f.name());
            assert_eq!(serde_json::to_value(f).ok(), Some(serde_json::Value::from(f.name())));
            assert_eq!(Field::parse(f.name()), Some(f));
            assert_eq!(
                Field::parse(&format!(" {} ", f.name().replace('_', "-").to_uppercase())),
                Some(f)
            );
        }
        assert_eq!(Field::parse("phone"), None);
    }

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn guesses_from_names_and_synonyms() {
        let c = cols(&[
            "Prénom",
            "APELLIDO",
            "Date_of_Birth",
            "Gender",
            "ID-Type",
            "Number",
            "note",
        ]);
        let m = ColumnMapping::guess(&c);
        let got: Vec<Option<usize>> = Field::ALL.iter().map(|f| m.get(*f)).collect();
        assert_eq!(got, [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)]);
        assert!(m.check(&c).is_ok());
        let plain = cols(&["given_name", "surname", "birth_date", "sex", "id_type", "id_value"]);
        assert_eq!(ColumnMapping::guess(&plain).get(Field::IdValue), Some(5));
        let spanish = cols(&["nombre", "apellidos", "fecha de nacimiento", "sexo", "tipo", "número"]);
        assert!(ColumnMapping::guess(&spanish).check(&spanish).is_ok());
    }

    #[test]
    fn a_column_named_after_a_type_gives_every_row_that_type() {
        let c = cols(&["first_name", "last_name", "dob", "UIN"]);
        let m = ColumnMapping::guess(&c);
        assert_eq!(
            (m.get(Field::IdValue), m.fixed_id_type.clone()),
            (Some(3), Some(IdType::Uin))
        );
        assert!(m.check(&c).is_ok());
    }

    #[test]
    fn overrides_by_name_number_or_type() {
        let c = cols(&["Vorname", "Name", "Geburtstag", "Art", "Kennung"]);
        let mut m = ColumnMapping::guess(&c);
        let err = m.check(&c).expect_err("nothing guessed");
        assert!(err.contains("no column holds the identifier"), "{err}");
        let overrides: Vec<MapOverride> = ["given_name=vorname", "surname=2", "birth_date=Geburtstag", "id_value=5"]
            .iter()
            .map(|s| s.parse().expect("override"))
            .collect();
        m.apply(&overrides, &c).expect("apply");
        assert!(m.check(&c).expect_err("no type").contains("identifier type"));
        m.apply(&["id_type=brn".parse().expect("type")], &c).expect("type");
        assert_eq!(m.fixed_id_type, Some(IdType::Brn));
        m.apply(&["id_type=Art".parse().expect("column")], &c).expect("column");
        assert_eq!((m.get(Field::IdType), m.fixed_id_type.clone()), (Some(3), None));
        assert!(m.check(&c).is_ok());
        let e = m
            .apply(&["sex=Geschlecht".parse().expect("parse")], &c)
            .expect_err("no such column");
        assert!(e.contains("there is no column \"Geschlecht\""), "{e}");
        assert!(m.apply(&["sex=9".parse().expect("parse")], &c).is_err());
        assert!("nickname=1".parse::<MapOverride>().unwrap_err().contains("not a field"));
        assert!("given_name".parse::<MapOverride>().is_err());
        // A column moves: the field that held it lets it go.
        m.set(Field::Sex, Some(0));
        assert_eq!((m.get(Field::Sex), m.get(Field::GivenName)), (Some(0), None));
    }

    #[test]
    fn one_column_says_the_separator_may_be_wrong() {
        let c = cols(&["given_name:surname:id_type:id_value"]);
        let e = ColumnMapping::guess(&c).check(&c).expect_err("one column");
        assert!(e.contains("separated by a character other than"), "{e}");
    }
}
