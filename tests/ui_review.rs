//! A supervisor works through the review queue as a person would: sets the
//! PIN, switches role, compares the applicant with the candidates, decides
//! with a reason, and the decision is in the audit log. An officer cannot
//! decide.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use ibr_desk::domain::{MatchResult, ReviewDecision, ReviewStatus};

#[test]
fn a_supervisor_decides_a_possible_match() {
    let mut desk = Desk::open();
    desk.wait_for_label("Run sample checks on the demo registry");
    desk.click("Run sample checks on the demo registry");
    desk.wait_until("sample checks", |h| {
        has(h, "⚠ Possible match") && !has(h, "⏳ Queued") && !has(h, "⟳ Checking")
    });

    // Settings: the supervisor PIN.
    desk.click("Settings");
    desk.type_into("New PIN", "2468");
    desk.type_into("Repeat new PIN", "2468");
    desk.click("Save PIN");
    desk.wait_for_label("A PIN is set.");

    // The queue, oldest first, with its counts.
    desk.click("Review");
    desk.wait_for_label("to review");
    let queue = desk.store.review_queue(0, 10).unwrap();
    assert!(queue.len() >= 3, "the sample possible matches wait for review");
    let first = queue[0].clone();
    desk.wait_for_label(&format!("{} to review", queue.len()));
    desk.settle();
    desk.harness
        .get_all_by_label(&first.applicant.display_name())
        .next()
        .unwrap()
        .click();
    desk.wait_for_label("Why it is here");
    assert!(
        has(&desk.harness, "Candidate 1"),
        "the candidates stand beside the applicant"
    );

    // As an officer, the decision is out of reach.
    assert!(has(&desk.harness, "Only a supervisor decides"));

    // A wrong PIN is refused; the right one switches.
    desk.click("Switch to supervisor");
    desk.type_into("Supervisor PIN", "1111");
    desk.click("Switch");
    desk.wait_for_label("the PIN is not right");
    desk.type_into("Supervisor PIN", "2468");
    desk.click("Switch");
    desk.wait_for_label("Working as a supervisor");

    // The decision: not a duplicate, with a reason and a note.
    desk.click("Not a duplicate");
    desk.click("Reason");
    desk.settle();
    desk.harness.get_by_label("Different person with the same ID").click();
    desk.settle();
    desk.type_into("Note", "Different mother on the birth certificate");
    desk.click("Record decision");
    desk.wait_until("the queue to shrink", |h| {
        has(h, &format!("{} to review", queue.len() - 1))
    });

    let c = desk.store.check(first.id).unwrap().unwrap();
    assert_eq!(
        c.result,
        Some(MatchResult::PossibleMatch),
        "the original result is kept"
    );
    assert_eq!(c.final_result, Some(MatchResult::NoMatch));
    assert_eq!(c.review_status, Some(ReviewStatus::Decided));
    let reviews = desk.store.reviews_of(first.id).unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].decision, ReviewDecision::NotDuplicate);
    assert_eq!(reviews[0].note, "Different mother on the birth certificate");
    let audit = desk.store.audit_for_check(first.id).unwrap();
    assert!(audit.iter().any(|a| a.action == "review_decided"), "{audit:#?}");

    // The check's own history shows the decision too.
    desk.click("Checks");
    desk.wait_for_label("reviewed");
}

#[test]
fn the_engine_refuses_an_officers_decision() {
    let mut desk = Desk::open();
    desk.wait_for_label("Run sample checks on the demo registry");
    desk.click("Run sample checks on the demo registry");
    desk.wait_until("sample checks", |h| {
        has(h, "⚠ Possible match") && !has(h, "⏳ Queued") && !has(h, "⟳ Checking")
    });
    let id = desk.store.review_queue(0, 1).unwrap()[0].id;
    let refused = desk
        .harness
        .state()
        .engine()
        .unwrap()
        .request(|reply| ibr_desk::engine::Command::DecideReview {
            review: ibr_desk::domain::NewReview {
                check_id: id,
                decision: ReviewDecision::Duplicate,
                reason: ibr_desk::domain::ReviewReason::SamePerson,
                note: String::new(),
            },
            reply,
        })
        .wait(std::time::Duration::from_secs(10))
        .expect_err("an officer's decision is refused")
        .message;
    assert_eq!(refused, "Only a supervisor can decide.");
    assert!(desk.store.reviews_of(id).unwrap().is_empty());
}
