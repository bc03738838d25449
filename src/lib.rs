//! IBR Desk: duplicate-enrolment checks against an Integrated Beneficiary
//! Registry over the DCI API standard.
//!
//! The layers, from the bottom: [`domain`] (plain types), [`dci`] (the wire
//! protocol), [`sandbox`] (a DCI IBR server for demos and tests) and [`cli`]
//! (the command line). See `docs/ARCHITECTURE.md`.

pub mod cli;
pub mod clock;
pub mod dci;
pub mod domain;
pub mod engine;
pub mod ibr;
pub mod roster;
pub mod sandbox;
pub mod secrets;
pub mod store;
pub mod ui;
