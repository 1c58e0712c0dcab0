//! `lvyue serve`: a local web page for people who do not use a terminal, and
//! a JSON API for integrations (`docs/api.md`).
//!
//! - [`api`]: the routes. Every one calls the same library functions as the
//!   command line: [`crate::job::load`], [`crate::job::evaluate_all`] and
//!   [`crate::job::build_outputs`] for an evaluation, [`crate::input::template`]
//!   for templates, [`crate::host::Host::rules`] for the rules browser,
//!   [`crate::report::html`] for the printable result. Nothing is computed here.
//! - [`limits`]: the upload cap, the bounded number of evaluations (running and
//!   waiting; beyond them "busy", 503 with `Retry-After`), the request timeout
//!   (504) and the `Host` header check that keeps other web sites out of a
//!   server on the loopback address.
//! - [`error`]: the exit codes of the command line as HTTP statuses.
//! - `page/`: the page itself, hand-written HTML, CSS and JavaScript embedded
//!   in the binary (no CDN, no build step), in Chinese and English.
//!
//! Nothing is kept on disk: an evaluation's uploads go to a temporary folder
//! that is removed when its answer has been built, and the answer is built in
//! memory.

pub mod api;
pub mod error;
pub mod limits;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::host::Host;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; 127.0.0.1 unless the user says otherwise.
    pub listen: SocketAddr,
    /// The largest request body accepted, in bytes (an evaluation's uploads together).
    pub max_upload_bytes: usize,
    /// Evaluations run at once.
    pub max_evaluations: usize,
    /// Evaluations that may wait for one of those; beyond them the answer is "busy".
    pub queue: usize,
    /// An evaluation (upload, reading, evaluation, outputs) answered within this, or 504.
    pub request_timeout: Duration,
}

/// The default listening address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";
/// The default upload cap, MiB.
pub const DEFAULT_UPLOAD_MIB: usize = 50;
/// The default request timeout, seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// The default number of evaluations that may wait for a free slot.
pub const DEFAULT_QUEUE: usize = 32;

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: DEFAULT_LISTEN.parse().expect("valid address"),
            max_upload_bytes: DEFAULT_UPLOAD_MIB << 20,
            max_evaluations: default_evaluations(),
            queue: DEFAULT_QUEUE,
            request_timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        }
    }
}

/// One evaluation per core.
pub fn default_evaluations() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// What the server shares between requests.
pub(crate) struct State {
    pub host: Host,
    pub config: Config,
    pub slots: limits::Slots,
    /// The address actually bound (the port is chosen by the system for port 0).
    pub bound: SocketAddr,
}

/// Describes every plugin once (compiling it, through the cache), so the first
/// page load is quick and a plugin that cannot load is known before the first user.
pub fn warm_up(host: &Host) -> Vec<String> {
    host.bundles().iter().filter_map(|b| host.describe(b).err().map(|e| format!("plugin {}: {e}", b.manifest.id))).collect()
}

/// Binds the address, then calls `ready` with the bound address and serves
/// until Ctrl-C (or SIGTERM). Returns an error if the address cannot be bound.
pub fn run(host: Host, config: Config, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("lvyue-serve").build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let bound = listener.local_addr()?;
        let slots = limits::Slots::new(config.max_evaluations, config.queue);
        let state = Arc::new(State { host, config, slots, bound });
        let app = api::router(state);
        ready(bound);
        axum::serve(listener, app).with_graceful_shutdown(shutdown()).await
    })
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
