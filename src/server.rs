//! The only socket code: the accept loop, one HTTP/1.1 connection per task, and graceful
//! shutdown.
//!
//! On shutdown the listener is dropped first (no new connections), then in-flight requests
//! get a few seconds to finish while idle keep-alive connections are closed.

use crate::http;
use crate::state::AppState;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The largest request head (request line and headers) read; past it the client gets a
/// 431 and the connection is closed.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long in-flight requests may take to finish once shutdown starts.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves connections from `listener` until `shutdown` completes, then drains.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // hyper's head timer also runs while a keep-alive connection waits for its next
        // request, so this one setting bounds both a stalled head and an idle connection.
        .header_read_timeout(state.config.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    let slots = Arc::new(Semaphore::new(state.config.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        // At the connection bound, wait for a slot before accepting: new clients queue in
        // the listen backlog instead of starving the ones being served.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // Small JSON answers: send them now rather than wait for more to batch.
                    let _ = stream.set_nodelay(true);
                    let state = state.clone();
                    let service = service_fn(move |req| http::handle(state.clone(), req));
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        // A connection error (a client that went away) concerns that client only.
                        let _ = conn.await;
                        drop(slot);
                    });
                }
                Err(e) => {
                    // Out of file descriptors, say: back off briefly instead of spinning.
                    eprintln!("convmock: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            eprintln!("convmock: in-flight requests did not finish within {SHUTDOWN_GRACE:?}");
        }
    }
}
