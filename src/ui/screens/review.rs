//! The supervisor's review queue: possible matches (and confirmed matches
//! sent for an override), oldest first; the applicant beside each candidate;
//! a decision with a reason from a fixed list and a note. Officers see the
//! queue; only a supervisor decides (the engine refuses otherwise, too).
//! The decision form's model is `decision`.

mod decision;

use egui::{RichText, Ui};

use crate::domain::{CheckFilter, DuplicationCheck, Review, ReviewDecision, ReviewReason, Role};
use crate::engine::event::CheckDetail;
use crate::engine::{Command, Event, Latest, Pending, Query, ReviewPage, Said};
use crate::store::{BulkReview, ReviewCounts};
use crate::ui::screens::{AnswerCtx, ScreenCtx, View, answer};
use crate::ui::state::{AppData, Commands};
use crate::ui::theme;
use crate::ui::widgets::{check_badge, comparison_grid, form_row, hide_ids, mask};

use decision::{DecisionForm, review_line};

/// Checks asked for at a time.
const QUEUE_PAGE: u32 = 50;

/// A bulk change waiting for its confirmation.
#[derive(Debug, Clone)]
struct PendingBulk {
    filter: CheckFilter,
    action: BulkReview,
    count: Option<u64>,
}

/// The Review screen.
#[derive(Default)]
pub struct ReviewScreen {
    rows: Vec<DuplicationCheck>,
    counts: Option<ReviewCounts>,
    /// More rows may follow the last page.
    more: bool,
    selected: Option<i64>,
    detail: Option<CheckDetail>,
    form: DecisionForm,
    reveal: bool,
    bulk_source: Option<i64>,
    bulk: Option<PendingBulk>,
    /// The queue from its start, one request at a time (a burst of changes
    /// costs one more reload, not one per change).
    queue_request: Latest<ReviewPage>,
    /// "Show more".
    more_request: Option<Pending<ReviewPage>>,
    detail_request: Latest<Box<CheckDetail>>,
    decision: Option<Pending<Review>>,
    bulk_count: Option<Pending<u64>>,
    bulk_apply: Option<Pending<Said>>,
}

impl ReviewScreen {
    /// Whether the queue's first page has come (the screen shows its counts).
    pub fn loaded(&self) -> bool {
        self.counts.is_some()
    }

    fn reload(&mut self, cmds: &Commands) {
        let limit = QUEUE_PAGE.max(self.rows.len() as u32);
        self.queue_request.want(|| {
            cmds.query(|reply| Query::ReviewQueue {
                offset: 0,
                limit,
                reply,
            })
        });
    }

    fn select(&mut self, id: i64, cmds: &Commands) {
        let other = self.selected != Some(id);
        if other {
            self.form = DecisionForm::default();
            self.detail = None;
        }
        self.selected = Some(id);
        let ask = || cmds.query(|reply| Query::CheckDetail { check_id: id, reply });
        if other {
            self.detail_request.replace(ask());
        } else {
            self.detail_request.want(ask);
        }
    }

    /// A page of the queue came.
    fn apply_page(&mut self, page: ReviewPage) {
        if page.offset == 0 {
            self.rows = page.rows.clone();
        } else if page.offset == self.rows.len() as u64 {
            self.rows.extend(page.rows.iter().cloned());
        }
        self.more = page.rows.len() as u32 >= QUEUE_PAGE;
        self.counts = Some(page.counts);
    }

