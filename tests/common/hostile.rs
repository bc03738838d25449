//! A hostile registry for tests: a small HTTP server on loopback that
//! answers each request with whatever the test's script says, and signs it
//! (or not, or wrongly) with a key the office trusts. The sandbox plays a
//! well-behaved registry; this one plays a sloppy, partial or forging one.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use ibr_desk::dci::{PrivateKey, canonical, signature};
use serde_json::{Value, json};

/// The hostile registry's DCI sender ID.
pub const HOSTILE_SENDER_ID: &str = "hostile.test";
/// Its key ID (its kid is `hostile.test|hk1|ed25519`).
pub const HOSTILE_KEY_ID: &str = "hk1";

/// The key the hostile registry signs with (and the office trusts).
pub fn hostile_key() -> PrivateKey {
    PrivateKey::ed25519_from_bytes([7; 32])
}

pub fn hostile_kid() -> String {
    format!("{HOSTILE_SENDER_ID}|{HOSTILE_KEY_ID}|ed25519")
}

/// A request as the script sees it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    /// The parsed body (`{"signature", "header", "message"}` for DCI calls).
    pub body: Value,
}

impl Seen {
    pub fn header(&self) -> &Value {
        &self.body["header"]
    }

    pub fn message(&self) -> &Value {
        &self.body["message"]
    }

