//! `ibr-desk dci keygen|jwks|sign|verify`: the tools an integrator needs to
//! set up signing and to debug a signature mismatch.

use secrecy::ExposeSecret as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::output::{inline, say, say_err};
use crate::dci::canonical;
use crate::dci::client::fetch_jwks;
use crate::dci::signature::{self, KeyLookup, SignatureParams, TrustedKeys, verify_envelope};
use crate::dci::{Jwks, PrivateKey, PublicKey, Signer};

#[derive(Debug, Subcommand)]
pub enum DciCommand {
    /// Generate the office's Ed25519 signing key and its public JWKS.
    Keygen(KeygenArgs),
    /// Print the public JWKS of a private key, for the registry operator.
    Jwks(KeyArgs),
    /// Sign a message: FILE holds {"header": …, "message": …}; the signed envelope goes to stdout.
    Sign(SignArgs),
    /// Verify a received envelope. Exit 0 when valid; 1 with the reason when not.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Our sender ID, as registered with the registry (the first part of the kid).
    #[arg(long)]
    pub sender_id: String,
    /// The key's ID (default: key-YYYYMMDD).
    #[arg(long)]
    pub key_id: Option<String>,
    /// Folder to write KEY_ID.private.pem (readable by its owner only) and KEY_ID.jwks.json into.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Private key, PKCS#8 PEM (Ed25519 or RSA).
    #[arg(long, value_name = "PEM")]
    pub private_key: PathBuf,
    #[arg(long)]
    pub sender_id: String,
    #[arg(long)]
    pub key_id: String,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    /// Signature namespace (`dci` as OpenSPP and the samples; `spdci` as the YAML).
    #[arg(long, default_value = signature::DEFAULT_NAMESPACE)]
    pub namespace: String,
    /// The `created` time, Unix seconds (default: now).
    #[arg(long)]
    pub created: Option<i64>,
    /// Also print the canonical form, digest and signing string to stderr.
    #[arg(long)]
    pub trace: bool,
    /// JSON file with `header` and `message` (an existing envelope is re-signed).
    pub file: PathBuf,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("keys").required(true).args(["jwks", "public_key"]))]
pub struct VerifyArgs {
    /// The sender's JWKS: a file or an http(s) URL.
    #[arg(long, value_name = "FILE|URL")]
    pub jwks: Option<String>,
    /// The sender's public key, SPKI PEM (bound to the header's sender_id).
    #[arg(long, value_name = "PEM")]
    pub public_key: Option<PathBuf>,
    /// Verify as of this Unix time (default: now).
    #[arg(long)]
    pub now: Option<i64>,
    /// Print the canonical form, digest and signing string we computed.
    #[arg(long)]
    pub trace: bool,
    /// The envelope exactly as received.
    pub file: PathBuf,
}

pub fn run(cmd: DciCommand) -> anyhow::Result<u8> {
    match cmd {
        DciCommand::Keygen(a) => keygen(&a),
        DciCommand::Jwks(a) => {
            let signer = load_signer(&a)?;
            println!("{}", serde_json::to_string_pretty(&public_jwks(&signer))?);
            Ok(super::EXIT_OK)
        }
        DciCommand::Sign(a) => sign(&a),
        DciCommand::Verify(a) => verify(&a),
    }
}

fn public_jwks(signer: &Signer) -> Jwks {
    Jwks {
        keys: vec![signer.public_key().to_jwk(&signer.kid())],
    }
}

fn load_signer(a: &KeyArgs) -> anyhow::Result<Signer> {
    let pem =
        std::fs::read_to_string(&a.private_key).with_context(|| format!("cannot read {}", a.private_key.display()))?;
    Ok(Signer::new(PrivateKey::from_pem(&pem)?, &a.sender_id, &a.key_id))
}

fn keygen(a: &KeygenArgs) -> anyhow::Result<u8> {
    let key_id = a
        .key_id
        .clone()
        .unwrap_or_else(|| format!("key-{}", Utc::now().format("%Y%m%d")));
    if key_id.contains('|') || a.sender_id.contains('|') {
        bail!("sender and key IDs cannot contain '|': it separates the parts of a kid");
    }
    let key = PrivateKey::generate_ed25519()?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    let private_path = a.out.join(format!("{key_id}.private.pem"));
    let jwks_path = a.out.join(format!("{key_id}.jwks.json"));
    write_private(&private_path, key.to_pem()?.expose_secret())?;
    let signer = Signer::new(key, &a.sender_id, &key_id);
    std::fs::write(&jwks_path, serde_json::to_string_pretty(&public_jwks(&signer))? + "\n")
        .with_context(|| format!("cannot write {}", jwks_path.display()))?;
    println!("kid          {}", signer.kid());
    println!(
        "private key  {} (keep it secret; readable by you only)",
        private_path.display()
    );
    println!(
        "public JWKS  {} (give it to the registry operator)",
        jwks_path.display()
    );
    Ok(super::EXIT_OK)
}

