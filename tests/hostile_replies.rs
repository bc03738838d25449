//! A hostile registry's validly signed replies that must never become a
//! verified "no match": missing payloads, repeated answers, short or missing
//! pages, unfinished replies, replies to another transaction, oversized
//! bodies. Each check must fail with its reason — or, for more records than
//! a check may fetch, be a possible match that says so.

mod common;

use common::hostile::{self, Answer, Seen, assert_failed, nothing_found, record, search_message, succ_item};
use common::{Office, SandboxRuntime};
use ibr_desk::domain::{CheckState, MatchResult};
use serde_json::{Value, json};

/// Runs Amina's check against a registry that answers with `script`.
fn check_against(
    script: impl Fn(&Seen) -> Answer + Send + Sync + 'static,
) -> (ibr_desk::domain::DuplicationCheck, hostile::Hostile, Office) {
    check_against_with(script, |_| {})
}

fn check_against_with(
    script: impl Fn(&Seen) -> Answer + Send + Sync + 'static,
    tweak: impl FnOnce(&mut ibr_desk::domain::NewDataSource),
) -> (ibr_desk::domain::DuplicationCheck, hostile::Hostile, Office) {
    let rt = SandboxRuntime::new();
    let h = hostile::start(&rt.0, script);
    let office = Office::new();
    let source = office.add_hostile(&h, tweak);
    let c = office.check_amina(source.id);
    // The runtime serves until the test is done with the office.
    std::mem::forget(rt);
    (c, h, office)
}

/// Every search of the request answered `succ` with nothing, except that
/// `change` may rewrite the items.
fn answering(change: impl Fn(&Seen, Vec<Value>) -> Vec<Value> + Send + Sync + 'static) -> impl Fn(&Seen) -> Answer {
    move |seen: &Seen| {
        let items = change(seen, nothing_found(seen));
        Answer::signed(seen, search_message(seen, items))
    }
}

#[test]
fn a_well_formed_empty_answer_is_no_match() {
    // The harness itself: a registry that plays fair gives a verified no match.
    let (c, _h, _o) = check_against(answering(|_, items| items));
    assert_eq!(c.state, CheckState::Completed, "{:?}", c.error_message);
    assert_eq!(c.result, Some(MatchResult::NoMatch));
    assert!(c.signature_note.as_deref().unwrap_or_default().contains("verified"));
}

#[test]
fn a_succ_item_without_its_records_is_missing_not_empty() {
    let variants: [(&str, Value); 5] = [
        ("data has no reg_records", json!({"version": "1.0.0"})),
        ("reg_records is null", json!({"version": "1.0.0", "reg_records": null})),
        ("\"reg_record\" instead", json!({"version": "1.0.0", "reg_record": []})),
        ("data is null", Value::Null),
        ("no data", json!("__remove__")),
    ];
    for (why, data) in variants {
        let (c, _h, _o) = check_against(answering(move |_, mut items| {
            if data == json!("__remove__") {
                items[0].as_object_mut().unwrap().remove("data");
            } else {
                items[0]["data"] = data.clone();
            }
            items
        }));
        assert_failed(&c, "malformed", why);
        assert!(
            c.error_message
                .as_deref()
                .unwrap_or_default()
                .contains("missing, not empty"),
            "{:?}",
            c.error_message
        );
    }
}

#[test]
fn a_reference_answered_twice_is_ambiguous() {
    // First empty, then with a record.
    let (c, _h, _o) = check_against(answering(|_, mut items| {
        let mut again = items[0].clone();
        again["data"]["reg_records"] = json!([record("4567890123", "Amina", "Diallo", "1990-03-14", "Active")]);
        again["pagination"]["total_count"] = json!(1);
        items.push(again);
        items
    }));
    assert_failed(&c, "ambiguous", "2 times in one reply");
    // First empty, then rejected.
    let (c, _h, _o) = check_against(answering(|_, mut items| {
        let mut again = items[0].clone();
        again["status"] = json!("rjct");
        again.as_object_mut().unwrap().remove("data");
        items.push(again);
        items
    }));
    assert_failed(&c, "ambiguous", "(succ, rjct)");
}

#[test]
fn an_empty_first_page_that_claims_records_is_never_no_match() {
    // The registry says it holds 3 records and never sends any.
    let (c, h, _o) = check_against(answering(|_, mut items| {
        items[0]["pagination"]["total_count"] = json!(3);
        items
    }));
    assert_failed(&c, "incomplete", "holds 3 record(s)");
    // It was asked for the next page before the check gave up.
    let pages: Vec<(String, u64)> = h.searches().iter().flat_map(Seen::searches).collect();
    assert!(pages.iter().any(|(r, p)| r.ends_with(".p2") && *p == 2), "{pages:?}");
}