    fn counts_ui(&self, ui: &mut Ui) {
        let Some(c) = &self.counts else {
            ui.label("Loading the queue…");
            return;
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{} to review", c.to_review)).strong());
            ui.separator();
            ui.label(format!("{} need more information", c.needs_information));
            ui.separator();
            ui.label(format!("{} reviewed today", c.reviewed_today));
            ui.separator();
            let by: Vec<String> = c
                .by_decision
                .iter()
                .map(|(d, n)| format!("{n} {}", d.label().to_lowercase()))
                .collect();
            ui.weak(format!("All decisions: {}", by.join(", ")));
        });
    }

    fn queue_ui(&mut self, ui: &mut Ui, cmds: &Commands) {
        if self.rows.is_empty() {
            ui.add_space(theme::SPACING);
            ui.label("Nothing waits for review. Possible matches come here when their checks complete.");
            return;
        }
        let mut clicked = None;
        egui::ScrollArea::vertical().id_salt("review-queue").show(ui, |ui| {
            for c in &self.rows {
                let selected = self.selected == Some(c.id);
                let r = egui::Frame::group(ui.style())
                    .fill(if selected {
                        ui.visuals().selection.bg_fill
                    } else {
                        ui.visuals().faint_bg_color
                    })
                    .show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.horizontal(|ui| {
                            check_badge(ui, c);
                            ui.add(
                                egui::Label::new(RichText::new(c.applicant.display_name()).strong()).selectable(false),
                            );
                        });
                        let id = if self.reveal {
                            c.identifier_value.clone()
                        } else {
                            mask(&c.identifier_value)
                        };
                        ui.add(
                            egui::Label::new(format!(
                                "{} {id} · {} · finished {}",
                                c.identifier_type,
                                c.data_source_name,
                                c.finished_at
                                    .map_or("—".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                            ))
                            .selectable(false),
                        );
                    })
                    .response
                    .interact(egui::Sense::click());
                if r.clicked() {
                    clicked = Some(c.id);
                }
            }
            if self.more && self.more_request.is_none() && ui.button("Show more").clicked() {
                let offset = self.rows.len() as u64;
                self.more_request = Some(cmds.query(|reply| Query::ReviewQueue {
                    offset,
                    limit: QUEUE_PAGE,
                    reply,
                }));
            }
        });
        if let Some(id) = clicked {
            self.select(id, cmds);
        }
    }

    fn detail_ui(&mut self, ui: &mut Ui, data: &AppData, cmds: &Commands) {
        let Some(d) = self.detail.clone() else {
            ui.label("Loading the check…");
            return;
        };
        let c = d.check.clone();
        ui.horizontal(|ui| {
            check_badge(ui, &c);
            ui.heading(c.applicant.display_name());
        });
        ui.horizontal(|ui| {
            ui.weak(format!("Check {}", c.id));
            let label = if self.reveal {
                "Hide identifiers"
            } else {
                "Reveal identifiers"
            };
            if ui.small_button(label).clicked() {
                self.reveal = !self.reveal;
            }
        });
        if data.is_demo(c.data_source_id) {
            ui.colored_label(
                theme::warning_text(ui.visuals().dark_mode),
                "Demo data: the built-in demo registry holds synthetic people only.",
            );
        }
        ui.separator();
        egui::ScrollArea::vertical().id_salt("review-detail").show(ui, |ui| {
            ui.label(RichText::new("Why it is here").strong());
            if let Some(e) = &c.explanation {
                ui.label(hide_ids(e, &c, self.reveal));
            }
            ui.add_space(theme::SPACING);
            if d.candidates.is_empty() {
                ui.label("The registry returned no candidate for this check.");
            } else {
                comparison_grid(ui, &c, &d.candidates, self.reveal);
            }
            if !d.reviews.is_empty() {
                ui.add_space(theme::SPACING);
                ui.label(RichText::new("Earlier decisions").strong());
                for r in &d.reviews {
                    ui.label(review_line(r));
                }
            }
            ui.add_space(theme::SPACING);
            self.decision_ui(ui, data, cmds, &c);
        });
    }

    fn decision_ui(&mut self, ui: &mut Ui, data: &AppData, cmds: &Commands, c: &DuplicationCheck) {
        ui.heading("Decision");
        let supervisor = data.role == Role::Supervisor;
        if !supervisor {
            ui.colored_label(
                theme::warning_text(ui.visuals().dark_mode),
                "Only a supervisor decides: switch to the supervisor role (top right) with the PIN.",
            );
        }
        ui.add_enabled_ui(supervisor, |ui| {
            form_row(ui, "Decision", |ui| {
                ui.horizontal(|ui| {
                    for d in ReviewDecision::ALL {
                        ui.radio_value(&mut self.form.decision, Some(*d), d.label());
                    }
                })
                .response
            });
            form_row(ui, "Reason", |ui| {
                egui::ComboBox::from_id_salt("review-reason")
                    .selected_text(self.form.reason.map_or("Choose…", |r| r.label()))
                    .show_ui(ui, |ui| {
                        for r in ReviewReason::ALL {
                            ui.selectable_value(&mut self.form.reason, Some(*r), r.label());
                        }
                    })
                    .response
            });
            form_row(ui, "Note", |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut self.form.note)
                        .hint_text("What you saw: documents, a call to the other programme, …")
                        .desired_rows(3)
                        .desired_width(360.0),
                )
            });
            if let Some(d) = self.form.decision {
                let effect = match d {
                    ReviewDecision::Duplicate => "The result becomes a confirmed match.",
                    ReviewDecision::NotDuplicate => {
                        "The result becomes no match; the candidate is noted as a different person."
                    }
                    ReviewDecision::NeedsMoreInformation => "The check stays in the queue.",
                };
                ui.weak(effect);
            }
            if let Some(e) = &self.form.error {
                ui.colored_label(theme::error_text(ui.visuals().dark_mode), e);
            }
            let ready = self.form.to_review(c.id);
            let button = ui.add_enabled(ready.is_ok(), egui::Button::new("Record decision"));
            let button = match &ready {
                Err(why) => button.on_disabled_hover_text(why.clone()),
                Ok(_) => button.on_hover_text("The original result, your decision and the time are all kept"),
            };
            if button.clicked()
                && let Ok(r) = ready
            {
                self.form.error = None;
                self.decision = Some(cmds.request(|reply| Command::DecideReview { review: r, reply }));
            }
        });
    }

    fn bulk_ui(&mut self, ui: &mut Ui, data: &AppData, cmds: &Commands) {
        egui::CollapsingHeader::new("Bulk changes")
            .id_salt("bulk")
            .show(ui, |ui| {
                let supervisor = data.role == Role::Supervisor;
                form_row(ui, "Data source", |ui| {
                    egui::ComboBox::from_id_salt("bulk-source")
                        .selected_text(
                            self.bulk_source
                                .map_or("All".to_string(), |id| data.source_name(Some(id))),
                        )
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut self.bulk_source, None, "All");
                            for s in data.sources() {
                                ui.selectable_value(&mut self.bulk_source, Some(s.source.id), &s.source.name);
                            }
                        })
                        .response
                });
                let filter = CheckFilter {
                    data_source_id: self.bulk_source,
                    ..Default::default()
                };
                ui.add_enabled_ui(supervisor, |ui| {
                    ui.horizontal(|ui| {
                        for (label, action) in [
                            (
                                "Send all possible and confirmed matches to review…",
                                BulkReview::SendToReview,
                            ),
                            (
                                "Mark everything waiting as needing information…",
                                BulkReview::MarkNeedsInformation,
                            ),
                        ] {
                            if ui.button(label).clicked() {
                                self.bulk = Some(PendingBulk {
                                    filter: filter.clone(),
                                    action,
                                    count: None,
                                });
                                let filter = filter.clone();
                                self.bulk_count =
                                    Some(cmds.query(|reply| Query::CountBulkReview { filter, action, reply }));
                            }
                        }
                    });
                });
                if !supervisor {
                    ui.weak("Bulk changes are a supervisor's.");
                }
            });
        self.bulk_confirmation(ui, cmds);
    }

    fn bulk_confirmation(&mut self, ui: &mut Ui, cmds: &Commands) {
        let Some(pending) = self.bulk.clone() else {
            return;
        };
        let mut close = false;
        let modal = egui::Modal::new(egui::Id::unique("bulk-confirm")).show(ui.ctx(), |ui| {
            ui.heading("Change the review queue?");
            match pending.count {
                None => {
                    ui.label("Counting the checks…");
                }
                Some(0) => {
                    ui.label("No check matches: nothing would change.");
                    if ui.button("Close").clicked() {
                        close = true;
                    }
                }
                Some(n) => {
                    ui.label(match pending.action {
                        BulkReview::SendToReview => format!("{n} check(s) will be sent to the review queue."),
                        BulkReview::MarkNeedsInformation => {
                            format!("{n} check(s) will be marked as needing more information.")
                        }
                    });
                    ui.horizontal(|ui| {
                        if ui.button(format!("Change {n} check(s)")).clicked() {
                            let (filter, action) = (pending.filter.clone(), pending.action);
                            self.bulk_apply = Some(cmds.request(|reply| Command::BulkReview { filter, action, reply }));
                            close = true;
                        }
                        if ui.button("Cancel").clicked() {
                            close = true;
                        }
                    });
                }
            }
        });
        if close || modal.should_close() {
            self.bulk = None;
        }
    }
}

