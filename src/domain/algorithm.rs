//! Signature algorithms of the DCI signature string.

use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// `ed25519` (JWK `OKP`/`Ed25519`, `alg` `EdDSA`) or `rs256`
/// (RSASSA-PKCS1-v1_5 with SHA-256, JWK `RSA`).
///
/// Read in any case, under the signature's names and the JWK ones
/// (`EdDSA`, `RSA-SHA256`); always written as `ed25519` / `rs256`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr, Display, EnumString, VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(ascii_case_insensitive, parse_err_ty = String, parse_err_fn = unsupported)]
pub enum Algorithm {
    #[strum(to_string = "ed25519", serialize = "eddsa")]
    Ed25519,
    #[strum(to_string = "rs256", serialize = "rsa-sha256")]
    Rs256,
}

text_enum!(Algorithm, "signature algorithm");

fn unsupported(s: &str) -> String {
    format!("unsupported signature algorithm {s:?}: expected ed25519 or rs256")
}

impl Algorithm {
    pub const ALL: [Algorithm; 2] = [Algorithm::Ed25519, Algorithm::Rs256];

    /// The JWK `alg` value.
    pub fn jwk_alg(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "EdDSA",
            Algorithm::Rs256 => "RS256",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_aliases_are_pinned() {
        let variants = <Algorithm as VariantArray>::VARIANTS;
        assert_eq!(variants, Algorithm::ALL);
        assert_eq!(Algorithm::ALL.map(Algorithm::as_str), ["ed25519", "rs256"]);
        assert_eq!(Algorithm::ALL.map(|a| a.to_string()), ["ed25519", "rs256"]);
        for a in Algorithm::ALL {
            assert_eq!(serde_json::to_value(a).ok(), Some(serde_json::Value::from(a.as_str())));
        }
        for (s, a) in [
            ("ed25519", Algorithm::Ed25519),
            ("Ed25519", Algorithm::Ed25519),
            ("EdDSA", Algorithm::Ed25519),
            ("rs256", Algorithm::Rs256),
            ("RS256", Algorithm::Rs256),
            ("rsa-sha256", Algorithm::Rs256),
        ] {
            assert_eq!(s.parse::<Algorithm>(), Ok(a), "{s}");
        }
        assert_eq!(
            "hs256".parse::<Algorithm>(),
            Err("unsupported signature algorithm \"hs256\": expected ed25519 or rs256".to_string())
        );
    }
}
