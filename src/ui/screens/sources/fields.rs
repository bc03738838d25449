//! The data source form's fields, grouped as the form shows them
//! (registry, sign-in, replies, advanced), each with the problem the
//! model's review found beside it, and what stops "Save".

use egui::{RichText, Ui};

use super::Editor;
use crate::domain::ReplyLimits;
use crate::ui::forms::reply_limits::{LimitsForm, MIB, MINUTE, number};
use crate::ui::forms::source::{PATH_PREFIXES, Review, SourceForm};
use crate::ui::state::AppData;
use crate::ui::theme;
use crate::ui::widgets::{
    FormAction, SUPERVISOR_ONLY, entered, field_note, field_warning, form_row, insecure_http_box, problem_under,
    save_cancel_row, section_heading, text_field, text_line, under_field, warning,
};

/// Name, registry type and address; `focus` puts the cursor in the name
/// once, when the form opens. Returns whether Enter was pressed.
pub(super) fn connection_fields(ui: &mut Ui, f: &mut SourceForm, review: &Review, focus: &mut bool) -> bool {
    section_heading(ui, "Registry");
    let name = text_field(ui, "Name", &mut f.name, "National IBR");
    if std::mem::take(focus) {
        name.request_focus();
    }
    let mut enter = entered(ui, &name);
    problem_under(ui, "source-name", &review.name);
    enter |= text_line(ui, "Registry type", &mut f.registry_type, "IBR");
    field_note(ui, "IBR for an Integrated Beneficiary Registry.");
    enter |= text_line(ui, "Base URL", &mut f.base_url, "https://ibr.example.org");
    problem_under(ui, "source-base-url", &review.base_url);
    insecure_http_box(ui, &mut f.insecure_http);
    path_prefix_field(ui, f);
    if f.custom_prefix {
        enter |= text_line(ui, "Other path prefix", &mut f.path_prefix, "registry");
    }
    problem_under(ui, "source-path-prefix", &review.path_prefix);
    if review.base_url.is_none() && !f.base_url.trim().is_empty() {
        let base = f.base_url.trim().trim_end_matches('/');
        field_note(
            ui,
            &format!("Searches go to {base}/{}/sync/search.", f.path_prefix.trim()),
        );
    }
    enter
}

fn path_prefix_field(ui: &mut Ui, f: &mut SourceForm) {
    form_row(ui, "Path prefix", |ui| {
        let shown = if f.custom_prefix {
            "Other…".to_string()
        } else {
            PATH_PREFIXES
                .iter()
                .find(|(p, _)| *p == f.path_prefix)
                .map_or_else(|| f.path_prefix.clone(), |(_, label)| (*label).to_string())
        };
        egui::ComboBox::from_id_salt("source-path-prefix")
            .selected_text(shown)
            .width(240.0)
            .show_ui(ui, |ui| {
                for (p, label) in PATH_PREFIXES {
                    if ui
                        .selectable_label(!f.custom_prefix && f.path_prefix == p, label)
                        .clicked()
                    {
                        f.path_prefix = p.to_string();
                        f.custom_prefix = false;
                    }
                }
                if ui.selectable_label(f.custom_prefix, "Other…").clicked() {
                    f.custom_prefix = true;
                }
            })
            .response
    });
}

