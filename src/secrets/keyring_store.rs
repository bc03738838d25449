//! [`KeyringStore`]: secrets in the OS keyring, reached through one dedicated thread.
//!
//! Every keyring call happens on a single `std::thread` named `ibr-desk-keyring` that has no
//! tokio context (see the module documentation of [`crate::secrets`] for why). Callers send a
//! request over a channel and wait for the answer with a timeout. The worker catches panics of
//! the keyring backend and turns them into errors, and if the worker is gone anyway, every call
//! fails at once with [`SecretError::Unavailable`] instead of hanging.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use super::{SecretError, SecretStore};

/// The keyring "service" all IBR Desk entries are stored under; the entry key is the "user".
///
/// It is a reverse-DNS application ID, so that the entries are easy to recognise (and remove) in
/// Seahorse, KWallet Manager, Keychain Access or the Windows Credential Manager, and cannot clash
/// with another program's. Changing it orphans every stored secret: don't.
pub const SERVICE: &str = "org.ibr-desk.IBR-Desk";

/// How long a call waits for the keyring by default. Long enough for a slow D-Bus activation of
/// the Secret Service, short enough that a keyring waiting for an unlock dialog nobody sees does
/// not look like a frozen program.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The entry [`KeyringStore::probe`] reads. It is never written, so probing leaves no trace.
pub const PROBE_KEY: &str = "ibr-desk-keyring-probe";

/// Secrets in the OS keyring: Secret Service (GNOME Keyring, KWallet) on Linux, the Keychain on
/// macOS, the Credential Manager on Windows.
///
/// Cloning is cheap and the clones share the one keyring thread, so calls are made one after the
/// other, as the Secret Service backend needs. The thread ends when the last clone is dropped.
#[derive(Clone)]
pub struct KeyringStore {
    requests: mpsc::Sender<Request>,
    timeout: Duration,
}

/// What the keyring thread is asked to do. Deliberately not `Debug`: `Set` holds a secret.
enum Op {
    Get,
    Set(SecretString),
    Delete,
    /// Panics inside the worker, as a broken backend would.
    #[cfg(test)]
    Panic,
    /// Ends the worker without answering, as if the thread had died.
    #[cfg(test)]
    Exit,
    /// Keeps the worker busy, as a keyring waiting for an unlock dialog would.
    #[cfg(test)]
    Sleep(Duration),
    /// Records that the worker carried the request out.
    #[cfg(test)]
    Mark(std::sync::Arc<std::sync::atomic::AtomicBool>),
}

impl Op {
    /// The secret this operation carries, so that error details can be checked against it.
    fn secret(&self) -> Option<&str> {
        match self {
            Op::Set(secret) => Some(secret.expose_secret()),
            _ => None,
        }
    }
}

enum Answer {
    Secret(Option<SecretString>),
    Done,
}

struct Request {
    key: String,
    op: Op,
    /// After this instant the caller has stopped waiting, so the worker skips the request
    /// rather than, say, storing a secret the caller was told may not have been stored.
    deadline: Option<Instant>,
    /// The caller's timeout, for the answer to a skipped request.
    timeout: Duration,
    reply: mpsc::Sender<Result<Answer, SecretError>>,
}

impl KeyringStore {
    /// A store that waits up to [`DEFAULT_TIMEOUT`] for each keyring call.
    pub fn new() -> Result<Self, SecretError> {
        Self::with_timeout(DEFAULT_TIMEOUT)
    }

    /// A store that waits up to `timeout` for each keyring call, then fails with
    /// [`SecretError::TimedOut`].
    ///
    /// Starts the keyring thread; that fails only if the operating system refuses a new thread.
    /// No keyring is contacted yet: use [`KeyringStore::probe`] to find out whether one works.
    pub fn with_timeout(timeout: Duration) -> Result<Self, SecretError> {
        let (requests, inbox) = mpsc::channel();
        thread::Builder::new()
            .name("ibr-desk-keyring".to_owned())
            .spawn(move || serve(&inbox))
            .map_err(|err| SecretError::Unavailable(format!("IBR Desk could not start its keyring thread ({err})")))?;
        Ok(Self { requests, timeout })
    }

