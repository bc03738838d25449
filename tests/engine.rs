//! Duplication checks end to end against the sandbox over loopback: every
//! result and every failure kind with its explanation, retries, and the
//! offline queue draining when the registry comes back.

mod common;

use std::time::Duration;

use common::*;
use ibr_desk::domain::{CheckState, FoundBy, IdType, MatchResult};
use ibr_desk::sandbox::SandboxConfig;
use ibr_desk::sandbox::faults::FaultConfig;
use ibr_desk::sandbox::population::Person;

fn person_applicant(p: &Person) -> ibr_desk::domain::NewRegistrant {
    let uin = p.uin.clone().expect("a person with a UIN");
    applicant(&p.given_name, &p.surname, Some(p.birth_date), &[(IdType::Uin, &uin)])
}

fn find_person<'a>(h: &'a ibr_desk::sandbox::SandboxHandle, uin: &str) -> &'a Person {
    let pop = h.population();
    let idx = pop.find_by_identifier(&IdType::Uin, uin)[0];
    pop.get(idx).unwrap()
}

#[test]
fn each_result_with_its_explanation() {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig::default());
    let office = Office::new();
    let source = office.add_sandbox(&h, false);
    let s = h.population().samples();

    // Confirmed: exact UIN, Active, same name (typed without accents, in capitals) and birth date.
    let p = find_person(&h, &s.active_single[0].value);
    let mut typed = person_applicant(p);
    typed.given_name = Some(p.given_name.to_uppercase());
    let confirmed = office.wait_final(office.submit(source.id, typed));
    assert_eq!(confirmed.state, CheckState::Completed, "{confirmed:#?}");
    assert_eq!(
        confirmed.result,
        Some(MatchResult::ConfirmedMatch),
        "{:?}",
        confirmed.explanation
    );
    assert!(
        confirmed
            .explanation
            .as_deref()
            .unwrap()
            .starts_with("Confirmed match: UIN")
    );
    assert_eq!(confirmed.matched_programs.len(), 1);
    assert!(confirmed.signature_note.as_deref().unwrap().contains("verified"));
    assert!(confirmed.transaction_id.is_some() && confirmed.correlation_id.is_some());

    // No match: an identifier no one holds, and a name no one has.
    let absent = office.wait_final(office.submit(
        source.id,
        applicant(
            "Nobody",
            "Known",
            chrono::NaiveDate::from_ymd_opt(1901, 1, 1),
            &[(IdType::Uin, &s.not_enrolled[0].value)],
        ),
    ));
    assert_eq!(absent.result, Some(MatchResult::NoMatch), "{absent:#?}");
    assert!(absent.explanation.as_deref().unwrap().starts_with("No match:"));
    assert!(absent.matched_programs.is_empty());

    // Possible: the same UIN, but graduated.
    let g = find_person(&h, &s.graduated[0].value);
    let graduated = office.wait_final(office.submit(source.id, person_applicant(g)));
    assert_eq!(graduated.result, Some(MatchResult::PossibleMatch));
    assert!(
        graduated.explanation.as_deref().unwrap().contains("Graduated"),
        "{:?}",
        graduated.explanation
    );

    // Possible: deceased.
    let d = find_person(&h, &s.deceased[0].value);
    let deceased = office.wait_final(office.submit(source.id, person_applicant(d)));
    assert_eq!(deceased.result, Some(MatchResult::PossibleMatch));
    assert!(deceased.explanation.as_deref().unwrap().contains("Deceased"));

    // Possible: the same UIN, but another birth date.
    let mut wrong_birth = person_applicant(p);
    wrong_birth.birth_date = p.birth_date.succ_opt();
    let conflict = office.wait_final(office.submit(source.id, wrong_birth));
    assert_eq!(conflict.result, Some(MatchResult::PossibleMatch));
    assert!(
        conflict.explanation.as_deref().unwrap().contains("birth date differs"),
        "{:?}",
        conflict.explanation
    );

    // Possible: the same UIN, but another given name.
    let mut other_name = person_applicant(p);
    other_name.given_name = Some("Zzyzx".into());
    let renamed = office.wait_final(office.submit(source.id, other_name));
    assert_eq!(renamed.result, Some(MatchResult::PossibleMatch));
    assert!(renamed.explanation.as_deref().unwrap().contains("given name differs"));

    // Possible: found only by name and birth date (a new UIN, the name of near-twins).
    let twin = &s.near_twins[0];
    let demographic = office.wait_final(office.submit(
        source.id,
        applicant(
            &twin.given_name,
            &twin.surname,
            Some(twin.birth_date),
            &[(IdType::Uin, &s.not_enrolled[1].value)],
        ),
    ));
    assert_eq!(demographic.result, Some(MatchResult::PossibleMatch));
    assert!(
        demographic
            .explanation
            .as_deref()
            .unwrap()
            .contains("same name and birth date"),
        "{:?}",
        demographic.explanation
    );
    let candidates = office.store.candidates(demographic.id).unwrap();
    assert!(candidates.len() >= 2);
    assert!(
        candidates
            .iter()
            .all(|c| c.found_by == FoundBy::Demographic && !c.confirms)
    );

    // The audit log holds the request and the completion of each.
    let audit = office.store.audit_for_check(confirmed.id).unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert!(
        actions.contains(&"check_requested") && actions.contains(&"check_completed"),
        "{actions:?}"
    );
    rt.stop(h);
}