/// OAuth token URL, client ID and secret; returns whether Enter was pressed.
pub(super) fn sign_in_fields(ui: &mut Ui, ed: &mut Editor, review: &Review, data: &AppData) -> bool {
    section_heading(ui, "Sign-in (OAuth 2.0)");
    let f = &mut ed.form;
    let mut enter = text_line(
        ui,
        "OAuth token URL",
        &mut f.auth_url,
        "leave empty if the registry needs no sign-in",
    );
    problem_under(ui, "source-auth-url", &review.auth_url);
    enter |= text_line(ui, "Client ID", &mut f.client_id, "");
    let secret = form_row(ui, "Client secret", |ui| {
        ui.add_enabled(
            !f.clear_secret,
            egui::TextEdit::singleline(&mut f.secret)
                .password(true)
                .desired_width(360.0),
        )
    });
    enter |= entered(ui, &secret);
    field_note(ui, "Kept in the OS keyring, never on disk.");
    let keyring_ok = data.config.as_ref().is_some_and(|c| c.keyring.is_ok());
    if !keyring_ok {
        field_warning(
            ui,
            "The OS keyring is not available, so a client secret cannot be stored on this computer. Leave the \
             field empty to save the other settings.",
        );
    }
    if ed.id.is_some() && ed.secret_stored == Some(true) {
        under_field(ui, |ui| {
            ui.label(RichText::new("A secret is stored. Leave the field empty to keep it, or type a new one.").weak());
            if ui.checkbox(&mut f.clear_secret, "Remove the stored secret").changed() && f.clear_secret {
                f.secret.clear();
            }
        });
    } else if !f.auth_url.trim().is_empty() && f.secret.trim().is_empty() {
        field_warning(ui, "Without a client secret the registry will refuse the sign-in.");
    }
    enter
}

/// How replies are trusted, and whether the source is offered.
pub(super) fn reply_fields(ui: &mut Ui, f: &mut SourceForm) {
    section_heading(ui, "Replies");
    under_field(ui, |ui| {
        ui.checkbox(&mut f.allow_unsigned, "Allow unsigned replies");
        let text = "Only for test servers: replies without a trusted signature will be accepted.";
        if f.allow_unsigned {
            warning(ui, text);
        } else {
            ui.label(RichText::new(text).weak());
        }
        ui.add_space(theme::SPACING / 2.0);
        ui.checkbox(&mut f.active, "Active");
        ui.label(RichText::new("Only active data sources are offered for new checks.").weak());
    });
}

/// What stops saving, beside "Save" and "Cancel".
pub(super) fn save_row(
    ui: &mut Ui,
    ed: &Editor,
    review: &Review,
    secret_blocked: bool,
    supervisor: bool,
) -> Option<FormAction> {
    let why_not = if ed.saving.is_some() {
        Some("Saving…".to_string())
    } else if !supervisor {
        Some(SUPERVISOR_ONLY.to_string())
    } else if let Some(m) = &review.missing {
        Some(m.clone())
    } else if secret_blocked {
        Some("The client secret cannot be stored without the OS keyring: clear the field to save.".to_string())
    } else if review.source.is_none() {
        Some("Correct what is marked in red first.".to_string())
    } else {
        None
    };
    save_cancel_row(ui, why_not.as_deref())
}

/// The bounds of the source's replies, folded away: their defaults suit
/// most registries.
pub(super) fn advanced_fields(ui: &mut Ui, f: &mut SourceForm, review: &Review) -> bool {
    let mut enter = false;
    let d = ReplyLimits::default();
    egui::CollapsingHeader::new("Advanced")
        .id_salt("source-advanced")
        .default_open(review.limits.is_some())
        .show(ui, |ui| {
            ui.label(
                RichText::new("What this registry's replies may hold; a reply beyond them fails its checks.").weak(),
            );
            enter |= text_line(ui, "Largest reply (MiB)", &mut f.limits.max_reply_mib, "32");
            field_note(
                ui,
                &format!(
                    "Default {} MiB; from 0.0625 (64 KiB) to 1024.",
                    number(d.max_reply_bytes as f64 / MIB)
                ),
            );
            enter |= text_line(
                ui,
                "Most records fetched per check",
                &mut f.limits.max_records_per_check,
                "500",
            );
            field_note(
                ui,
                &format!(
                    "Default {}; a registry holding more makes the check a possible match.",
                    d.max_records_per_check
                ),
            );
            enter |= text_line(
                ui,
                "Longest signature validity (minutes)",
                &mut f.limits.max_signature_lifetime_mins,
                "60",
            );
            field_note(
                ui,
                &format!(
                    "Default {} minutes; from 1 to 10,080 (7 days).",
                    number(f64::from(d.max_signature_lifetime_secs) / MINUTE)
                ),
            );
            if ui.button("Restore the defaults").clicked() {
                f.limits = LimitsForm::from_limits(&d);
            }
        });
    // Beside the section, open or folded: a problem is never hidden.
    problem_under(ui, "source-limits", &review.limits);
    enter
}