    /// How long each call waits for the keyring.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether a keyring is usable: reads [`PROBE_KEY`] (which is never written) and reports
    /// what went wrong, for the "keyring available" indicator and for CLI errors. A missing
    /// entry is success.
    ///
    /// On a locked keyring this may make the OS show its unlock dialog.
    pub fn probe(&self) -> Result<(), SecretError> {
        self.get(PROBE_KEY).map(|_| ())
    }

    /// Sends one request to the keyring thread and waits for its answer.
    fn call(&self, key: &str, op: Op) -> Result<Answer, SecretError> {
        let (reply, answer) = mpsc::channel();
        let deadline = Instant::now().checked_add(self.timeout);
        let request = Request {
            key: key.to_owned(),
            op,
            deadline,
            timeout: self.timeout,
            reply,
        };
        self.requests.send(request).map_err(|_| worker_gone())?;
        match answer.recv_timeout(self.timeout) {
            Ok(outcome) => outcome,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                tracing::warn!(
                    key,
                    timeout_ms = self.timeout.as_millis(),
                    "keyring did not answer in time"
                );
                Err(SecretError::TimedOut {
                    secs: whole_seconds(self.timeout),
                })
            }
            // The worker dropped the reply channel without answering: it died mid-request.
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(worker_gone()),
        }
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<SecretString>, SecretError> {
        match self.call(key, Op::Get)? {
            Answer::Secret(secret) => Ok(secret),
            Answer::Done => Err(SecretError::Other(
                "the keyring thread gave an unexpected answer".to_owned(),
            )),
        }
    }

    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
        self.call(key, Op::Set(SecretString::from(secret))).map(|_| ())
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.call(key, Op::Delete).map(|_| ())
    }

    fn describe(&self) -> String {
        if cfg!(target_os = "macos") {
            "macOS Keychain".to_owned()
        } else if cfg!(target_os = "windows") {
            "Windows Credential Manager".to_owned()
        } else if cfg!(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")) {
            "Secret Service (GNOME Keyring / KWallet)".to_owned()
        } else {
            "OS keyring".to_owned()
        }
    }
}

/// Shows the service and the timeout; a `KeyringStore` holds no secret to show.
impl fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &SERVICE)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The keyring thread: carries out requests one at a time until every store handle is dropped.
fn serve(inbox: &mpsc::Receiver<Request>) {
    while let Ok(Request {
        key,
        op,
        deadline,
        timeout,
        reply,
    }) = inbox.recv()
    {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            tracing::debug!(key, "skipping a keyring request its caller stopped waiting for");
            // Normally nobody listens any more; if the caller is still in its last instant of
            // waiting, it gets the same answer it would have got a moment later.
            let _ = reply.send(Err(SecretError::TimedOut {
                secs: whole_seconds(timeout),
            }));
            continue;
        }
        #[cfg(test)]
        if matches!(op, Op::Exit) {
            return;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| perform(&key, &op))).unwrap_or_else(|payload| {
            let detail = redact(panic_message(payload.as_ref()), op.secret());
            tracing::error!(key, detail, "the keyring backend panicked");
            Err(SecretError::Unavailable(format!(
                "the keyring backend failed unexpectedly ({detail})"
            )))
        });
        // The caller may have timed out and gone; then nobody needs the answer.
        let _ = reply.send(outcome);
    }
}

/// One keyring call. Runs on the keyring thread only.
fn perform(key: &str, op: &Op) -> Result<Answer, SecretError> {
    let secret = op.secret();
    let fail = |err| map_error(err, key, secret);
    let entry = keyring::Entry::new(SERVICE, key).map_err(fail)?;
    match op {
        Op::Get => match entry.get_password() {
            Ok(secret) => Ok(Answer::Secret(Some(SecretString::from(secret)))),
            Err(keyring::Error::NoEntry) => Ok(Answer::Secret(None)),
            Err(err) => Err(fail(err)),
        },
        Op::Set(secret) => entry
            .set_password(secret.expose_secret())
            .map(|()| Answer::Done)
            .map_err(fail),
        Op::Delete => match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(Answer::Done),
            Err(err) => Err(fail(err)),
        },
        #[cfg(test)]
        Op::Panic => panic!("simulated keyring backend panic"),
        #[cfg(test)]
        Op::Exit => Ok(Answer::Done),
        #[cfg(test)]
        Op::Sleep(pause) => {
            thread::sleep(*pause);
            Ok(Answer::Done)
        }
        #[cfg(test)]
        Op::Mark(flag) => {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(Answer::Done)
        }
    }
}