fn failed_with(faults: FaultConfig, allow_unsigned: bool) -> ibr_desk::domain::DuplicationCheck {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig {
        faults,
        ..SandboxConfig::default()
    });
    let office = Office::new();
    let source = office.add_sandbox(&h, allow_unsigned);
    let p = find_person(&h, &h.population().samples().active_single[0].value).clone();
    let c = office.wait_final(office.submit(source.id, person_applicant(&p)));
    drop(office);
    rt.stop(h);
    c
}

#[test]
fn rjct_fails_the_check_never_no_match() {
    let c = failed_with(
        FaultConfig {
            rjct_rate: 1.0,
            ..Default::default()
        },
        false,
    );
    assert_eq!(c.state, CheckState::Failed);
    assert_eq!(c.result, None);
    assert_eq!(c.error_kind.as_deref(), Some("rejected"));
    assert!(
        c.error_message
            .as_deref()
            .unwrap()
            .contains("rjct.search_criteria.invalid"),
        "{c:#?}"
    );
}

#[test]
fn a_wrong_signature_fails_the_check() {
    let c = failed_with(
        FaultConfig {
            bad_signature_rate: 1.0,
            ..Default::default()
        },
        false,
    );
    assert_eq!(c.state, CheckState::Failed);
    assert_eq!(c.error_kind.as_deref(), Some("signature"));
    assert!(c.error_message.as_deref().unwrap().contains("does not verify"));
}

#[test]
fn a_malformed_reply_fails_the_check() {
    let c = failed_with(
        FaultConfig {
            malformed_rate: 1.0,
            ..Default::default()
        },
        false,
    );
    assert_eq!(c.state, CheckState::Failed);
    assert_eq!(c.error_kind.as_deref(), Some("malformed"));
}

#[test]
fn unsigned_replies_fail_unless_the_source_allows_them() {
    let c = failed_with(
        FaultConfig {
            unsigned: true,
            ..Default::default()
        },
        false,
    );
    assert_eq!(c.state, CheckState::Failed);
    assert_eq!(c.error_kind.as_deref(), Some("signature"));
    let ok = failed_with(
        FaultConfig {
            unsigned: true,
            ..Default::default()
        },
        true,
    );
    assert_eq!(ok.state, CheckState::Completed);
    assert!(ok.signature_note.as_deref().unwrap().contains("unsigned"));
    assert!(
        ok.explanation
            .as_deref()
            .unwrap()
            .contains("not signed by a trusted sender"),
        "{:?}",
        ok.explanation
    );
}

#[test]
fn an_untrusted_or_inactive_sender_fails_the_check() {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig::default());
    let office = Office::new();
    let source = office.add_sandbox(&h, false);
    let mut sender = office.store.sender_by_sender_id(h.sender_id()).unwrap().unwrap();
    sender.active = false;
    office.store.update_sender(&sender, &[source.id], "test").unwrap();
    office
        .engine()
        .request(|reply| ibr_desk::engine::Command::ReloadConfig { reply })
        .wait(std::time::Duration::from_secs(30))
        .ok();
    let p = find_person(&h, &h.population().samples().active_single[0].value).clone();
    let c = office.wait_final(office.submit(source.id, person_applicant(&p)));
    assert_eq!(c.state, CheckState::Failed);
    assert!(c.error_message.as_deref().unwrap().contains("no trusted key"), "{c:#?}");
    rt.stop(h);
}

