//! Every example in the two documents, run as the documents' curl commands with only the host
//! replaced, answers with the documented JSON byte for byte. Each answer is also an insta
//! snapshot in `snapshots/`, reviewed against the documents.
//!
//! The documents are kept verbatim in `tests/documents/`; their examples are parsed from
//! the text, so a change to a document changes what is checked.

use crate::support::{TempFile, TestServer};
use convmock::{Config, Fixtures};
use std::process::Command;

/// One documented call: its curl command and the documented response, if any.
#[derive(Debug)]
pub(crate) struct Example {
    pub(crate) method: String,
    pub(crate) curl: String,
    pub(crate) response: Option<String>,
}

/// Reads the `Request` and `Response` blocks of a document, in order.
pub(crate) fn examples(document: &str) -> Vec<Example> {
    let lines: Vec<&str> = document.lines().collect();
    let mut out: Vec<Example> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        match lines[i].trim() {
            "Request" => {
                // "Request", blank, method, path, then the curl command with its continuations.
                let method = lines[i + 2].trim().to_owned();
                let mut j = i + 4;
                let mut curl = String::new();
                loop {
                    curl.push_str(lines[j]);
                    curl.push('\n');
                    if !lines[j].trim_end().ends_with('\\') {
                        break;
                    }
                    j += 1;
                }
                out.push(Example {
                    method,
                    curl: curl.trim_end().to_owned(),
                    response: None,
                });
                i = j;
            }
            "Response" => {
                let start = i + 2;
                let end = (start..lines.len())
                    .find(|&k| lines[k] == "}")
                    .expect("a response ends with a closing brace");
                out.last_mut()
                    .expect("a response follows a request")
                    .response = Some(lines[start..=end].join("\n"));
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn example<'a>(all: &'a [Example], method: &str) -> &'a Example {
    all.iter()
        .find(|e| e.method == method)
        .unwrap_or_else(|| panic!("the document has a {method} example"))
}

/// Runs a documented curl command against `server`: the documented host becomes the
/// server's address, `{token}` a token; `-sS -w` only adds the status after the body.
pub(crate) fn run_curl(curl: &str, server: &TestServer) -> (u16, String) {
    let command = curl
        .replace("https://api.self.chat", &server.url())
        .replace("https://api.oblic.app", &server.url())
        .replace("{token}", "documented-token");
    assert!(
        command.contains(&server.url()),
        "the host was replaced in {command}"
    );
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} -sS -w '\\n%{{http_code}}'"))
        .output()
        .expect("curl runs (it is installed by .ci/run)");
    assert!(
        output.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8 output");
    let (body, status) = text.rsplit_once('\n').expect("the status line");
    (status.parse().expect("a status"), body.to_owned())
}

fn snapshot(name: &str, status: u16, body: &str) {
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, format!("{status}\n{body}"));
    });
}

/// Checks one document's examples against a server on its base path.
fn check_document(name: &str, document: &str, base: &str) {
    let all = examples(document);
    assert_eq!(all.len(), 5, "five documented calls in {name}");
    for e in &all {
        assert!(
            e.curl.contains(&format!("{base}/conversations")),
            "{name} uses {base}"
        );
    }

    // List: the documented first element, byte for byte, then hSIhXBhNe8X1d8Et second.
    let server = TestServer::start();
    let list = example(&all, "GET");
    let (status, body) = run_curl(&list.curl, &server);
    assert_eq!(status, 200);
    let documented = list
        .response
        .as_deref()
        .expect("a documented list response");
    let (prefix, _) = documented
        .split_once("\n      // ...")
        .expect("the documented list elides the second conversation");
    assert!(
        body.starts_with(prefix),
        "the list begins as documented:\n{body}\n---\n{prefix}"
    );
    assert!(prefix.contains(r#""has_more": false"#));
    assert!(prefix.ends_with(r#""id": "hSIhXBhNe8X1d8Et""#));
    snapshot(&format!("{name}_list"), status, &body);

    // Retrieve: exactly as documented.
    let retrieve = all
        .iter()
        .find(|e| e.method == "GET" && e.curl.contains("/conversations/"))
        .expect("a retrieve example");
    let (status, body) = run_curl(&retrieve.curl, &server);
    assert_eq!(
        (status, body.trim_end()),
        (200, retrieve.response.as_deref().unwrap())
    );
    snapshot(&format!("{name}_retrieve"), status, &body);

    // Update is_muted=true: exactly as documented.
    let update = example(&all, "PUT");
    let (status, body) = run_curl(&update.curl, &server);
    assert_eq!(
        (status, body.trim_end()),
        (200, update.response.as_deref().unwrap())
    );
    snapshot(&format!("{name}_update"), status, &body);

    // Delete: 204 with no body, then 404 for the conversation and for a second delete.
    let delete = example(&all, "DELETE");
    assert!(delete.response.is_none());
    let (status, body) = run_curl(&delete.curl, &server);
    assert_eq!((status, body.as_str()), (204, ""));
    snapshot(&format!("{name}_delete"), status, &body);
    let (status, body) = run_curl(&retrieve.curl, &server);
    assert_eq!(status, 404, "{body}");
    snapshot(&format!("{name}_retrieve_after_delete"), status, &body);
    let (status, _) = run_curl(&delete.curl, &server);
    assert_eq!(status, 404);

    // Create, with the clock frozen at the documented time and the documented ID queued.
    let fixtures = TempFile::new("next-ids.json", r#"{"next_ids": ["xgQQXg3hrtjh7AvZ"]}"#);
    let server = TestServer::with(Config {
        fixtures: Fixtures::from_file(&fixtures.path).expect("valid fixtures"),
        clock: Some(692233200),
        ..Config::default()
    });
    let create = example(&all, "POST");
    let (status, body) = run_curl(&create.curl, &server);
    assert_eq!(
        (status, body.trim_end()),
        (201, create.response.as_deref().unwrap())
    );
    snapshot(&format!("{name}_create"), status, &body);
}

#[test]
fn self_document_examples_answer_exactly_as_documented_under_v1() {
    check_document(
        "self",
        include_str!("../documents/self-conversations.txt"),
        "/v1",
    );
}

#[test]
fn oblic_document_examples_answer_exactly_as_documented_under_external() {
    check_document(
        "oblic",
        include_str!("../documents/oblic-conversations.txt"),
        "/external",
    );
}

#[test]
fn the_documents_examples_are_all_found() {
    let all = examples(include_str!("../documents/self-conversations.txt"));
    let methods: Vec<&str> = all.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(methods, ["GET", "POST", "GET", "PUT", "DELETE"]);
    assert!(
        all[1]
            .curl
            .ends_with(r#"-d 'contact_id'="WAz8eIbvDR60rouK""#)
    );
    assert_eq!(all.iter().filter(|e| e.response.is_some()).count(), 4);
}