/// Translates a keyring error for a field officer. Never uses the bytes of
/// [`keyring::Error::BadEncoding`] (they are the stored secret), and withholds any detail that
/// contains the secret being stored.
fn map_error(err: keyring::Error, key: &str, secret: Option<&str>) -> SecretError {
    match err {
        keyring::Error::PlatformFailure(cause) => {
            let detail = redact(platform_detail(cause.as_ref()), secret);
            tracing::warn!(key, detail, "keyring unavailable");
            SecretError::Unavailable(detail)
        }
        keyring::Error::NoStorageAccess(cause) => {
            let detail = redact(cause.to_string(), secret);
            tracing::warn!(
                key,
                detail,
                "keyring refused access (locked, or the unlock prompt was dismissed)"
            );
            SecretError::Locked
        }
        keyring::Error::NoEntry => SecretError::Other(format!("there is no entry \"{key}\" in the keyring")),
        keyring::Error::BadEncoding(_) => SecretError::Other(format!(
            "the keyring entry \"{key}\" does not hold text; store the secret again"
        )),
        keyring::Error::TooLong(attribute, limit) => SecretError::Other(format!(
            "the entry name \"{key}\" is too long for this keyring ({attribute} may have at most {limit} characters)"
        )),
        keyring::Error::Invalid(attribute, reason) => SecretError::Other(format!(
            "the keyring refused the entry name \"{key}\" ({attribute} {reason})"
        )),
        keyring::Error::Ambiguous(items) => SecretError::Other(format!(
            "{} keyring entries are named \"{key}\"; remove the extra ones in the keyring manager",
            items.len()
        )),
        other => SecretError::Other(redact(other.to_string(), secret)),
    }
}

/// The text of a platform failure, with the common "no session bus" case said plainly.
fn platform_detail(cause: &(dyn std::error::Error + Send + Sync)) -> String {
    let detail = cause.to_string();
    if session_bus_missing() {
        format!("there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set; {detail})")
    } else {
        detail
    }
}

/// Whether zbus can have found no session bus: `DBUS_SESSION_BUS_ADDRESS` is unset and there is
/// no socket where zbus looks next (`$XDG_RUNTIME_DIR/bus`, else `/run/user/<uid>/bus`).
#[cfg(target_os = "linux")]
fn session_bus_missing() -> bool {
    use std::os::unix::fs::MetadataExt;

    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return false;
    }
    let runtime_dir = match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        // `/proc/self` belongs to the process's effective user, whose bus zbus would try.
        None => match std::fs::metadata("/proc/self") {
            Ok(meta) => std::path::PathBuf::from(format!("/run/user/{}", meta.uid())),
            Err(_) => return true,
        },
    };
    !runtime_dir.join("bus").exists()
}

/// Elsewhere the keyring does not use D-Bus.
#[cfg(not(target_os = "linux"))]
fn session_bus_missing() -> bool {
    false
}

/// `detail`, unless it contains `secret`: then a note that it was withheld. Replacing the whole
/// text (rather than the secret inside it) is safe even for a one-character secret.
fn redact(detail: String, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if !secret.is_empty() && detail.contains(secret) => {
            "details withheld because they might contain the secret".to_owned()
        }
        _ => detail,
    }
}

/// The message of a caught panic, when it has one.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "no message".to_owned()
    }
}

fn worker_gone() -> SecretError {
    SecretError::Unavailable("IBR Desk's keyring thread has stopped; restart IBR Desk".to_owned())
}

/// `timeout` in whole seconds, rounded up, so that a short timeout is never reported as "0 s".
fn whole_seconds(timeout: Duration) -> u64 {
    let secs = timeout.as_secs();
    if timeout.subsec_nanos() > 0 {
        secs.saturating_add(1)
    } else {
        secs
    }
}

#[cfg(test)]
mod tests {
    use crate::secrets::Exposed as _;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    const SECRET: &str = "unit-test-client-secret-Zq7";

    /// A key no real entry uses, so that a test run on a machine *with* a keyring cannot touch
    /// anything that matters.
    fn unique_key(label: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("unit-test/{label}/{}-{nanos}", std::process::id())
    }

