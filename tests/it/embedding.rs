//! The Rust embedding API: start on port 0, reset, shut down (also on drop).

use crate::support::Req;
use convmock::{BlockingServer, Config, Server};

fn quiet() -> Config {
    Config {
        port: 0,
        quiet: true,
        ..Config::default()
    }
}

#[test]
fn a_blocking_server_resets_and_stops_on_drop() {
    let server = BlockingServer::start(quiet()).unwrap();
    let addr = server.addr();
    assert_eq!(server.url(), format!("http://{addr}"));
    let doc = "/v1/conversations/xgQQXg3hrtjh7AvZ";
    Req::new(addr, "DELETE", doc).token("t").send().expect(204);
    Req::new(addr, "GET", doc).token("t").send().expect(404);
    server.reset();
    Req::new(addr, "GET", doc).token("t").send().expect(200);
    drop(server);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "nothing listens after drop"
    );
}

#[test]
fn an_async_server_runs_on_the_callers_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(Server::start(quiet())).unwrap();
    let addr = server.addr();
    Req::new(addr, "GET", "/__admin/health").send().expect(200);
    runtime.block_on(server.shutdown());
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn a_busy_port_is_a_start_error_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = BlockingServer::start(Config { port, ..quiet() }).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
}
