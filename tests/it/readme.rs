//! The README's "Try it" sequence, run as written against a fresh server: every command
//! gets the answer the README shows. (Its Rust blocks run as doc-tests, in `src/lib.rs`.)

use crate::support::Binary;
use std::process::Command;

const README: &str = include_str!("../../README.md");

/// The fenced blocks of one section, with their language tags.
fn blocks(section: &str) -> Vec<(&'static str, Vec<&'static str>)> {
    let start = README
        .find(&format!("\n## {section}\n"))
        .unwrap_or_else(|| panic!("the README has a '{section}' section"));
    let text = &README[start + 1..];
    let end = text[3..].find("\n## ").map_or(text.len(), |i| i + 3);
    let mut found = Vec::new();
    let mut lines = text[..end].lines();
    while let Some(line) = lines.next() {
        if let Some(tag) = line.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            found.push((tag, body));
        }
    }
    found
}

#[test]
fn the_try_it_sequence_gets_the_answers_the_readme_shows() {
    let try_it = blocks("Try it");
    // The server's flags, from the block that starts it.
    let start = try_it
        .iter()
        .flat_map(|(_, body)| body.iter())
        .find_map(|line| line.strip_prefix("cargo run --release -- "))
        .expect("a block that starts the server with flags");
    let flags: Vec<&str> = start
        .split('#')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let (_, transcript) = try_it
        .iter()
        .find(|(tag, _)| *tag == "console")
        .expect("a console transcript");
    let server = Binary::start(&flags);
    let here = server.addr.to_string();
    let mut steps: Vec<(String, String)> = Vec::new();
    for line in transcript {
        match line.strip_prefix("$ ") {
            Some(command) => steps.push((command.to_owned(), String::new())),
            None => {
                let (_, expected) = steps.last_mut().expect("output follows a command");
                expected.push_str(line);
                expected.push('\n');
            }
        }
    }
    assert!(steps.len() >= 5, "{steps:?}");
    for (command, expected) in &steps {
        let run = command.replace("127.0.0.1:8080", &here);
        let out = Command::new("sh")
            .args(["-c", &run])
            .output()
            .expect("sh runs");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            *expected,
            "the README's `{command}`"
        );
    }
}
