//! The only socket code: the accept loop, one HTTP/1.1 connection per task, and graceful
//! shutdown.
//!
//! On shutdown the listener is dropped first (no new connections), then in-flight requests
//! get a few seconds to finish while idle keep-alive connections are closed.

use crate::http;
use crate::state::AppState;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long in-flight requests may take to finish once shutdown starts.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves connections from `listener` until `shutdown` completes, then drains.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let builder = http1::Builder::new();
    tokio::pin!(shutdown);
    loop {
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