#[test]
fn a_refused_secret_fails_with_an_auth_error() {
    use ibr_desk::secrets::SecretStore as _;
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig::default());
    let office = Office::new();
    let source = office.add_sandbox(&h, false);
    office
        .secrets
        .set(
            &source.secret_key(&office.store.installation_id().unwrap()),
            "not-the-secret",
        )
        .unwrap();
    let c = office.wait_final(office.submit(source.id, applicant("A", "B", None, &[(IdType::Uin, "1234567890")])));
    assert_eq!(c.state, CheckState::Failed);
    assert_eq!(c.error_kind.as_deref(), Some("auth"));
    assert!(!c.error_message.as_deref().unwrap().contains("not-the-secret"));
    rt.stop(h);
}

#[test]
fn server_errors_are_retried_then_fail_saying_so() {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig {
        faults: FaultConfig {
            error_rate: 1.0,
            ..Default::default()
        },
        ..SandboxConfig::default()
    });
    let office = Office::new();
    let source = office.add_sandbox(&h, false);
    let c = office.wait_final(office.submit(source.id, applicant("A", "B", None, &[(IdType::Uin, "1234567890")])));
    assert_eq!(c.state, CheckState::Failed);
    assert_eq!(c.attempts, 3, "max_error_attempts of the test policy");
    assert!(
        c.error_message.as_deref().unwrap().contains("gave up after 3 attempts"),
        "{c:#?}"
    );
    rt.stop(h);
}

#[test]
fn checks_wait_while_the_registry_is_down_and_run_when_it_is_back() {
    let rt = SandboxRuntime::new();
    // The registry comes back with the same key: the same identity.
    let key = ibr_desk::dci::PrivateKey::generate_ed25519().unwrap();
    let h = rt.start(SandboxConfig {
        signing_key: Some(key.clone()),
        ..SandboxConfig::default()
    });
    let addr = h.addr();
    let population = h.population().clone();
    let office = Office::new();
    let source = office.add_sandbox(&h, false);
    let s = population.samples();
    rt.stop(h);

    let ids: Vec<i64> = s
        .active_single
        .iter()
        .take(3)
        .map(|u| {
            let p = population
                .get(population.find_by_identifier(&IdType::Uin, &u.value)[0])
                .unwrap()
                .clone();
            office.submit(source.id, person_applicant(&p))
        })
        .collect();
    for id in &ids {
        let queued = office.wait_until(*id, |c| c.state == CheckState::Ready && c.attempts >= 1);
        assert_eq!(queued.error_kind.as_deref(), Some("unreachable"), "{queued:#?}");
        assert!(queued.next_attempt_at.is_some());
    }
    std::thread::sleep(Duration::from_millis(500));
    for id in &ids {
        assert_ne!(
            office.store.check(*id).unwrap().unwrap().state,
            CheckState::Failed,
            "offline never fails a check"
        );
    }

    let back =
        rt.0.block_on(ibr_desk::sandbox::start_with_population(
            SandboxConfig {
                bind: addr,
                signing_key: Some(key),
                ..SandboxConfig::default()
            },
            population.clone(),
        ))
        .unwrap();
    for id in &ids {
        let c = office.wait_final(*id);
        assert_eq!(c.result, Some(MatchResult::ConfirmedMatch), "{c:#?}");
        assert!(c.attempts >= 2);
    }
    rt.stop(back);
}

#[test]
fn retry_puts_a_failed_check_back_with_the_same_reference_ids() {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig {
        faults: FaultConfig {
            rjct_rate: 1.0,
            ..Default::default()
        },
        ..SandboxConfig::default()
    });
    let office = Office::new();
    let source = office.add_sandbox(&h, false);
    let p = find_person(&h, &h.population().samples().active_single[0].value).clone();
    let failed = office.wait_final(office.submit(source.id, person_applicant(&p)));
    assert_eq!(failed.state, CheckState::Failed);
    h.set_faults(FaultConfig::default()).unwrap();
    office
        .engine()
        .request(|reply| ibr_desk::engine::Command::RetryCheck {
            check_id: failed.id,
            reply,
        })
        .wait(Duration::from_secs(30))
        .unwrap();
    let done = office.wait_final(failed.id);
    assert_eq!(done.result, Some(MatchResult::ConfirmedMatch), "{done:#?}");
    assert_eq!(done.queries, failed.queries, "the same reference IDs");
    rt.stop(h);
}

