//! Bounds on what the server keeps and hands out: the journal's memory, and the number of
//! conversations a workspace holds.

use crate::support::{Req, TestServer};
use convmock::journal::{
    MAX_JOURNAL_BODY, MAX_JOURNAL_BYTES, MAX_JOURNAL_TARGET, MAX_JOURNAL_TOKEN,
};

#[test]
fn the_journal_keeps_a_bounded_number_of_bytes_and_cuts_long_targets_and_tokens() {
    let s = TestServer::start();
    let per_entry = MAX_JOURNAL_BODY + MAX_JOURNAL_TARGET + MAX_JOURNAL_TOKEN;
    let fits = MAX_JOURNAL_BYTES / per_entry;
    let body = vec![b'b'; MAX_JOURNAL_BODY];
    let token = "t".repeat(4 * MAX_JOURNAL_TOKEN);
    let sent = fits + 20;
    for i in 0..sent {
        let target = format!("/elsewhere?n={i:05}&pad={}", "q".repeat(MAX_JOURNAL_TARGET));
        Req::new(s.addr, "POST", &target)
            .token(&token)
            .body_as("application/octet-stream", &body)
            .send()
            .expect(404);
    }
    let journal = Req::new(s.addr, "GET", "/__admin/requests")
        .send()
        .expect(200);
    let requests = journal.json()["requests"].as_array().unwrap().clone();
    assert_eq!(requests.len(), fits, "entries kept of {sent}");
    let newest = requests.last().unwrap();
    let query = newest["query"].as_str().unwrap();
    assert!(
        query.starts_with(&format!("n={:05}&pad=qq", sent - 1)),
        "{}",
        &query[..20]
    );
    assert!(query.ends_with("q..."));
    assert_eq!(
        "/elsewhere?".len() + query.len(),
        MAX_JOURNAL_TARGET + "...".len()
    );
    assert_eq!(
        newest["token"],
        format!("{}...", &token[..MAX_JOURNAL_TOKEN])
    );
    assert_eq!(newest["body"].as_str().unwrap().len(), MAX_JOURNAL_BODY);
}
