//! The selected check in the side panel: its result and explanation, the
//! comparison with each candidate, the searches, and Retry for a failed one.

use egui::{RichText, Ui};

use super::ChecksScreen;
use super::wording::{failure_sentence, mask_all_ids};
use crate::domain::{CheckState, DuplicationCheck, QueryKind};
use crate::engine::Command;
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{check_badge, comparison_grid, hide_ids, mask};

impl ChecksScreen {
    pub(super) fn detail_ui(&mut self, ui: &mut Ui, data: &AppData, cmds: &Commands) {
        let Some(d) = &self.detail else {
            ui.label("Loading the check…");
            return;
        };
        let c = &d.check;
        let retry = &mut self.retry;
        ui.horizontal(|ui| {
            check_badge(ui, c);
            ui.heading(c.applicant.display_name());
        });
        ui.horizontal(|ui| {
            ui.weak(format!("Check {}", c.id));
            if ui.small_button("Close").clicked() {
                self.selected = None;
            }
        });
        if data.is_demo(c.data_source_id) {
            ui.colored_label(
                theme::warning_text(ui.visuals().dark_mode),
                "Demo data: the built-in demo registry holds synthetic people only.",
            );
        }
        ui.separator();
        let mut reveal = self.reveal_identifiers;
        egui::ScrollArea::vertical().id_salt("detail-scroll").show(ui, |ui| {
            summary_grid(ui, c, &mut reveal);
            ui.add_space(theme::SPACING);
            match c.state {
                CheckState::Completed => {
                    if let Some(e) = &c.explanation {
                        ui.label(RichText::new(hide_ids(e, c, reveal)).strong());
                    }
                    if !c.matched_programs.is_empty() {
                        ui.add_space(theme::SPACING / 2.0);
                        ui.label("Matched programmes:");
                        for p in &c.matched_programs {
                            ui.label(format!("  • {p}"));
                        }
                    }
                }
                CheckState::Failed => {
                    ui.colored_label(
                        theme::error_text(ui.visuals().dark_mode),
                        failure_sentence(c.error_kind.as_deref()),
                    );
                    ui.label("The check has no result: it was not treated as “no match”.");
                    egui::CollapsingHeader::new("Technical detail")
                        .id_salt("failure-detail")
                        .show(ui, |ui| {
                            ui.label(format!("Kind: {}", c.error_kind.as_deref().unwrap_or("unknown")));
                            ui.label(hide_ids(c.error_message.as_deref().unwrap_or(""), c, reveal));
                        });
                    if ui
                        .button("⟲ Retry")
                        .on_hover_text("Put the check back in the queue")
                        .clicked()
                    {
                        let check_id = c.id;
                        *retry = Some(cmds.request(|reply| Command::RetryCheck { check_id, reply }));
                    }
                }
                CheckState::Ready | CheckState::Checking => {
                    ui.label(if c.state == CheckState::Checking {
                        "Waiting for the registry's answer…"
                    } else {
                        "Queued: it runs as soon as the registry answers."
                    });
                    if let (Some(kind), Some(msg)) = (&c.error_kind, &c.error_message) {
                        ui.colored_label(
                            theme::warning_text(ui.visuals().dark_mode),
                            failure_sentence(Some(kind)),
                        );
                        if let Some(t) = c.next_attempt_at {
                            ui.label(format!(
                                "Next attempt at {} (attempt {} so far).",
                                t.with_timezone(&chrono::Local).format("%H:%M:%S"),
                                c.attempts
                            ));
                        }
                        egui::CollapsingHeader::new("Technical detail")
                            .id_salt("queued-detail")
                            .show(ui, |ui| {
                                ui.label(hide_ids(msg, c, reveal));
                            });
                    }
                }
            }
            if !d.candidates.is_empty() {
                ui.add_space(theme::SPACING);
                ui.heading("Applicant and candidates");
                comparison_grid(ui, c, &d.candidates, reveal);
            }
            ui.add_space(theme::SPACING);
            egui::CollapsingHeader::new("Raw reply")
                .id_salt("raw-reply")
                .show(ui, |ui| match &d.reply_excerpt {
                    Some(text) => {
                        let pretty = serde_json::from_str::<serde_json::Value>(text)
                            .and_then(|v| serde_json::to_string_pretty(&v))
                            .unwrap_or_else(|_| text.clone());
                        let shown = if reveal {
                            pretty
                        } else {
                            mask_all_ids(&pretty, c, &d.candidates)
                        };
                        ui.add(egui::Label::new(RichText::new(shown).monospace().size(11.0)).wrap());
                    }
                    None => {
                        ui.label("No reply was recorded for this check.");
                    }
                });
            egui::CollapsingHeader::new("History of this check")
                .id_salt("audit")
                .show(ui, |ui| {
                    for a in &d.audit {
                        ui.label(format!(
                            "{}  {}  {}",
                            a.at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S"),
                            a.actor,
                            a.action.replace('_', " ")
                        ));
                    }
                });
        });
        self.reveal_identifiers = reveal;
    }
}

fn summary_grid(ui: &mut Ui, c: &DuplicationCheck, reveal: &mut bool) {
    egui::Grid::new("check-summary")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            ui.label("Identifier");
            ui.horizontal(|ui| {
                let v = if *reveal {
                    c.identifier_value.clone()
                } else {
                    mask(&c.identifier_value)
                };
                ui.monospace(format!("{} {v}", c.identifier_type));
                if ui.small_button(if *reveal { "Hide" } else { "Reveal" }).clicked() {
                    *reveal = !*reveal;
                }
            });
            ui.end_row();
            let others: Vec<String> = c
                .queries
                .iter()
                .skip(1)
                .map(|q| match &q.kind {
                    QueryKind::Identifier { id_type, value } => {
                        format!("{id_type} {}", if *reveal { value.clone() } else { mask(value) })
                    }
                    QueryKind::Demographic { .. } => "name and birth date".to_string(),
                })
                .collect();
            if !others.is_empty() {
                ui.label("Also searched");
                ui.label(others.join(", "));
                ui.end_row();
            }
            ui.label("Born");
            ui.label(
                c.applicant
                    .birth_date
                    .map_or("not given".to_string(), |d| d.to_string()),
            );
            ui.end_row();
            ui.label("Data source");
            ui.label(&c.data_source_name);
            ui.end_row();
            ui.label("Reason");
            ui.label(c.search_reason.label());
            ui.end_row();
            ui.label("Requested");
            ui.label(
                c.check_date
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
            );
            ui.end_row();
            if let Some(f) = c.finished_at {
                ui.label("Finished");
                ui.label(f.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string());
                ui.end_row();
            }
            ui.label("Attempts");
            ui.label(c.attempts.to_string());
            ui.end_row();
            if let Some(s) = &c.signature_note {
                ui.label("Reply");
                ui.label(s);
                ui.end_row();
            }
            if let Some(t) = &c.transaction_id {
                ui.label("Transaction");
                ui.monospace(t);
                ui.end_row();
            }
            if let Some(t) = &c.correlation_id {
                ui.label("Correlation");
                ui.monospace(t);
                ui.end_row();
            }
        });
}