#[test]
fn fewer_records_than_the_total_fetch_the_remaining_pages() {
    // Name and birth date find three namesakes, sent one page at a time.
    let namesakes: Vec<Value> = (1..=3)
        .map(|i| record(&format!("99900000{i}"), "Amina", "Diallo", "1990-03-14", "Active"))
        .collect();
    let (c, h, office) = check_against(answering(move |seen, mut items| {
        for (item, (reference, page)) in items.iter_mut().zip(seen.searches()) {
            if reference.ends_with("-2") || reference.contains("-2.p") {
                let page = usize::try_from(page).unwrap();
                let records: Vec<Value> = namesakes.get(page - 1).cloned().into_iter().collect();
                *item = succ_item(&reference, records, 3);
                item["pagination"]["page_size"] = json!(1);
                item["pagination"]["page_number"] = json!(page);
            }
        }
        items
    }));
    assert_eq!(c.state, CheckState::Completed, "{:?}", c.error_message);
    assert_eq!(c.result, Some(MatchResult::PossibleMatch), "{:?}", c.explanation);
    assert_eq!(
        office.store.candidates(c.id).unwrap().len(),
        3,
        "every page's record is a candidate"
    );
    assert_eq!(h.searches().len(), 3, "page 1 with both searches, then pages 2 and 3");
    // The registry's own page size was used for the pages that followed.
    let later = &h.searches()[1];
    assert_eq!(
        later.message()["search_request"][0]["search_criteria"]["pagination"]["page_size"],
        1
    );
}

#[test]
fn pages_that_stop_coming_make_the_check_incomplete() {
    // Page 1 has one of the two records it claims; page 2 is empty.
    let (c, _h, _o) = check_against(answering(|seen, mut items| {
        for (item, (reference, page)) in items.iter_mut().zip(seen.searches()) {
            if reference.ends_with("-1") || reference.contains("-1.p") {
                let records = if page == 1 {
                    vec![record("4567890123", "Amina", "Diallo", "1990-03-14", "Active")]
                } else {
                    vec![]
                };
                *item = succ_item(&reference, records, 2);
            }
        }
        items
    }));
    assert_failed(&c, "incomplete", "sent only 1 in 2 page(s)");
}

#[test]
fn a_count_that_changes_between_pages_is_not_one_answer() {
    let (c, _h, _o) = check_against(answering(|seen, mut items| {
        for (item, (reference, page)) in items.iter_mut().zip(seen.searches()) {
            if reference.ends_with("-1") || reference.contains("-1.p") {
                let r = record(&format!("12345{page}"), "Amina", "Diallo", "1990-03-14", "Graduated");
                *item = succ_item(&reference, vec![r], if page == 1 { 2 } else { 5 });
            }
        }
        items
    }));
    assert_failed(&c, "incomplete", "then 5 on page 2");
}

#[test]
fn more_records_than_the_limit_is_a_possible_match_that_says_so() {
    // 600 namesakes, served properly page by page: the check fetches its
    // limit (500 by default) and says the rest was not shown.
    let (c, h, office) = check_against(answering(|seen, mut items| {
        for (item, (reference, page)) in items.iter_mut().zip(seen.searches()) {
            if reference.ends_with("-2") || reference.contains("-2.p") {
                let start = (page - 1) * 50;
                let records: Vec<Value> = (start..(start + 50).min(600))
                    .map(|i| record(&format!("5{i:09}"), "Amina", "Diallo", "1990-03-14", "Active"))
                    .collect();
                *item = succ_item(&reference, records, 600);
                item["pagination"]["page_number"] = json!(page);
            }
        }
        items
    }));
    assert_eq!(c.state, CheckState::Completed, "{:?}", c.error_message);
    assert_eq!(c.result, Some(MatchResult::PossibleMatch));
    let explanation = c.explanation.unwrap_or_default();
    assert!(explanation.contains("more records than shown"), "{explanation}");
    assert!(explanation.contains("100 more record(s)"), "{explanation}");
    assert!(explanation.contains("500 fetched"), "{explanation}");
    assert_eq!(office.store.candidates(c.id).unwrap().len(), 500);
    assert_eq!(h.searches().len(), 10, "ten pages of fifty, then no more asked");
}

#[test]
fn the_limit_per_check_is_a_setting_of_the_data_source() {
    let (c, h, _o) = check_against_with(
        answering(|seen, mut items| {
            for (item, (reference, page)) in items.iter_mut().zip(seen.searches()) {
                if reference.ends_with("-2") || reference.contains("-2.p") {
                    let start = (page - 1) * 50;
                    let records: Vec<Value> = (start..start + 50)
                        .map(|i| record(&format!("5{i:09}"), "Amina", "Diallo", "1990-03-14", "Active"))
                        .collect();
                    *item = succ_item(&reference, records, 1000);
                    item["pagination"]["page_number"] = json!(page);
                }
            }
            items
        }),
        |s| s.limits.max_records_per_check = 120,
    );
    assert_eq!(c.result, Some(MatchResult::PossibleMatch), "{:?}", c.error_message);
    let explanation = c.explanation.unwrap_or_default();
    assert!(explanation.contains("880 more record(s)"), "{explanation}");
    assert_eq!(h.searches().len(), 3);
}

