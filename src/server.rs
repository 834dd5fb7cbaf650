//! The only socket code: the accept loop, one HTTP/1.1 connection per task, and graceful
//! shutdown.
//!
//! A client that stops reading its answer loses its connection after `--header-timeout`
//! without progress, so a slow reader never holds a connection slot, or the answer it is
//! not reading, for long.
//!
//! On shutdown the listener is dropped first (no new connections), then in-flight requests
//! get a few seconds to finish while idle keep-alive connections are closed.

use crate::guard::MAX_HEAD_BYTES;
use crate::http;
use crate::state::AppState;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

/// How many threads serve requests unless told otherwise (`--threads`): one fewer than the
/// machine's cores, and at least one. The client of a local emulator usually runs on the
/// same machine, and one workspace's requests take turns at its lock anyway; a server that
/// took every core would preempt that client and wait for it in turn (BENCHMARKS.md, "One
/// core left to the client").
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().saturating_sub(1).max(1))
}

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
                    let io = WriteTimeout::new(stream, state.config.header_timeout);
                    let state = state.clone();
                    let service = service_fn(move |req| http::handle(state.clone(), req));
                    let conn = builder.serve_connection(TokioIo::new(io), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        // A connection error (a client that went away) concerns that client only.
                        let _ = conn.await;
                        drop(slot);
                    });
                }
                Err(e) => {
                    // Out of file descriptors, say: back off briefly instead of spinning.
                    crate::log::line(format!("convmock: accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    // Live event streams never end on their own: they end now, so that shutdown waits only
    // for requests that do.
    state.bus.close();
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            crate::log::line(format!(
                "convmock: in-flight requests did not finish within {SHUTDOWN_GRACE:?}"
            ));
        }
    }
}

/// A connection whose writes fail once the client has accepted no byte for `limit`: the
/// write timeout. The timer exists only while a write is blocked, so a client that reads
/// its answers costs nothing here.
struct WriteTimeout {
    stream: TcpStream,
    limit: Duration,
    blocked: Option<Pin<Box<Sleep>>>,
}

impl WriteTimeout {
    fn new(stream: TcpStream, limit: Duration) -> Self {
        WriteTimeout {
            stream,
            limit,
            blocked: None,
        }
    }

    /// Passes a write's outcome through; while it is blocked, fails it once the limit has
    /// passed since it first blocked.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.blocked = None;
            return poll;
        }
        let limit = self.limit;
        let timer = self
            .blocked
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + limit)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client read nothing of its answer within the write timeout",
        )))
    }
}

impl AsyncRead for WriteTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteTimeout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
