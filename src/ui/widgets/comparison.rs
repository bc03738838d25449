//! The applicant beside each candidate the registry returned, field by
//! field, with agreement and conflict marked by icon as well as colour. The
//! Checks detail and the supervisor's Review screen both show it.

use egui::Ui;

use super::{mask, mask_all};
use crate::domain::{DuplicationCheck, FoundBy, MatchCandidate, QueryKind};
use crate::ui::theme;

/// The check's own identifier values masked in a text (error messages quote them).
pub fn hide_ids(text: &str, c: &DuplicationCheck, reveal: bool) -> String {
    if reveal {
        return text.to_string();
    }
    let values = c.queries.iter().filter_map(|q| match &q.kind {
        QueryKind::Identifier { value, .. } => Some(value.as_str()),
        QueryKind::Demographic { .. } => None,
    });
    mask_all(text, values)
}

/// The applicant beside each candidate, field by field, with agreement (✔)
/// and conflict (✖) marked by icon as well as colour.
pub fn comparison_grid(ui: &mut Ui, c: &DuplicationCheck, candidates: &[MatchCandidate], reveal: bool) {
    let dark = ui.visuals().dark_mode;
    let agree = |ui: &mut Ui, same: Option<bool>, text: String| match same {
        Some(true) => {
            ui.label(format!("✔ {text}"));
        }
        Some(false) => {
            ui.colored_label(theme::error_text(dark), format!("✖ {text}"));
        }
        None => {
            ui.label(text);
        }
    };
    egui::ScrollArea::horizontal()
        .id_salt("candidates-scroll")
        .show(ui, |ui| {
            egui::Grid::new("candidates")
                .striped(true)
                .spacing([14.0, 4.0])
                .show(ui, |ui| {
                    ui.strong("");
                    ui.strong("Applicant");
                    for k in candidates {
                        ui.strong(format!("Candidate {}", k.rank));
                    }
                    ui.end_row();

                    ui.label("Name");
                    let mine = c.applicant.display_name();
                    ui.label(&mine);
                    for k in candidates {
                        let same = crate::domain::names_agree(&mine, &k.name);
                        agree(ui, Some(same), k.name.clone());
                    }
                    ui.end_row();

                    ui.label("Birth date");
                    let my_birth = c.applicant.birth_date;
                    ui.label(my_birth.map_or("—".to_string(), |d| d.to_string()));
                    for k in candidates {
                        let theirs = k.birth_date.as_deref().and_then(crate::domain::parse_registry_date);
                        let same = my_birth.zip(theirs).map(|(a, b)| a == b);
                        agree(ui, same, k.birth_date.clone().unwrap_or_else(|| "—".into()));
                    }
                    ui.end_row();

                    ui.label("Sex");
                    ui.label(c.applicant.sex.as_ref().map_or("—", |s| s.as_str()));
                    for k in candidates {
                        ui.label(k.sex.as_deref().unwrap_or("—"));
                    }
                    ui.end_row();

                    ui.label("Identifiers");
                    ui.label(format!(
                        "{} {}",
                        c.identifier_type,
                        if reveal {
                            c.identifier_value.clone()
                        } else {
                            mask(&c.identifier_value)
                        }
                    ));
                    for k in candidates {
                        let ids: Vec<String> = k
                            .identifiers
                            .iter()
                            .map(|i| {
                                format!(
                                    "{} {}",
                                    i.id_type,
                                    if reveal { i.value.clone() } else { mask(&i.value) }
                                )
                            })
                            .collect();
                        let same = k.found_by == FoundBy::Identifier;
                        agree(
                            ui,
                            Some(same),
                            if ids.is_empty() { "none".into() } else { ids.join(", ") },
                        );
                    }
                    ui.end_row();

                    ui.label("Programmes");
                    ui.label("");
                    for k in candidates {
                        ui.vertical(|ui| {
                            for p in &k.programmes {
                                ui.label(format!("{}: {}", p.display_name(), p.enrolment_status));
                            }
                        });
                    }
                    ui.end_row();

                    ui.label("Found by");
                    ui.label("");
                    for k in candidates {
                        ui.label(match k.found_by {
                            FoundBy::Identifier => "the identifier",
                            FoundBy::OtherIdentifier => "the identifier search (another identifier)",
                            FoundBy::Demographic => "name and birth date",
                        });
                    }
                    ui.end_row();

                    ui.label("Assessment");
                    ui.label("");
                    for k in candidates {
                        ui.vertical(|ui| {
                            if k.confirms {
                                ui.label("Confirms the match");
                            }
                            for r in &k.reasons {
                                ui.label(format!("• {}", hide_ids(r, c, reveal)));
                            }
                        });
                    }
                    ui.end_row();
                });
        });
}
