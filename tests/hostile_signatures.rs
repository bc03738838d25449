//! Signatures a hostile registry can bend: made with the trusted key, but
//! covering less than they must, naming an algorithm or a key the sender
//! does not have, or valid for longer than the data source allows. Each
//! reply must fail its check as untrusted, never count as verified.

mod common;

use common::hostile::{self, Answer, Seen, Signing, assert_failed, nothing_found, search_message};
use common::{Office, SandboxRuntime};
use ibr_desk::domain::{CheckState, MatchResult};

fn check_signed_with(
    signing: Signing,
    tweak: impl FnOnce(&mut ibr_desk::domain::NewDataSource),
) -> ibr_desk::domain::DuplicationCheck {
    let rt = SandboxRuntime::new();
    let h = hostile::start(&rt.0, move |seen: &Seen| Answer::Signed {
        header: hostile::reply_header(seen),
        message: search_message(seen, nothing_found(seen)),
        signing: signing.clone(),
    });
    let office = Office::new();
    let source = office.add_hostile(&h, tweak);
    let c = office.check_amina(source.id);
    std::mem::forget(rt);
    c
}

#[test]
fn the_default_signing_is_verified() {
    let c = check_signed_with(Signing::default(), |_| {});
    assert_eq!(c.state, CheckState::Completed, "{:?}", c.error_message);
    assert_eq!(c.result, Some(MatchResult::NoMatch));
}

#[test]
fn a_signature_that_does_not_cover_created_and_expires_is_refused() {
    let c = check_signed_with(
        Signing {
            headers: Some("digest".into()),
            covers: vec!["digest"],
            ..Signing::default()
        },
        |_| {},
    );
    assert_failed(&c, "signature", "does not cover (created)");
    // Without a `headers` parameter, what was signed is not known.
    let c = check_signed_with(
        Signing {
            headers: None,
            ..Signing::default()
        },
        |_| {},
    );
    assert_failed(&c, "signature", "headers");
}

#[test]
fn a_kid_with_an_algorithm_that_is_not_ed25519_or_rs256_is_refused() {
    let c = check_signed_with(
        Signing {
            kid: format!("{}|{}|hs256", hostile::HOSTILE_SENDER_ID, hostile::HOSTILE_KEY_ID),
            ..Signing::default()
        },
        |_| {},
    );
    assert_failed(&c, "signature", "hs256");
}

#[test]
fn a_key_id_the_sender_does_not_have_is_not_tried_with_its_other_keys() {
    // Signed with the trusted key, but under a name the office has no key for.
    let c = check_signed_with(
        Signing {
            kid: format!("{}|rotated-9|ed25519", hostile::HOSTILE_SENDER_ID),
            ..Signing::default()
        },
        |_| {},
    );
    assert_failed(&c, "signature", "rotated-9");
}

#[test]
fn a_signature_valid_for_longer_than_the_source_allows_is_refused() {
    let two_hours = Signing {
        expires: 2 * 3600,
        ..Signing::default()
    };
    let c = check_signed_with(two_hours.clone(), |_| {});
    assert_failed(&c, "signature", "longer than the 3600 s allowed");
    // The maximum is a setting of the data source.
    let c = check_signed_with(two_hours, |s| s.limits.max_signature_lifetime_secs = 3 * 3600);
    assert_eq!(c.state, CheckState::Completed, "{:?}", c.error_message);
    assert_eq!(c.result, Some(MatchResult::NoMatch));
}