    pub fn transaction_id(&self) -> String {
        self.message()["transaction_id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The searches of a search request: `(reference_id, page_number)`.
    pub fn searches(&self) -> Vec<(String, u64)> {
        self.message()["search_request"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| {
                        (
                            i["reference_id"].as_str().unwrap_or_default().to_string(),
                            i["search_criteria"]["pagination"]["page_number"].as_u64().unwrap_or(1),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// How a reply is signed.
#[derive(Debug, Clone)]
pub struct Signing {
    pub kid: String,
    pub algorithm: String,
    /// Offsets from now, in seconds.
    pub created: i64,
    pub expires: i64,
    /// `None` leaves the `headers` parameter out.
    pub headers: Option<String>,
    /// Which components the signing string actually covers, in order.
    pub covers: Vec<&'static str>,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            kid: hostile_kid(),
            algorithm: "ed25519".into(),
            created: 0,
            expires: 300,
            headers: Some("(created) (expires) digest".into()),
            covers: vec!["(created)", "(expires)", "digest"],
        }
    }
}

/// What the server sends back.
pub enum Answer {
    /// A signed envelope with this header and message.
    Signed {
        header: Value,
        message: Value,
        signing: Signing,
    },
    /// Exactly this status, headers and body.
    Raw {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
}

impl Answer {
    /// A signed reply to `seen` with the usual header (status `succ`, every
    /// item completed) around `message`.
    pub fn signed(seen: &Seen, message: Value) -> Answer {
        Answer::Signed {
            header: reply_header(seen),
            message,
            signing: Signing::default(),
        }
    }

    pub fn json(status: u16, body: Value) -> Answer {
        Answer::Raw {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
        }
    }
}

/// The usual reply header: status `succ`, every item completed, from the
/// hostile sender to the office.
pub fn reply_header(seen: &Seen) -> Value {
    let total = seen.header()["total_count"].as_u64().unwrap_or(0);
    json!({
        "version": "1.0.0",
        "message_id": uuid::Uuid::new_v4().to_string(),
        "message_ts": chrono::Utc::now().to_rfc3339(),
        "action": "on-search",
        "status": "succ",
        "total_count": total,
        "completed_count": total,
        "sender_id": HOSTILE_SENDER_ID,
        "receiver_id": seen.header()["sender_id"],
        "is_msg_encrypted": false,
        "meta": {}
    })
}

/// A search response message answering our transaction with these items.
pub fn search_message(seen: &Seen, items: Vec<Value>) -> Value {
    json!({
        "transaction_id": seen.transaction_id(),
        "correlation_id": "hostile-corr-1",
        "search_response": items,
    })
}

/// An item answering `reference_id`: `succ` with these records and a total.
pub fn succ_item(reference_id: &str, records: Vec<Value>, total_count: u64) -> Value {
    json!({
        "reference_id": reference_id,
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "status": "succ",
        "data": {"version": "1.0.0", "reg_type": "ns:org:RegistryType:IBR", "reg_records": records},
        "pagination": {"page_size": 50, "page_number": 1, "total_count": total_count},
        "locale": "eng"
    })
}

/// The `succ` items every search of `seen` gets when nothing is held.
pub fn nothing_found(seen: &Seen) -> Vec<Value> {
    seen.searches().iter().map(|(r, _)| succ_item(r, vec![], 0)).collect()
}

/// A Beneficiary record (OpenAPI shape) of one person in one programme.
pub fn record(uin: &str, given: &str, surname: &str, birth_date: &str, status: &str) -> Value {
    json!({
        "@type": "Beneficiary",
        "assistance_unit": "1",
        "member": {
            "member_identifier": [{"identifier_type": "UIN", "identifier_value": uin}],
            "demographic_info": {"person": {
                "name": {"given_name": given, "surname": surname},
                "birth_date": birth_date
            }},
            "programme_identifier": {
                "programme": {"programme_identifier": "CCT-1", "programme_name": "Cash transfer"},
                "enrolment_status": status
            }
        }
    })
}

/// Signs `{header, message}` as `signing` says, the way a registry would
/// (canonical JSON, SHA-256, the signing string of the covered components).
pub fn sign(header: &Value, message: &Value, signing: &Signing) -> String {
    let now = chrono::Utc::now().timestamp();
    let (created, expires) = (now + signing.created, now + signing.expires);
    let wrapper = json!({"header": header, "message": message}).to_string();
    let content = canonical::to_canonical(&canonical::parse(&wrapper).expect("JSON"));
    let digest = signature::digest(&content);
    let lines: Vec<String> = signing
        .covers
        .iter()
        .map(|c| match *c {
            "(created)" => format!("(created): {created}"),
            "(expires)" => format!("(expires): {expires}"),
            "digest" => format!("digest: {digest}"),
            other => panic!("unknown component {other}"),
        })
        .collect();
    let sig = hostile_key().sign(lines.join("\n").as_bytes()).expect("sign");
    let mut field = format!(
        "namespace=\"dci\", kidId=\"{}\", algorithm=\"{}\", created=\"{created}\", expires=\"{expires}\", ",
        signing.kid, signing.algorithm
    );
    if let Some(h) = &signing.headers {
        field.push_str(&format!("headers=\"{h}\", "));
    }
    field.push_str(&format!(
        "signature=\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(sig)
    ));
    field
}

type Script = dyn Fn(&Seen) -> Answer + Send + Sync;

/// A running hostile registry.
pub struct Hostile {
    pub addr: SocketAddr,
    /// Every request it received, in order.
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Hostile {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The search messages received so far.
    pub fn searches(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path.ends_with("/sync/search"))
            .cloned()
            .collect()
    }
}

/// Starts a hostile registry on a free loopback port of `rt`; `script`
/// answers every request.
pub fn start(rt: &tokio::runtime::Runtime, script: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Hostile {
    let script: Arc<Script> = Arc::new(script);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = Router::new().fallback(move |req: Request<Body>| {
        let script = script.clone();
        let log = log.clone();
        async move {
            let path = req.uri().path().to_string();
            let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024 * 1024)
                .await
                .unwrap_or_default();
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let s = Seen { path, body };
            log.lock().unwrap().push(s.clone());
            respond(script(&s))
        }
    });
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Hostile { addr, seen }
}

fn respond(answer: Answer) -> Response {
    match answer {
        Answer::Signed {
            header,
            message,
            signing,
        } => {
            let signature = sign(&header, &message, &signing);
            let body = json!({"signature": signature, "header": header, "message": message}).to_string();
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap()
        }
        Answer::Raw { status, headers, body } => {
            let mut r = Response::builder().status(status);
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.body(Body::from(body)).unwrap()
        }
    }
}

impl super::Office {
    /// Adds a hostile registry as a data source (no OAuth2) and trusts its
    /// key under its kid, as a person would; `tweak` changes the source first.
    pub fn add_hostile(
        &self,
        h: &Hostile,
        tweak: impl FnOnce(&mut ibr_desk::domain::NewDataSource),
    ) -> ibr_desk::domain::DataSource {
        let mut new = ibr_desk::domain::NewDataSource::ibr(&format!("Hostile {}", h.addr.port()), &h.base_url());
        tweak(&mut new);
        let source = self.store.insert_data_source(&new).unwrap();
        let sender = match self.store.sender_by_sender_id(HOSTILE_SENDER_ID).unwrap() {
            Some(s) => s,
            None => self
                .store
                .insert_sender(
                    &ibr_desk::domain::NewIbrSender {
                        name: "Hostile registry".into(),
                        sender_id: HOSTILE_SENDER_ID.into(),
                        public_key_pem: None,
                        jwks_url: Some(format!("{}/.well-known/jwks.json", h.base_url())),
                        algorithm: ibr_desk::domain::Algorithm::Ed25519,
                        active: true,
                        insecure_http: false,
                    },
                    &[],
                    "test",
                )
                .unwrap(),
        };
        self.store.set_sender_link(sender.id, source.id, true, "test").unwrap();
        self.store
            .add_sender_key(
                sender.id,
                Some(&hostile_kid()),
                ibr_desk::domain::Algorithm::Ed25519,
                &hostile_key().public_key().to_pem(),
                ibr_desk::domain::KeyOrigin::Jwks,
                chrono::Utc::now(),
                "test",
            )
            .unwrap();
        self.engine()
            .request(|reply| ibr_desk::engine::Command::ReloadConfig { reply })
            .wait(std::time::Duration::from_secs(30))
            .ok();
        source
    }

    /// Checks Amina Diallo (UIN 4567890123, born 1990-03-14) against a source
    /// and waits for the outcome.
    pub fn check_amina(&self, source_id: i64) -> ibr_desk::domain::DuplicationCheck {
        let id = self.submit(
            source_id,
            super::applicant(
                "Amina",
                "Diallo",
                chrono::NaiveDate::from_ymd_opt(1990, 3, 14),
                &[(ibr_desk::domain::IdType::Uin, "4567890123")],
            ),
        );
        self.wait_final(id)
    }
}

/// Asserts that a check failed, never reached a result, and that its reason says `why`.
#[track_caller]
pub fn assert_failed(c: &ibr_desk::domain::DuplicationCheck, kind: &str, why: &str) {
    assert_eq!(
        c.state,
        ibr_desk::domain::CheckState::Failed,
        "expected a failure ({why}), got {:?}: {:?}",
        c.result,
        c.explanation
    );
    assert_eq!(c.result, None);
    let msg = c.error_message.as_deref().unwrap_or_default();
    assert_eq!(c.error_kind.as_deref(), Some(kind), "{msg}");
    assert!(msg.contains(why), "the reason {msg:?} should say {why:?}");
}
