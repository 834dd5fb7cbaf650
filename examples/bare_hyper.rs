//! The limit convmock is measured against: the least a hyper 1.x server can do per request.
//!
//! It answers every request with the same small JSON body (a conversation, as convmock's GET
//! by id does), with the same runtime, the same HTTP/1.1 settings and TCP_NODELAY, and
//! nothing else: no routing, no state, no serialization. `scripts/bench.sh` runs it under
//! the same load as convmock.
//!
//!     cargo run --release --example bare_hyper -- --port 0

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, header};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::Write;

const BODY: &str = r#"{
  "id": "xgQQXg3hrtjh7AvZ",
  "contact_id": "WAz8eIbvDR60rouK",
  "group_id": null,
  "pinned_message_id": null,
  "is_pinned": false,
  "is_muted": false,
  "last_active_at": 705103200,
  "last_opened_at": 705103200,
  "created_at": 692233200,
  "archived_at": null
}
"#;

fn main() {
    let mut port = 8081u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--port" {
            port = args
                .next()
                .and_then(|p| p.parse().ok())
                .expect("--port takes a number");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("a bound address");
        println!("listening on http://{addr}");
        let _ = std::io::stdout().flush();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|_req| async {
                    let mut response =
                        Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        header::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