#[test]
fn a_reply_that_is_not_final_is_not_a_result() {
    for (status, why) in [("pdng", "still pending (pdng)"), ("rcvd", "not processed yet (rcvd)")] {
        let (c, _h, _o) = check_against(move |seen: &Seen| {
            let mut header = hostile::reply_header(seen);
            header["status"] = json!(status);
            Answer::Signed {
                header,
                message: search_message(seen, nothing_found(seen)),
                signing: hostile::Signing::default(),
            }
        });
        assert_failed(&c, "incomplete", why);
    }
    let (c, _h, _o) = check_against(|seen: &Seen| {
        let mut header = hostile::reply_header(seen);
        header["completed_count"] = json!(1);
        Answer::Signed {
            header,
            message: search_message(seen, nothing_found(seen)),
            signing: hostile::Signing::default(),
        }
    });
    assert_failed(&c, "incomplete", "1 of 2 item(s) are completed");
}

#[test]
fn an_item_that_is_not_final_is_not_a_result() {
    let (c, _h, _o) = check_against(answering(|_, mut items| {
        items[1]["status"] = json!("pdng");
        items[1].as_object_mut().unwrap().remove("data");
        items
    }));
    assert_failed(&c, "incomplete", "still pending (pdng)");
}

#[test]
fn a_reply_to_another_or_no_transaction_is_refused() {
    let (c, _h, _o) = check_against(|seen: &Seen| {
        let mut message = search_message(seen, nothing_found(seen));
        message.as_object_mut().unwrap().remove("transaction_id");
        Answer::signed(seen, message)
    });
    assert_failed(&c, "malformed", "carries no transaction_id");
    let (c, _h, _o) = check_against(|seen: &Seen| {
        let mut message = search_message(seen, nothing_found(seen));
        message["transaction_id"] = json!("txn-of-someone-else");
        Answer::signed(seen, message)
    });
    assert_failed(&c, "malformed", "answers transaction txn-of-someone-else");
}

#[test]
fn a_reply_larger_than_the_source_allows_is_refused() {
    let (c, _h, _o) = check_against_with(
        |seen: &Seen| {
            let mut message = search_message(seen, nothing_found(seen));
            message["padding"] = json!("x".repeat(200 * 1024));
            Answer::signed(seen, message)
        },
        |s| s.limits.max_reply_bytes = 64 * 1024,
    );
    assert_failed(&c, "too_large", "larger than the 64 KiB");
}

#[test]
fn ibr_desk_search_fetches_every_page_and_says_when_it_shows_only_part() {
    let rt = SandboxRuntime::new();
    let h = hostile::start(&rt.0, |seen: &Seen| {
        let items = seen
            .searches()
            .iter()
            .map(|(reference, page)| {
                let start = (page - 1) * 50;
                let records: Vec<Value> = (start..(start + 50).min(120))
                    .map(|i| record(&format!("7{i:09}"), "Amina", "Diallo", "1990-03-14", "Active"))
                    .collect();
                let mut item = succ_item(reference, records, 120);
                item["pagination"]["page_number"] = json!(page);
                item
            })
            .collect();
        Answer::signed(seen, search_message(seen, items))
    });
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    let key = ibr_desk::dci::Jwks {
        keys: vec![hostile::hostile_key().public_key().to_jwk(&hostile::hostile_kid())],
    };
    std::fs::write(&jwks, serde_json::to_string(&key).unwrap()).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "search".to_string(),
            "--base-url".into(),
            h.base_url(),
            "--jwks".into(),
            jwks.to_string_lossy().into_owned(),
            "--given-name".into(),
            "Amina".into(),
            "--surname".into(),
            "Diallo".into(),
            "--birth-date".into(),
            "1990-03-14".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ibr-desk"))
            .args(&args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let all = run(&[]);
    assert!(all.contains("120 record(s) of 120"), "{all}");
    assert!(all.contains("records from 3 page(s)"), "{all}");
    assert!(!all.contains("only part shown"), "{all}");
    let part = run(&["--max-records", "70"]);
    assert!(part.contains("70 record(s) of 120"), "{part}");
    assert!(part.contains("only part shown: 70 of the 120 record(s)"), "{part}");
    let json: Value = serde_json::from_str(&run(&["--max-records", "70", "--json"])).unwrap();
    assert_eq!(json["items"][0]["records"].as_array().unwrap().len(), 70);
    assert!(json["warnings"].to_string().contains("only part shown"));
}
