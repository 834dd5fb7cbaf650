//! Lines on stderr while serving, written by a thread of their own.
//!
//! A harness that pipes stderr and never reads it fills the pipe after a few hundred lines;
//! a request that then wrote its log line itself would block, and so would every other
//! (they share stderr's lock). Requests instead hand their line to a bounded queue and go
//! on; when the queue is full the line is dropped and counted, and the count is reported
//! once stderr takes lines again. [`flush`] waits, briefly, for what is queued.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

/// How many lines may wait for stderr.
const QUEUED_LINES: usize = 4096;

enum Message {
    Line(String),
    /// Answered once every line queued before it is written.
    Flush(SyncSender<()>),
}

static LOG: OnceLock<SyncSender<Message>> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);

fn queue() -> &'static SyncSender<Message> {
    LOG.get_or_init(|| {
        let (tx, rx) = sync_channel(QUEUED_LINES);
        // Without a thread the receiver is gone and every line counts as dropped.
        let _ = std::thread::Builder::new()
            .name("convmock-log".into())
            .spawn(move || write_lines(&rx));
        tx
    })
}

/// Queues a line for stderr without ever waiting for it.
pub fn line(text: String) {
    if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
        queue().try_send(Message::Line(text))
    {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Waits until the lines queued so far are written, for at most `limit` (stderr may be a
/// pipe nobody reads): for the last lines before the process exits.
pub fn flush(limit: Duration) {
    let Some(tx) = LOG.get() else {
        return;
    };
    let deadline = Instant::now() + limit;
    let (done_tx, done_rx) = sync_channel(1);
    let mut message = Message::Flush(done_tx);
    loop {
        match tx.try_send(message) {
            Ok(()) => break,
            Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                message = back;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return,
        }
    }
    let _ = done_rx.recv_timeout(deadline.saturating_duration_since(Instant::now()));
}

/// Writes queued lines until the process ends; a line that cannot be written is lost.
fn write_lines(queued: &Receiver<Message>) {
    while let Ok(message) = queued.recv() {
        let text = match message {
            Message::Line(text) => text,
            Message::Flush(done) => {
                let _ = done.try_send(());
                continue;
            }
        };
        let mut err = std::io::stderr().lock();
        let dropped = DROPPED.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let _ = writeln!(
                err,
                "convmock: {dropped} log lines were dropped: stderr was not read fast enough"
            );
        }
        let _ = writeln!(err, "{text}");
    }
}