    /// Accepts success (there is a keyring) or a clear error (there is none, or it is locked),
    /// and rejects a panic turned into an error, a hang, and any message that shows the secret.
    fn assert_tolerable<T>(what: &str, outcome: &Result<T, SecretError>, elapsed: Duration, timeout: Duration) {
        assert!(elapsed <= timeout + Duration::from_secs(2), "{what} took {elapsed:?}");
        let Err(err) = outcome else { return };
        let message = err.to_string();
        assert!(!message.contains(SECRET), "{what}: the secret leaked into {message:?}");
        assert!(
            !message.contains("failed unexpectedly"),
            "{what}: the backend panicked: {message}"
        );
        match err {
            SecretError::Unavailable(detail) | SecretError::Other(detail) => {
                assert!(!detail.trim().is_empty(), "{what}: empty detail in {message:?}");
            }
            SecretError::Locked | SecretError::TimedOut { .. } => {}
        }
    }

    #[test]
    fn without_a_keyring_calls_fail_clearly_and_quickly() {
        let store = KeyringStore::new().expect("keyring thread");
        let key = unique_key("plain");
        let timeout = store.timeout();

        let started = Instant::now();
        let set = store.set(&key, SECRET);
        assert_tolerable("set", &set, started.elapsed(), timeout);

        let started = Instant::now();
        let get = store.get(&key).exposed();
        assert_tolerable("get", &get, started.elapsed(), timeout);
        if set.is_ok() {
            assert_eq!(get, Ok(Some(SECRET.to_owned())));
        }

        let started = Instant::now();
        let delete = store.delete(&key);
        assert_tolerable("delete", &delete, started.elapsed(), timeout);

        let started = Instant::now();
        let probe = store.probe();
        assert_tolerable("probe", &probe, started.elapsed(), timeout);

        // This machine in a plain shell: no session bus, so the answer must be `Unavailable`
        // with the sentence a field officer can act on.
        if session_bus_missing() {
            for (what, outcome) in [("set", set), ("delete", delete), ("probe", probe)] {
                let Err(SecretError::Unavailable(detail)) = &outcome else {
                    panic!("{what} without a session bus gave {outcome:?}")
                };
                assert!(detail.contains("no D-Bus session bus"), "{detail}");
                let message = SecretError::Unavailable(detail.clone()).to_string();
                assert!(
                    message.starts_with("No OS keyring is available on this computer"),
                    "{message}"
                );
            }
            assert!(matches!(get, Err(SecretError::Unavailable(_))), "{get:?}");
        }
    }

    /// Called from inside a multi-threaded runtime — directly on a worker (which the module
    /// documentation forbids, because it blocks the worker, but which must still not panic) and
    /// from `spawn_blocking` — the call does not hit zbus's "runtime within a runtime" trap.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn calls_from_inside_a_tokio_runtime_do_not_panic() {
        let store = KeyringStore::new().expect("keyring thread");
        let timeout = store.timeout();

        let started = Instant::now();
        let direct = store.probe();
        assert_tolerable("probe on a worker", &direct, started.elapsed(), timeout);

