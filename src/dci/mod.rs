//! The DCI wire protocol as an IBR client and server need it: typed
//! messages, canonical JSON and signatures, keys, and an HTTP client.
//!
//! Strict when sending (what we write validates against the official
//! schemas), tolerant when reading (the variants in SPEC-NOTES §8 and §11),
//! and never silent: a reply that cannot be understood is a [`DciError`],
//! not an empty result. This module knows nothing of SQLite, the engine or
//! the window.

pub mod ack;
pub mod canonical;
pub mod client;
pub mod enrolled;
pub mod envelope;
pub mod error;
pub mod keys;
pub mod record;
pub mod search;
pub mod signature;
pub mod tolerant;
pub mod txn_status;

pub use client::{ClientConfig, DciClient, OAuthConfig, Reply, ReplyTrust, Secret, SignatureCheck};
pub use error::DciError;
pub use keys::{Algorithm, Jwk, Jwks, Kid, PrivateKey, PublicKey};
pub use signature::{KeyLookup, SignatureError, Signer, TrustedKeys, VerifiedSignature};
