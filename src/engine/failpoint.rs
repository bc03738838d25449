//! Makes a batch panic on purpose, so the tests can see what a panic does
//! (test builds only).

use std::sync::Mutex;

use crate::domain::DuplicationCheck;

/// Given names whose batch panics.
pub static PANIC_FOR: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn hit(checks: &[DuplicationCheck]) {
    let names = PANIC_FOR.lock().map(|n| n.clone()).unwrap_or_default();
    if let Some(c) = checks
        .iter()
        .find(|c| c.applicant.given_name.as_ref().is_some_and(|g| names.contains(g)))
    {
        panic!("failpoint: a batch with check {} panics", c.id);
    }
}
