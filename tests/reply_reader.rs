//! The reply reader against hostile bodies, without the fuzzer: the fixed
//! corpus of `hostile_bodies::tricky_inputs` and every input saved from
//! fuzzing (`tests/fixtures/hostile-replies/`) go through the differential
//! comparison with serde_json and through everything a client does with a
//! reply, which must never panic.

mod hostile_bodies;

use hostile_bodies::{Agreement, DOCUMENTED_DIFFERENCES, compare_with_serde_json, read_as_a_client_would};

fn corpus() -> Vec<(String, String)> {
    let mut all = hostile_bodies::tricky_inputs();
    all.extend(hostile_bodies::saved_inputs());
    all
}

#[test]
fn canonical_and_serde_json_agree_except_where_documented() {
    let mut failures = Vec::new();
    let mut documented = Vec::new();
    for (name, text) in corpus() {
        match compare_with_serde_json(&text) {
            Ok(Agreement::Documented(why)) => documented.push((name, why)),
            Ok(_) => {}
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Each documented difference is met by the corpus, so none is listed idly.
    for why in DOCUMENTED_DIFFERENCES {
        assert!(documented.iter().any(|(_, w)| *w == why), "no input shows: {why}");
    }
    let names: Vec<&str> = documented.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"1e400") && names.contains(&"minus zero"), "{names:?}");
}

#[test]
fn no_hostile_body_panics_the_reader() {
    let mut read = 0;
    for (name, text) in corpus() {
        let outcome = std::panic::catch_unwind(|| read_as_a_client_would(&text).is_some());
        match outcome {
            Ok(true) => read += 1,
            Ok(false) => {}
            Err(_) => panic!("the reader panicked on {name}"),
        }
    }
    assert!(
        read > 10,
        "only {read} inputs were read as replies: the corpus no longer reaches the readers"
    );
}

#[test]
fn what_the_reader_refuses_it_refuses_with_a_reason() {
    use ibr_desk::dci::envelope::parse_reply;
    for (name, text) in [
        ("truncated", r#"{"header":{"status":"succ"},"message":{"sear"#),
        ("bom", "\u{feff}{\"header\":{\"status\":\"succ\"}}"),
        ("lone surrogate", r#"{"header":{"status":"succ","sender_id":"\ud800"}}"#),
        ("too deep", &format!("{{\"message\":{}}}", "[".repeat(200))),
        (
            "out of range",
            r#"{"header":{"status":"succ"},"message":{"search_response":[],"n":-1e400}}"#,
        ),
    ] {
        let err = parse_reply(text, &["search_response"]).expect_err(name);
        let msg = err.to_string();
        assert!(msg.contains("JSON") || msg.contains("out of range"), "{name}: {msg}");
    }
}

#[test]
fn a_reply_with_many_keys_and_records_is_read_whole() {
    let records =
        vec![r#"{"identifier_type":"UIN","identifier_value":"1","name":{"given_name":"A"}}"#; 20_000].join(",");
    let text = format!(
        r#"{{"header":{{"status":"succ"}},"message":{{"search_response":[{{"reference_id":"r","status":"succ","data":{{"reg_records":[{records}]}}}}]}}}}"#
    );
    let reply = read_as_a_client_would(&text).expect("a well-formed reply");
    let outcome = ibr_desk::dci::search::SearchOutcome::from_message(&reply.message).unwrap();
    assert_eq!(outcome.items[0].records.len(), 20_000);
}