/// Writes a private key so that only its owner can read it, refusing to
/// overwrite an existing key.
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| {
        format!(
            "cannot create {} (an existing key is never overwritten)",
            path.display()
        )
    })?;
    f.write_all(pem.as_bytes())?;
    Ok(())
}

fn read_json(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn sign(a: &SignArgs) -> anyhow::Result<u8> {
    let signer = load_signer(&a.key)?.with_namespace(&a.namespace);
    let text = read_json(&a.file)?;
    let v: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", a.file.display()))?;
    let (Some(header), Some(message)) = (v.get("header"), v.get("message")) else {
        bail!("{} needs a \"header\" and a \"message\"", a.file.display());
    };
    if header.get("sender_id").and_then(Value::as_str) != Some(signer.sender_id()) {
        bail!(
            "header.sender_id must be {:?}, the sender of the key",
            signer.sender_id()
        );
    }
    let created = a.created.unwrap_or_else(|| Utc::now().timestamp());
    let trace = signer.trace(header, message, created)?;
    if a.trace {
        say_err!(
            "canonical:\n{}\ndigest: {}\nsigning string:\n{}",
            inline(&trace.canonical),
            trace.digest,
            trace.signing_string
        );
    }
    let envelope = serde_json::json!({ "signature": trace.params.to_string(), "header": header, "message": message });
    println!("{envelope}");
    Ok(super::EXIT_OK)
}

fn verify(a: &VerifyArgs) -> anyhow::Result<u8> {
    let text = read_json(&a.file)?;
    let now = a.now.unwrap_or_else(|| Utc::now().timestamp());
    let raw = match canonical::parse(&text) {
        Ok(r) => r,
        Err(e) => {
            say!("invalid: {} is not JSON: {}", a.file.display(), inline(&e.to_string()));
            return Ok(super::EXIT_FAILED);
        }
    };
    let keys: Box<dyn KeyLookup> = if let Some(src) = &a.jwks {
        Box::new(load_jwks(src)?)
    } else if let Some(path) = &a.public_key {
        let key = PublicKey::from_pem(&read_json(path)?)?;
        let sender = raw
            .get("header")
            .and_then(|h| h.get("sender_id"))
            .and_then(|s| s.as_str())
            .unwrap_or_default();
        let mut t = TrustedKeys::new();
        t.add(sender, None, key);
        Box::new(t)
    } else {
        bail!("give --jwks or --public-key");
    };
    if a.trace
        && let Some(content) = canonical::signed_content(&raw)
    {
        let digest = signature::digest(&content);
        // The envelope is the sender's text: its canonical form is printed escaped.
        say!("canonical:\n{}\ndigest: {digest}", inline(&content));
        if let Some(p) = raw
            .get("signature")
            .and_then(|s| s.as_str())
            .and_then(|s| SignatureParams::parse(s).ok())
            && let Ok(s) = signature::signing_string(&p.headers, p.created, p.expires, &digest)
        {
            say!("signing string:\n{s}");
        }
    }
    match verify_envelope(&raw, keys.as_ref(), now) {
        Ok(v) => {
            say!(
                "valid: signed by {} with key {} ({}), created {}, expires {}",
                inline(&v.sender_id),
                inline(&v.key_name),
                inline(&v.algorithm.to_string()),
                v.created,
                v.expires
            );
            Ok(super::EXIT_OK)
        }
        Err(e) => {
            say!("invalid: {}", inline(&e.to_string()));
            Ok(super::EXIT_FAILED)
        }
    }
}

fn load_jwks(src: &str) -> anyhow::Result<Jwks> {
    if src.starts_with("http://") || src.starts_with("https://") {
        let rt = super::runtime()?;
        Ok(rt.block_on(fetch_jwks(
            src,
            Duration::from_secs(crate::dci::client::DEFAULT_TIMEOUT_SECS),
        ))?)
    } else {
        Jwks::from_json(&read_json(Path::new(src))?).map_err(|e| anyhow::anyhow!("{src}: {e}"))
    }
}
