//! convmock: a local emulator of the Conversations REST API documented by Self and Oblic.
//!
//! It keeps conversations in memory, seeded from fixtures, and answers the five documented
//! operations under `/v1` and `/external` with exactly the documented responses. The binary
//! `convmock` is a thin CLI over this library; a Rust test suite can embed the same server,
//! in async code with [`Server`] or in plain `#[test]` functions with [`BlockingServer`]:
//!
//! ```
//! use convmock::{BlockingServer, Config};
//! use std::io::{Read, Write};
//!
//! let server = BlockingServer::start(Config {
//!     port: 0,         // any free port
//!     quiet: true,     // no log lines in the test output
//!     clock: Some(692233200),
//!     ..Config::default()
//! })
//! .expect("a free port on 127.0.0.1");
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//!
//! let get = |path: &str| {
//!     let mut conn = std::net::TcpStream::connect(server.addr()).unwrap();
//!     write!(conn, "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\
//!                   Connection: close\r\n\r\n").unwrap();
//!     let mut answer = String::new();
//!     conn.read_to_string(&mut answer).unwrap();
//!     answer
//! };
//! assert!(get("/v1/conversations/xgQQXg3hrtjh7AvZ").starts_with("HTTP/1.1 200 OK"));
//!
//! // Between tests: everything back as at start-up.
//! server.reset();
//! server.shutdown(); // or just drop it
//! ```

pub mod admin;
pub mod api;
pub mod body;
pub mod clock;
pub mod config;
pub mod error;
pub mod events;
pub mod exchange;
pub mod faults;
pub mod fixtures;
pub mod guard;
pub mod http;
pub mod ids;
pub mod journal;
pub mod journal_live;
pub mod json;
pub mod listing;
pub mod live;
pub mod log;
pub mod model;
pub mod openapi;
pub mod resources;
pub mod router;
pub mod server;
pub mod simulate;
pub mod state;
pub mod store;
pub mod ui;
pub mod webhooks;
pub mod workspace;

pub use config::{Auth, Config, Profile};

/// The README's Rust examples, compiled and run as doc-tests, so that what a user pastes works.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use fixtures::{FixtureError, Fixtures};

use state::AppState;
use std::fmt;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Warnings for a server that others on the network could use: bound to an address other
/// than loopback while any bearer token (or none) is accepted, or while the admin API has
/// no `--admin-token`. Empty when it is safe.
pub fn exposure_warnings(addr: SocketAddr, auth: &Auth, admin_token: bool) -> Vec<String> {
    let mut warnings = Vec::new();
    if addr.ip().is_loopback() {
        return warnings;
    }
    if matches!(auth, Auth::AnyToken | Auth::Disabled) {
        warnings.push(format!(
            "listening on {addr} without --token: anyone who can reach this address can \
             read and change its conversations"
        ));
    }
    if !admin_token {
        warnings.push(format!(
            "listening on {addr} without --admin-token: anyone who can reach this address \
             can use the admin API (/__admin/) to read every request and token, change the \
             data, reset the server and inject faults"
        ));
    }
    warnings
}

/// Why a server could not start. The CLI prints it after `convmock: ` and exits 2.
#[derive(Debug)]
pub enum StartError {
    /// The address could not be bound (a port in use, say).
    Bind {
        /// `host:port` as asked for.
        addr: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The fixtures file could not be read or is invalid.
    Fixtures(FixtureError),
    /// The threads to serve from could not be started.
    Runtime(std::io::Error),
    /// A start-up webhook (`--webhook`) that cannot be registered.
    Webhook(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            StartError::Fixtures(e) => e.fmt(f),
            StartError::Runtime(e) => write!(f, "cannot start the server's threads: {e}"),
            StartError::Webhook(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for StartError {}

impl From<FixtureError> for StartError {
    fn from(e: FixtureError) -> Self {
        StartError::Fixtures(e)
    }
}

/// A running server. Dropping it starts a graceful shutdown; [`Server::shutdown`] also
/// waits for it to finish.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    webhooks: Vec<webhooks::Started>,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `config.host:config.port` and starts serving on the current tokio runtime.
    /// When this returns, the socket accepts connections.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let addr = format!("{}:{}", config.host, config.port);
        let bind_error = |source| StartError::Bind {
            addr: addr.clone(),
            source,
        };
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        // The real port, for the checks that a request was addressed to this server.
        let state = AppState::new(Config {
            port: local.port(),
            ..config
        });
        let webhooks = state
            .webhooks
            .start(tokio::runtime::Handle::current())
            .map_err(StartError::Webhook)?;
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, state.clone(), async move {
            // A dropped sender means the handle is gone: shut down as well.
            let _ = rx.await;
        }));
        Ok(Server {
            addr: local,
            webhooks,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, the base every API path is appended to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The webhook endpoints registered at start-up (`Config::webhooks`), with their secrets.
    pub fn startup_webhooks(&self) -> &[webhooks::Started] {
        &self.webhooks
    }

    /// Everything back as at start-up, as `POST /__admin/reset` does: every workspace as
    /// the fixtures, the ID queue, the clock, an empty journal, no fault rules.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Stops accepting, lets in-flight requests finish, and waits until it has.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A [`Server`] on a runtime of its own, for tests that are not async. Dropping it shuts
/// the server down and waits for it; do not drop it inside async code.
#[derive(Debug)]
pub struct BlockingServer {
    runtime: Option<tokio::runtime::Runtime>,
    server: Option<Server>,
    addr: SocketAddr,
}

impl BlockingServer {
    /// Starts a server on a runtime of its own, of [`server::default_threads`] threads;
    /// returns once the socket accepts.
    pub fn start(config: Config) -> Result<BlockingServer, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(server::default_threads())
            .thread_name("convmock")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let server = runtime.block_on(Server::start(config))?;
        Ok(BlockingServer {
            addr: server.addr(),
            runtime: Some(runtime),
            server: Some(server),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything back as at start-up (see [`Server::reset`]).
    pub fn reset(&self) {
        if let Some(server) = &self.server {
            server.reset();
        }
    }

    /// Shuts down gracefully and waits until it has.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let (Some(runtime), Some(server)) = (self.runtime.take(), self.server.take()) {
            runtime.block_on(server.shutdown());
        }
    }
}

impl Drop for BlockingServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_open_api_or_admin_api_on_a_non_loopback_address_is_warned_about() {
        let public: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let lan: SocketAddr = "192.168.1.20:8080".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let local6: SocketAddr = "[::1]:8080".parse().unwrap();
        let with = |auth: Auth, admin_token: Option<&str>| (auth, admin_token.is_some());
        let tokens = || Auth::Tokens(vec!["t".into()]);
        let warned = |addr, (auth, admin_token): &(Auth, bool)| {
            exposure_warnings(addr, auth, *admin_token)
                .iter()
                .map(|w| {
                    if w.contains("--admin-token") {
                        "admin"
                    } else {
                        "api"
                    }
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            warned(public, &with(Auth::AnyToken, None)),
            ["api", "admin"]
        );
        assert_eq!(warned(lan, &with(Auth::Disabled, Some("a"))), ["api"]);
        // A secret API token does not close the admin API.
        assert_eq!(warned(public, &with(tokens(), None)), ["admin"]);
        assert!(warned(public, &with(tokens(), Some("a"))).is_empty());
        assert!(warned(local, &with(Auth::AnyToken, None)).is_empty());
        assert!(warned(local6, &with(Auth::Disabled, None)).is_empty());
    }
}