#[test]
fn checks_of_one_source_travel_together() {
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig {
        faults: FaultConfig {
            latency_ms: 300,
            ..Default::default()
        },
        ..SandboxConfig::default()
    });
    let office = Office::with_config(ibr_desk::engine::EngineConfig {
        max_batches_in_flight: 1,
        ..fast_engine_config()
    });
    let source = office.add_sandbox(&h, false);
    let people: Vec<Person> = h
        .population()
        .people()
        .iter()
        .filter(|p| p.uin.is_some())
        .take(40)
        .cloned()
        .collect();
    let ids: Vec<i64> = people
        .iter()
        .map(|p| office.submit(source.id, person_applicant(p)))
        .collect();
    for id in &ids {
        assert_eq!(office.wait_final(*id).state, CheckState::Completed);
    }
    let stats = h.stats();
    // 40 checks × 2 searches, at most 50 per message: far fewer messages than checks.
    assert_eq!(stats.search_items, 80);
    assert!(stats.search_messages <= 10, "{stats:?}");
    rt.stop(h);
}

#[test]
fn enrollment_status_and_beneficiary_search() {
    use std::sync::Arc;
    let rt = SandboxRuntime::new();
    let h = rt.start(SandboxConfig::default());
    let s = h.population().samples();
    let conn = ibr_desk::ibr::SourceConnection {
        source: ibr_desk::domain::DataSource {
            id: 1,
            name: "sandbox".into(),
            registry_type: ibr_desk::domain::REGISTRY_TYPE_IBR.into(),
            base_url: h.base_url(),
            auth_url: Some(h.token_url()),
            client_id: Some(ibr_desk::sandbox::DEMO_CLIENT_ID.into()),
            path_prefix: "registry".into(),
            mode: ibr_desk::domain::SourceMode::Sync,
            allow_unsigned: false,
            active: true,
            is_demo: true,
            insecure_http: false,
            limits: ibr_desk::domain::ReplyLimits::default(),
            created_at: chrono::Utc::now(),
        },
        client_secret: Some(ibr_desk::dci::Secret::new(ibr_desk::sandbox::DEMO_CLIENT_SECRET)),
        trusted_keys: Arc::new(h.jwks()),
        office_sender_id: "office.test".into(),
        office_signer: None,
        timeout: Duration::from_secs(5),
    };
    let svc = ibr_desk::ibr::IbrService::new(conn).unwrap();
    rt.0.block_on(async {
        let multi = svc
            .search_beneficiary(&IdType::Uin, &s.active_multi[0].value)
            .await
            .unwrap();
        assert!(multi.records.len() >= 2);
        let st = svc
            .get_enrollment_status(&IdType::Uin, &s.active_multi[0].value)
            .await
            .unwrap();
        assert!(st.enrolled);
        assert_eq!(st.answered_by, "enrolled");
        let none = svc
            .get_enrollment_status(&IdType::Uin, &s.not_enrolled[0].value)
            .await
            .unwrap();
        assert!(!none.enrolled);
        let report = svc.test_connection().await.unwrap();
        assert!(report.signature.contains("verified"));
        let p = find_person(&h, &s.active_single[0].value);
        let r = ibr_desk::domain::Registrant {
            id: 1,
            given_name: Some(p.given_name.clone()),
            surname: Some(p.surname.clone()),
            birth_date: Some(p.birth_date),
            sex: None,
            identifiers: vec![ibr_desk::domain::Identifier::new(IdType::Uin, p.uin.clone().unwrap())],
            created_at: chrono::Utc::now(),
        };
        let v = svc.check_duplication(&r).await.unwrap();
        assert_eq!(v.decision.result, MatchResult::ConfirmedMatch);
    });
    rt.stop(h);
}
