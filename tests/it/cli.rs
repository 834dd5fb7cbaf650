//! The real binary: the ready line, logs, signals, exit statuses, environment variables and
//! reproducible runs.

use crate::support::{Binary, TempFile};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary until it exits: its status, stderr and how long it took. One that has
/// not exited after 30 seconds is killed, and its status is `None`.
fn run_to_exit(args: &[&str]) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_convmock"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run convmock");
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait for convmock") {
            break status.code();
        }
        if started.elapsed() > Duration::from_secs(30) {
            // Only the process this test started, by its own handle.
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    (code, stderr, started.elapsed())
}

#[test]
fn the_ready_line_comes_first_and_the_port_then_accepts() {
    let b = Binary::start(&["--quiet"]);
    assert!(b.ready_line.starts_with("listening on http://127.0.0.1:"));
    assert_ne!(b.addr.port(), 0, "port 0 is reported as the real port");
    b.call("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .send()
        .expect(200);
}

#[test]
fn sigterm_and_sigint_exit_0() {
    for signal in ["TERM", "INT"] {
        let b = Binary::start(&["--quiet"]);
        b.call("GET", "/v1/conversations").send().expect(200);
        let (code, stderr) = b.signal_and_wait(signal);
        assert_eq!(code, Some(0), "SIG{signal}: {stderr}");
    }
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let b = Binary::start(&["--quiet"]);
    let mut conn = std::net::TcpStream::connect(b.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = "is_muted=true";
    write!(
        conn,
        "PUT /v1/conversations/xgQQXg3hrtjh7AvZ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\nis_mu",
        body.len()
    )
    .unwrap();
    conn.flush().unwrap();
    // The request is under way (its head has been read) when the signal arrives.
    std::thread::sleep(Duration::from_millis(300));
    b.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    conn.write_all(&body.as_bytes()[5..]).unwrap();
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""is_muted": true"#), "{answer}");
    let (code, stderr) = b.wait();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn the_host_flag_and_variable_pick_the_address_in_the_ready_line() {
    let b = Binary::start(&["--quiet", "--host", "127.0.0.1"]);
    assert!(b.ready_line.starts_with("listening on http://127.0.0.1:"));
    let b = Binary::start_with_env(&["--quiet"], &[("CONVMOCK_HOST", "127.0.0.1")]);
    assert_eq!(b.addr.ip().to_string(), "127.0.0.1");
    b.call("GET", "/v1/conversations").send().expect(200);
}

#[test]
fn a_port_in_use_exits_2_at_once_with_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (code, stderr, elapsed) = run_to_exit(&["--port", &port]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("convmock: cannot listen on 127.0.0.1:{port}: ")),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("in use"), "{stderr}");
    assert!(
        elapsed < Duration::from_secs(30),
        "it does not wait for the port"
    );
}

#[test]
fn bad_fixtures_exit_2_naming_the_file_the_entry_and_the_field() {
    let bad = TempFile::new(
        "bad.json",
        r#"{"conversations": [{"id": "a", "created_at": 1}, {"id": "b", "created_at": "yesterday"}]}"#,
    );
    let path = bad.path.display().to_string();
    let (code, stderr, _) = run_to_exit(&["--fixtures", &path]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "convmock: fixtures file '{path}': conversations[1] (id 'b'), field 'created_at': "
        )),
        "{stderr}"
    );
    let (code, stderr, _) = run_to_exit(&["--fixtures", "/nonexistent/fixtures.json"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("'/nonexistent/fixtures.json'") && stderr.contains("cannot read"),
        "{stderr}"
    );
    let (code, _, _) = run_to_exit(&["--fixtures", &path, "--empty"]);
    assert_eq!(code, Some(2), "--fixtures and --empty cannot be combined");

    for (text, expected) in [
        (
            r#"{"conversations": [{"id": "a", "created_at": 1, "colour": "red"}]}"#,
            "conversations[0] (id 'a'): unknown key 'colour'",
        ),
        (
            r#"{"conversations": [{"id": "a", "created_at": 1}, {"id": "a", "created_at": 2}]}"#,
            "conversations[1], field 'id': duplicate ID 'a'",
        ),
        (
            r#"{"next_ids": ["ok", "not ok"]}"#,
            "next_ids[1]: expected an ID",
        ),
        (
            r#"{"conversations": {}}"#,
            "'conversations' must be an array",
        ),
    ] {
        let file = TempFile::new("invalid.json", text);
        let path = file.path.display().to_string();
        let (code, stderr, _) = run_to_exit(&["--fixtures", &path]);
        assert_eq!(code, Some(2));
        assert!(
            stderr.starts_with(&format!("convmock: fixtures file '{path}': {expected}")),
            "{stderr}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_fixtures_path_that_is_not_a_regular_file_or_too_large_exits_2_at_once() {
    let scratch = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let fifo = scratch.join(format!("{}-fixtures.fifo", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let zero_link = scratch.join(format!("{}-zero-link.json", std::process::id()));
    let _ = std::fs::remove_file(&zero_link);
    std::os::unix::fs::symlink("/dev/zero", &zero_link).unwrap();
    // One byte past the limit, without the disk space: a sparse file.
    let huge = TempFile::new("huge.json", "");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&huge.path)
        .unwrap()
        .set_len(convmock::fixtures::MAX_FILE_BYTES + 1)
        .unwrap();
    let limit = convmock::fixtures::MAX_FILE_BYTES.to_string();
    let cases = [
        (
            "/dev/zero".to_owned(),
            "it is a character device, not a regular file",
        ),
        (
            zero_link.display().to_string(),
            "it is a character device, not a regular file",
        ),
        (
            fifo.display().to_string(),
            "it is a FIFO (named pipe), not a regular file",
        ),
        (
            scratch.display().to_string(),
            "it is a directory, not a regular file",
        ),
        (
            huge.path.display().to_string(),
            &format!("it is larger than the limit of {limit} bytes"),
        ),
    ];
    for (path, expected) in &cases {
        let (code, stderr, _) = run_to_exit(&["--fixtures", path]);
        assert_eq!(code, Some(2), "{path}: {stderr}");
        assert_eq!(
            stderr,
            format!("convmock: fixtures file '{path}': {expected}\n"),
            "{path}"
        );
    }
    let _ = std::fs::remove_file(&fifo);
    let _ = std::fs::remove_file(&zero_link);
    // A symlink to a regular file is followed.
    let good = TempFile::new(
        "good.json",
        r#"{"conversations": [{"id": "linked", "created_at": 1}]}"#,
    );
    let good_link = scratch.join(format!("{}-good-link.json", std::process::id()));
    let _ = std::fs::remove_file(&good_link);
    std::os::unix::fs::symlink(&good.path, &good_link).unwrap();
    let b = Binary::start(&["--quiet", "--fixtures", &good_link.display().to_string()]);
    b.call("GET", "/v1/conversations/linked").send().expect(200);
    let _ = std::fs::remove_file(&good_link);
}

#[test]
fn the_fixtures_file_is_only_read() {
    let text = r#"{"conversations": [{"id": "only", "created_at": 5}], "next_ids": ["queued"]}"#;
    let file = TempFile::new("read-only.json", text);
    // An old modification time, so that any write, even of the same bytes, shows.
    let long_ago = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let set_mtime = |path: &std::path::Path| {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
    };
    set_mtime(&file.path);
    let path = file.path.display().to_string();
    let b = Binary::start(&["--quiet", "--fixtures", &path]);
    b.call("PUT", "/v1/conversations/only")
        .form("is_muted=true")
        .send()
        .expect(200);
    b.call("DELETE", "/v1/conversations/only")
        .send()
        .expect(204);
    let created = b
        .call("POST", "/v1/conversations")
        .form("contact_id=x")
        .send()
        .expect(201);
    assert_eq!(created.id(), "queued");
    // A clean exit, so that a write on the way out would have happened too.
    let (code, stderr) = b.signal_and_wait("TERM");
    assert_eq!(code, Some(0), "{stderr}");
    let after = std::fs::metadata(&file.path).unwrap();
    assert_eq!(std::fs::read_to_string(&file.path).unwrap(), text);
    assert_eq!(after.modified().unwrap(), long_ago, "the file was written");

    // Nor does it need to be writable (where permissions bind: not for root).
    let mut read_only = after.permissions();
    read_only.set_readonly(true);
    std::fs::set_permissions(&file.path, read_only).unwrap();
    let b = Binary::start(&["--quiet", "--fixtures", &path]);
    b.call("GET", "/v1/conversations/only").send().expect(200);
}

#[test]
fn each_request_logs_one_line_on_stderr_unless_quiet() {
    let b = Binary::start(&[]);
    b.call("GET", "/v1/conversations?limit=2")
        .send()
        .expect(200);
    b.call("DELETE", "/v1/conversations/nope")
        .send()
        .expect(404);
    let (code, stderr) = b.signal_and_wait("TERM");
    assert_eq!(code, Some(0));
    let mut lines: Vec<&str> = stderr.lines().collect();
    // First the dashboard's address, then one line per request.
    let dashboard = lines.remove(0);
    assert!(
        dashboard.starts_with("convmock: dashboard at http://127.0.0.1:")
            && dashboard.ends_with("/__admin/ui"),
        "{dashboard}"
    );
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].contains("GET /v1/conversations?limit=2 200"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("DELETE /v1/conversations/nope 404"),
        "{}",
        lines[1]
    );
    // A refused request says why, on the same line.
    assert!(
        lines[1].ends_with(" — No such conversation: 'nope'"),
        "{}",
        lines[1]
    );
    assert!(!lines[0].contains(" — "), "{}", lines[0]);

    let b = Binary::start(&["--quiet"]);
    b.call("GET", "/v1/conversations").send().expect(200);
    let (_, stderr) = b.signal_and_wait("TERM");
    assert_eq!(stderr, "");
}

#[test]
fn every_flag_is_also_read_from_a_convmock_variable() {
    let b = Binary::start_with_env(
        &[],
        &[
            ("CONVMOCK_PORT", "0"),
            ("CONVMOCK_PROFILE", "oblic"),
            ("CONVMOCK_TOKEN", "one,two"),
            ("CONVMOCK_QUIET", "true"),
            ("CONVMOCK_EMPTY", "true"),
            ("CONVMOCK_COMPACT", "true"),
        ],
    );
    let r = b
        .call("GET", "/v1/conversations")
        .token("two")
        .send()
        .expect(200);
    assert_eq!(r.body, "{\"has_more\":false,\"data\":[]}\n");
    let r = b
        .call("GET", "/v1/conversations")
        .token("three")
        .send()
        .expect(401);
    assert!(r.body.contains("NOT_AUTHENTICATED"));

    let help = Command::new(env!("CARGO_BIN_EXE_convmock"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for var in [
        "HOST",
        "PORT",
        "PROFILE",
        "COMPACT",
        "TOKEN",
        "NO_AUTH",
        "ISOLATE",
        "FIXTURES",
        "EMPTY",
        "SEED",
        "CLOCK",
        "QUIET",
        "ADMIN_TOKEN",
        "JOURNAL_LIMIT",
        "LATENCY",
        "THREADS",
    ] {
        assert!(
            help.contains(&format!("[env: CONVMOCK_{var}=")),
            "{var} in --help:\n{help}"
        );
    }
}

/// The threads of the running binary `b` that serve requests (tokio's workers).
#[cfg(target_os = "linux")]
fn serving_threads(b: &crate::support::Binary) -> usize {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", b.child.id())).expect("its threads");
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "tokio-rt-worker")
        .count()
}

#[cfg(target_os = "linux")]
#[test]
fn the_server_leaves_a_core_to_its_client_unless_told_how_many_threads() {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let b = Binary::start(&["--quiet"]);
    assert_eq!(serving_threads(&b), cores.saturating_sub(1).max(1));
    b.call("GET", "/v1/conversations").send().expect(200);
    let b = Binary::start(&["--quiet", "--threads", "3"]);
    assert_eq!(serving_threads(&b), 3);
    b.call("GET", "/v1/conversations").send().expect(200);
    let b = Binary::start_with_env(&["--quiet"], &[("CONVMOCK_THREADS", "2")]);
    assert_eq!(serving_threads(&b), 2);
    let (code, stderr, _) = run_to_exit(&["--threads", "0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--threads"), "{stderr}");
}

/// The same requests against a fresh binary; every answer's status and body.
fn scripted_run(args: &[&str]) -> Vec<String> {
    let b = Binary::start(args);
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = b
            .call("POST", "/v1/conversations")
            .form(&format!("contact_id=contact{i}"))
            .send();
        ids.push(r.id());
        out.push(format!("{} {}", r.status, r.body));
    }
    let r = b
        .call("PUT", &format!("/v1/conversations/{}", ids[1]))
        .form("is_muted=true")
        .send();
    out.push(format!("{} {}", r.status, r.body));
    let r = b
        .call("DELETE", &format!("/v1/conversations/{}", ids[2]))
        .send();
    out.push(format!("{} {}", r.status, r.body));
    let r = b.call("GET", "/v1/conversations?limit=20").send();
    out.push(format!("{} {}", r.status, r.body));
    out
}

#[test]
fn two_seeded_runs_with_a_frozen_clock_are_byte_identical() {
    let args = ["--quiet", "--seed", "42", "--clock", "1700000000"];
    let first = scripted_run(&args);
    assert_eq!(first, scripted_run(&args));
    assert!(first[0].contains(r#""created_at": 1700000000"#));
    let other = scripted_run(&["--quiet", "--seed", "43", "--clock", "1700000000"]);
    assert_ne!(first[0], other[0], "another seed gives other IDs");
    let isolated = [
        "--quiet",
        "--seed",
        "42",
        "--clock",
        "1700000000",
        "--isolate",
    ];
    assert_eq!(scripted_run(&isolated), scripted_run(&isolated));
}

#[test]
fn the_clock_flag_takes_0_to_2_53_minus_1() {
    use convmock::model::MAX_TIMESTAMP;
    let past = (MAX_TIMESTAMP + 1).to_string();
    let (code, stderr, _) = run_to_exit(&["--port", "0", "--clock", &past]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--clock") && stderr.contains(&MAX_TIMESTAMP.to_string()),
        "{stderr}"
    );
    let b = Binary::start(&["--quiet", "--clock", &MAX_TIMESTAMP.to_string()]);
    let r = b
        .call("POST", "/v1/conversations")
        .form("contact_id=x")
        .send()
        .expect(201);
    assert_eq!(r.json()["created_at"], MAX_TIMESTAMP);
}

#[test]
fn empty_starts_with_no_conversations() {
    let b = Binary::start(&["--quiet", "--empty"]);
    let r = b.call("GET", "/v1/conversations").send().expect(200);
    assert_eq!(r.body, "{\n  \"has_more\": false,\n  \"data\": []\n}\n");
    b.call("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .send()
        .expect(404);
}

#[test]
fn on_sigterm_a_slow_request_finishes_and_a_stalled_client_is_cut_at_the_grace_period() {
    use convmock::server::SHUTDOWN_GRACE;
    // A stalled body is waited for as long as --header-timeout allows: far past the grace.
    let b = Binary::start(&["--quiet", "--header-timeout", "600"]);
    let connect = || {
        let conn = std::net::TcpStream::connect(b.addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        conn
    };
    // An idle keep-alive connection, which shutdown closes rather than waits for.
    let mut idle = connect();
    idle.write_all(b"GET /v1/conversations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // A request that takes 1.5 s, well within the grace period.
    crate::support::Req::new(b.addr, "POST", "/__admin/faults")
        .json(r#"{"method": "GET", "path": "/v1/conversations/*", "delay_ms": 1500}"#)
        .send()
        .expect(201);
    let addr = b.addr;
    let slow = std::thread::spawn(move || {
        crate::support::Req::new(addr, "GET", "/v1/conversations/xgQQXg3hrtjh7AvZ")
            .token("t")
            .send()
    });
    // A client that sends part of a body, then nothing.
    let mut stalled = connect();
    stalled
        .write_all(
            b"PUT /v1/conversations/xgQQXg3hrtjh7AvZ HTTP/1.1\r\nHost: x\r\n\
              Authorization: Bearer t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100\r\n\r\nis_mu",
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let (exited, exit) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = exited.send(b.signal_and_wait("TERM"));
    });
    let slow = slow.join().unwrap().expect(200);
    assert_eq!(slow.json()["id"], "xgQQXg3hrtjh7AvZ", "the whole answer");
    // Generous: only a shutdown that waits for the stalled client misses it.
    let (code, stderr) = exit
        .recv_timeout(SHUTDOWN_GRACE * 6)
        .expect("the stalled client is cut at the grace period");
    assert_eq!(code, Some(0), "{stderr}");
    drop((stalled, idle));
}

#[test]
fn help_points_at_the_admin_api_and_the_openapi_document() {
    let out = Command::new(env!("CARGO_BIN_EXE_convmock"))
        .arg("--help")
        .output()
        .expect("convmock --help runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for needle in ["/__admin/", "/openapi.json", "--allow-host"] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

#[test]
fn a_harness_that_never_reads_stderr_does_not_stall_the_server() {
    // stderr is a pipe this test reads only after the process ends: it fills after about a
    // thousand log lines.
    let b = Binary::start(&[]);
    for i in 0..6000 {
        let r = b.call("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ").send();
        assert_eq!(r.status, 200, "request {i}");
    }
    // And it still exits promptly, leaving what stderr could not take.
    let (code, stderr) = b.signal_and_wait("TERM");
    assert_eq!(code, Some(0));
    let after_dashboard = stderr.split_once('\n').map_or("", |(_, rest)| rest);
    assert!(
        after_dashboard.starts_with(|c: char| c.is_ascii_digit()),
        "log lines came first, after the dashboard's address"
    );
}

#[test]
fn admin_flags_that_could_never_match_are_refused_at_start() {
    for args in [
        ["--admin-allow-origin", "http://localhost:5173/"],
        ["--admin-allow-origin", "*"],
        ["--allow-host", "evil.test:8080"],
        ["--allow-host", ""],
    ] {
        let (code, stderr, _) = run_to_exit(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
    }
}
