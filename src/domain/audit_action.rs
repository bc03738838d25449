//! The names of what the audit log records.
//!
//! One enum, so that a writer cannot misspell an action and a reader can
//! list them all. The words are the ones databases already hold (history
//! and detail views show them, exports carry them): a variant is never
//! renamed, only added. Reading the log back keeps the stored text as it
//! is ([`AuditEntry::action`]) — an older or newer IBR Desk may have
//! written a name this one does not know — and [`AuditEntry::known_action`]
//! says which one it is when it is known.

use super::AuditEntry;

/// An action written to the audit log; its text form (`snake_case`) is what
/// the database holds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum AuditAction {
    // A duplication check's life.
    CheckRequested,
    CheckCompleted,
    CheckFailed,
    CheckRequeued,
    CheckRetried,
    CheckRecovered,
    CheckMadeDue,
    // The review.
    ReviewDecided,
    BulkSentToReview,
    BulkMarkedNeedsInformation,
    // Rosters.
    RosterImportStarted,
    RosterImported,
    // Data sources.
    SourceAdded,
    SourceChanged,
    SourceRemoved,
    // Trusted senders, their links and keys.
    SenderAdded,
    SenderChanged,
    SenderRemoved,
    SenderLinked,
    SenderUnlinked,
    SenderKeyAdded,
    SenderKeysFetched,
    SenderKeysReplaced,
    // The office, roles and this installation.
    SettingsChanged,
    OfficeKeyGenerated,
    SupervisorPinSet,
    /// The PIN's stored hash rewritten in a newer format (the same PIN).
    SupervisorPinRehashed,
    SupervisorPinRefused,
    RoleChanged,
    InstallationCreated,
    KeyringEntriesRenamed,
}

impl AuditAction {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl AuditEntry {
    /// The action of this line when this version knows its name; `None` for
    /// a name written by another version (the text stays in `action`).
    pub fn known_action(&self) -> Option<AuditAction> {
        self.action.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray as _;

    #[test]
    fn the_stored_words_are_the_ones_databases_hold() {
        let words: Vec<&str> = AuditAction::VARIANTS.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            words,
            [
                "check_requested",
                "check_completed",
                "check_failed",
                "check_requeued",
                "check_retried",
                "check_recovered",
                "check_made_due",
                "review_decided",
                "bulk_sent_to_review",
                "bulk_marked_needs_information",
                "roster_import_started",
                "roster_imported",
                "source_added",
                "source_changed",
                "source_removed",
                "sender_added",
                "sender_changed",
                "sender_removed",
                "sender_linked",
                "sender_unlinked",
                "sender_key_added",
                "sender_keys_fetched",
                "sender_keys_replaced",
                "settings_changed",
                "office_key_generated",
                "supervisor_pin_set",
                "supervisor_pin_rehashed",
                "supervisor_pin_refused",
                "role_changed",
                "installation_created",
                "keyring_entries_renamed",
            ]
        );
        for a in AuditAction::VARIANTS {
            assert_eq!(a.to_string(), a.as_str());
            assert_eq!(a.as_str().parse::<AuditAction>().ok(), Some(*a));
        }
    }

    #[test]
    fn a_name_this_version_does_not_know_reads_back_as_text() {
        let entry = |action: &str| AuditEntry {
            id: 1,
            at: chrono::Utc::now(),
            actor: "system".into(),
            action: action.into(),
            check_id: None,
            details: "{}".into(),
        };
        assert_eq!(entry("source_added").known_action(), Some(AuditAction::SourceAdded));
        let later = entry("office_synced");
        assert_eq!(later.known_action(), None);
        assert_eq!(later.action, "office_synced");
    }
}
