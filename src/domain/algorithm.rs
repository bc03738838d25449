//! Signature algorithms of the DCI signature string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// `ed25519` (JWK `OKP`/`Ed25519`, `alg` `EdDSA`) or `rs256`
/// (RSASSA-PKCS1-v1_5 with SHA-256, JWK `RSA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Ed25519,
    Rs256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 2] = [Algorithm::Ed25519, Algorithm::Rs256];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::Rs256 => "rs256",
        }
    }

    /// The JWK `alg` value.
    pub fn jwk_alg(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "EdDSA",
            Algorithm::Rs256 => "RS256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = String;
    /// Accepts the signature's names and the JWK ones, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ed25519" | "eddsa" => Ok(Algorithm::Ed25519),
            "rs256" | "rsa-sha256" => Ok(Algorithm::Rs256),
            _ => Err(format!(
                "unsupported signature algorithm {s:?}: expected ed25519 or rs256"
            )),
        }
    }
}
