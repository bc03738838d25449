//! The whole application driven as a person drives it (egui_kittest): the
//! built-in demo registry on a first run, checks whose badges change from
//! queued to their result, the detail of a check, filtering the history,
//! retrying a failed check. Never sleeps blindly: steps frames until what a
//! person would wait for appears, with a bound.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use ibr_desk::domain::{Algorithm, NewDataSource};
use ibr_desk::sandbox::SandboxConfig;
use ibr_desk::sandbox::faults::FaultConfig;
use ibr_desk::ui::Screen;

#[test]
fn a_first_run_offers_the_demo_registry_and_its_sample_checks() {
    let mut desk = Desk::open();
    desk.wait_for_label("Run sample checks on the demo registry");
    // The status bar names the demo registry once its configuration arrives.
    desk.wait_for_label("Demo registry (built in) (demo data)");
    desk.click("Run sample checks on the demo registry");
    // Queued first, then every badge reaches its result.
    desk.wait_until("sample checks to finish", |h| {
        has(h, "✔ No match")
            && has(h, "⚠ Possible match")
            && has(h, "⛔ Confirmed match")
            && !has(h, "⏳ Queued")
            && !has(h, "⟳ Checking")
    });
    assert!(desk.count("Confirmed match") >= 3);

    // Open a detail: the confirmed applicant, with the explanation and the candidate.
    let applicant = desk
        .store
        .history_page(
            &ibr_desk::domain::CheckFilter {
                result: Some(ibr_desk::domain::MatchResult::ConfirmedMatch),
                ..Default::default()
            },
            0,
            1,
        )
        .unwrap()[0]
        .applicant
        .display_name();
    desk.settle();
    desk.harness.get_all_by_label(&applicant).next().unwrap().click();
    desk.wait_for_label("Confirmed match: UIN");
    assert!(desk.harness.query_by_label("Applicant and candidates").is_some());
    assert!(has(&desk.harness, "Demo data:"));
    // Identifier values are masked until revealed.
    let check = desk
        .store
        .history_page(&Default::default(), 0, 100)
        .unwrap()
        .into_iter()
        .find(|c| c.applicant.display_name() == applicant)
        .unwrap();
    assert!(!has(&desk.harness, &check.identifier_value));
    desk.click("Reveal");
    desk.wait_for_label(&check.identifier_value);

    // Filter by typing a name in the search box.
    desk.click("Search");
    desk.harness.get_by_label("Search").type_text(&applicant);
    desk.wait_for_label("1 check(s)");
    // And back.
    desk.click("Clear filters");
    desk.wait_until("the full history again", |h| {
        !has(h, "1 check(s)") && has(h, "check(s)")
    });
}

#[test]
fn a_failed_check_says_why_and_can_be_retried() {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig {
        require_token: false,
        faults: FaultConfig {
            rjct_rate: 1.0,
            ..Default::default()
        },
        ..SandboxConfig::default()
    });
    let mut desk = Desk::open();
    desk.wait_for_label("Run sample checks on the demo registry");
    // A second registry that rejects every search.
    let source = desk
        .store
        .insert_data_source(&NewDataSource::ibr("Strict registry", &h.base_url()))
        .unwrap();
    // Its sender ID is the demo registry's (both are sandboxes), with another
    // key: trusted as a second key of the same sender.
    let sender = desk
        .store
        .sender_by_sender_id(h.sender_id())
        .unwrap()
        .expect("the demo registry's sender");
    let jwk = &h.jwks().keys[0];
    desk.store
        .add_sender_key(
            sender.id,
            jwk.kid.as_deref(),
            Algorithm::Ed25519,
            &ibr_desk::dci::PublicKey::from_jwk(jwk).unwrap().to_pem(),
            ibr_desk::domain::KeyOrigin::Jwks,
            chrono::Utc::now(),
            "test",
        )
        .unwrap();
    // A sender is trusted only for the data sources it is linked to.
    desk.store.set_sender_link(sender.id, source.id, true, "test").unwrap();
    let uin = h.population().samples().active_single[0].value.clone();
    let person = h
        .population()
        .get(h.population().find_by_identifier(&ibr_desk::domain::IdType::Uin, &uin)[0])
        .unwrap()
        .clone();
    let name = format!("{} {}", person.given_name, person.surname);
    let engine = desk.harness.state().engine().unwrap();
    let wait = std::time::Duration::from_secs(30);
    engine
        .request(|reply| ibr_desk::engine::Command::ReloadConfig { reply })
        .wait(wait)
        .unwrap();
    engine
        .request(|reply| ibr_desk::engine::Command::SubmitCheck {
            registrant: ibr_desk::engine::CheckSubject::New(applicant(
                &person.given_name,
                &person.surname,
                Some(person.birth_date),
                &[(ibr_desk::domain::IdType::Uin, &uin)],
            )),
            data_source_id: source.id,
            reason: ibr_desk::domain::SearchReason::Application,
            reply,
        })
        .wait(wait)
        .unwrap();
    desk.wait_for_label("✖ Failed");
    desk.settle();
    desk.harness.get_by_label(&name).click();

    desk.wait_for_label("The registry rejected the search.");
    assert!(has(&desk.harness, "was not treated as “no match”"));
    h.set_faults(FaultConfig::default()).unwrap();
    desk.click("⟲ Retry");
    desk.wait_until("the retried check to complete", |h| {
        !has(h, "✖ Failed") && has(h, "Confirmed match:")
    });
    rt.stop(h);
}

#[test]
fn navigation_reaches_every_screen() {
    let mut desk = Desk::open();
    for s in Screen::ALL {
        desk.click(s.title());
        assert_eq!(desk.harness.state().screen(), s);
    }
}
