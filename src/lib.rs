//! convmock: a local emulator of the Conversations REST API documented by Self and Oblic.
//!
//! It keeps conversations in memory, seeded from fixtures, and answers the five documented
//! operations under `/v1` and `/external` with exactly the documented responses. The binary
//! `convmock` is a thin CLI over this library; a Rust test suite can embed the same server:
//!
//! ```
//! use convmock::{Config, Server};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = Server::start(Config { port: 0, quiet: true, ..Config::default() })
//!     .await
//!     .expect("a free port on 127.0.0.1");
//! let url = format!("{}/v1/conversations/xgQQXg3hrtjh7AvZ", server.url());
//! assert!(url.starts_with("http://127.0.0.1:"));
//! server.shutdown().await;
//! # }
//! ```

pub mod api;
pub mod body;
pub mod clock;
pub mod config;
pub mod error;
pub mod fixtures;
pub mod http;
pub mod ids;
pub mod model;
pub mod router;
pub mod server;
pub mod state;
pub mod store;

pub use config::{Auth, Config, Profile};
pub use fixtures::{FixtureError, Fixtures};

use state::AppState;
use std::fmt;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

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
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            StartError::Fixtures(e) => e.fmt(f),
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
        let state = AppState::new(config);
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, state, async move {
            // A dropped sender means the handle is gone: shut down as well.
            let _ = rx.await;
        }));
        Ok(Server {
            addr: local,
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