        let blocking = store.clone();
        let (outcome, elapsed) = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            (blocking.probe(), started.elapsed())
        })
        .await
        .expect("spawn_blocking");
        assert_tolerable("probe from spawn_blocking", &outcome, elapsed, timeout);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn calls_from_a_current_thread_runtime_do_not_panic() {
        let store = KeyringStore::new().expect("keyring thread");
        let started = Instant::now();
        let outcome = store.probe();
        assert_tolerable("probe", &outcome, started.elapsed(), store.timeout());
    }

    #[test]
    fn a_backend_panic_becomes_an_error_and_the_store_keeps_working() {
        let store = KeyringStore::new().expect("keyring thread");
        let outcome = store.call("k", Op::Panic).map(|_| ());
        let Err(SecretError::Unavailable(detail)) = &outcome else {
            panic!("{outcome:?}")
        };
        assert!(
            detail.contains("failed unexpectedly (simulated keyring backend panic)"),
            "{detail}"
        );

        let flag = Arc::new(AtomicBool::new(false));
        assert!(
            store.call("k", Op::Mark(Arc::clone(&flag))).is_ok(),
            "the worker survived the panic"
        );
        assert!(flag.load(Ordering::SeqCst));
    }

    #[test]
    fn a_dead_worker_gives_unavailable_at_once_rather_than_a_hang() {
        let store = KeyringStore::new().expect("keyring thread");
        let started = Instant::now();
        let died = store.call("k", Op::Exit).map(|_| ());
        assert!(
            matches!(&died, Err(SecretError::Unavailable(detail)) if detail.contains("stopped")),
            "{died:?}"
        );

        for _ in 0..3 {
            let later = store.get("k").exposed();
            assert!(
                matches!(&later, Err(SecretError::Unavailable(detail)) if detail.contains("stopped")),
                "{later:?}"
            );
            let later = store.set("k", SECRET);
            assert!(matches!(&later, Err(SecretError::Unavailable(_))), "{later:?}");
        }
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn a_busy_keyring_times_out_and_stale_requests_are_skipped() {
        let store = KeyringStore::with_timeout(Duration::from_millis(200)).expect("keyring thread");

        let started = Instant::now();
        let busy = store.call("k", Op::Sleep(Duration::from_millis(700))).map(|_| ());
        assert_eq!(busy, Err(SecretError::TimedOut { secs: 1 }));
        assert!(
            started.elapsed() < Duration::from_millis(600),
            "{:?}",
            started.elapsed()
        );

        // Queued behind the sleeper; its caller gives up before the worker gets to it.
        let stale = Arc::new(AtomicBool::new(false));
        let queued = store.call("k", Op::Mark(Arc::clone(&stale))).map(|_| ());
        assert_eq!(queued, Err(SecretError::TimedOut { secs: 1 }));

        // Once the sleeper is done, fresh requests are answered again…
        thread::sleep(Duration::from_millis(500));
        let fresh = Arc::new(AtomicBool::new(false));
        assert!(store.call("k", Op::Mark(Arc::clone(&fresh))).is_ok());
        assert!(fresh.load(Ordering::SeqCst));
        // …and the request nobody waited for any more was never carried out.
        assert!(!stale.load(Ordering::SeqCst));
    }

    #[test]
    fn debug_and_errors_never_show_secrets() {
        let store = KeyringStore::with_timeout(Duration::from_secs(3)).expect("keyring thread");
        let key = unique_key("debug");
        let outcome = store.set(&key, SECRET);
        let shown = format!("{store:?} {store:#?} {outcome:?}");
        assert!(shown.contains("org.ibr-desk.IBR-Desk"), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
        if outcome.is_ok() {
            let _ = store.delete(&key);
        }
        let described = store.describe();
        if cfg!(target_os = "linux") {
            assert_eq!(described, "Secret Service (GNOME Keyring / KWallet)");
        }
    }

    #[test]
    fn keyring_errors_are_translated_without_the_secret() {
        let boxed = |text: &str| -> Box<dyn std::error::Error + Send + Sync> { text.to_owned().into() };

        let locked = map_error(
            keyring::Error::NoStorageAccess(boxed("SS Error: object locked")),
            "k",
            None,
        );
        assert_eq!(locked, SecretError::Locked);

        let unavailable = map_error(keyring::Error::PlatformFailure(boxed("zbus error: gone")), "k", None);
        assert!(matches!(&unavailable, SecretError::Unavailable(detail) if detail.contains("zbus error: gone")));

        let echoed = format!("backend echoed {SECRET} back");
        let leaky = map_error(keyring::Error::PlatformFailure(boxed(&echoed)), "k", Some(SECRET));
        assert!(!leaky.to_string().contains(SECRET), "{leaky}");
        assert!(leaky.to_string().contains("details withheld"), "{leaky}");

        let bad = map_error(
            keyring::Error::BadEncoding(SECRET.as_bytes().to_vec()),
            "client-secret/x",
            None,
        );
        let bad_text = format!("{bad} {bad:?}");
        assert!(
            !bad_text.contains(SECRET) && !bad_text.contains("117, 110"),
            "{bad_text}"
        );
        assert!(bad_text.contains("does not hold text"), "{bad_text}");

        let invalid = map_error(
            keyring::Error::Invalid("user".into(), "cannot be empty".into()),
            "",
            None,
        );
        assert!(matches!(&invalid, SecretError::Other(detail) if detail.contains("cannot be empty")));
    }

    #[test]
    fn timeouts_are_reported_in_whole_seconds_rounded_up() {
        assert_eq!(whole_seconds(Duration::from_secs(10)), 10);
        assert_eq!(whole_seconds(Duration::from_millis(200)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(2500)), 3);
    }
}