impl View for ReviewScreen {
    fn on_show(&mut self, _data: &AppData, cmds: &Commands) {
        self.reload(cmds);
        if let Some(id) = self.selected {
            self.select(id, cmds);
        }
    }

    fn on_event(&mut self, event: &Event, _data: &AppData, cmds: &Commands) {
        match event {
            Event::ReviewsChanged { check_ids } => {
                if let Some(id) = self.selected.filter(|id| check_ids.contains(id)) {
                    self.select(id, cmds);
                }
                self.reload(cmds);
            }
            Event::ChecksChanged(_) if self.counts.is_some() => self.reload(cmds),
            _ => {}
        }
    }

    fn poll(&mut self, cx: &mut AnswerCtx<'_>) {
        if let Some((r, again)) = self.queue_request.poll() {
            match r {
                Ok(page) => self.apply_page(page),
                Err(e) => cx.failed(&e),
            }
            if again {
                self.reload(cx.cmds);
            }
        }
        if let Some(r) = answer(&mut self.more_request) {
            match r {
                Ok(page) => self.apply_page(page),
                Err(e) => cx.failed(&e),
            }
        }
        if cx.detail(&mut self.detail_request, self.selected, &mut self.detail)
            && let Some(id) = self.selected
        {
            self.select(id, cx.cmds);
        }
        if let Some(r) = answer(&mut self.decision) {
            match r {
                Ok(done) => {
                    cx.done(format!("Check {}: {}.", done.check_id, done.decision.label()));
                    if Some(done.check_id) == self.selected {
                        self.form = DecisionForm::default();
                    }
                }
                Err(e) => {
                    self.form.error = Some(e.detail.clone());
                    cx.failed(&e);
                }
            }
        }
        if let Some(r) = answer(&mut self.bulk_count) {
            match r {
                Ok(count) => {
                    if let Some(p) = self.bulk.as_mut() {
                        p.count = Some(count);
                    }
                }
                Err(e) => cx.failed(&e),
            }
        }
        cx.tell(&mut self.bulk_apply);
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut ScreenCtx<'_>) {
        let (data, cmds) = (cx.data, cx.cmds);
        ui.heading("Review");
        ui.weak("Possible matches wait here for a supervisor's decision, oldest first.");
        ui.add_space(theme::SPACING / 2.0);
        self.counts_ui(ui);
        self.bulk_ui(ui, data, cmds);
        ui.separator();
        if self.selected.is_some() {
            egui::Panel::right("review-detail")
                .default_size(560.0)
                .resizable(true)
                .show(ui, |ui| self.detail_ui(ui, data, cmds));
        }
        egui::CentralPanel::default().show(ui, |ui| self.queue_ui(ui, cmds));
    }
}
