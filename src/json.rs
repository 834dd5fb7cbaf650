//! The hot path's JSON: conversations and list pages written straight into a buffer.
//!
//! Every retrieve, update, create and list answers with these two shapes, so they are
//! written by hand rather than through serde's generic pretty printer, which costs several
//! times more per field. The output is byte-for-byte what `serde_json` writes for the same
//! values (a property test holds the two together), pretty in the documents' layout or
//! compact; everything else is still serialized with serde (`model::to_body`).

use crate::model::{Conversation, Page};

/// A conversation's body, pretty or compact, ending with a newline.
pub fn conversation_body(c: &Conversation, compact: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(320);
    write_conversation(&mut out, c, (!compact).then_some(0));
    out.push(b'\n');
    out
}

/// A list page's body, pretty or compact, ending with a newline.
pub fn page_body(page: &Page<'_>, compact: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + page.data.len() * 340);
    let has_more: &[u8] = if page.has_more { b"true" } else { b"false" };
    if compact {
        out.extend_from_slice(b"{\"has_more\":");
        out.extend_from_slice(has_more);
        out.extend_from_slice(b",\"data\":[");
        for (i, c) in page.data.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_conversation(&mut out, c, None);
        }
        out.extend_from_slice(b"]}");
    } else {
        out.extend_from_slice(b"{\n  \"has_more\": ");
        out.extend_from_slice(has_more);
        out.extend_from_slice(b",\n  \"data\": [");
        for (i, c) in page.data.iter().enumerate() {
            out.extend_from_slice(if i > 0 { b",\n    " } else { b"\n    " });
            write_conversation(&mut out, c, Some(2));
        }
        if !page.data.is_empty() {
            out.extend_from_slice(b"\n  ");
        }
        out.extend_from_slice(b"]\n}");
    }
    out.push(b'\n');
    out
}

/// Each field's lead-in (separator, indentation, key), for one layout.
type Layout = ([&'static [u8]; 10], &'static [u8]);

/// A conversation on its own, in the documents' pretty layout.
const TOP: Layout = (
    [
        b"{\n  \"id\": ",
        b",\n  \"contact_id\": ",
        b",\n  \"group_id\": ",
        b",\n  \"pinned_message_id\": ",
        b",\n  \"is_pinned\": ",
        b",\n  \"is_muted\": ",
        b",\n  \"last_active_at\": ",
        b",\n  \"last_opened_at\": ",
        b",\n  \"created_at\": ",
        b",\n  \"archived_at\": ",
    ],
    b"\n}",
);

/// A conversation inside a pretty list page (two levels down).
const NESTED: Layout = (
    [
        b"{\n      \"id\": ",
        b",\n      \"contact_id\": ",
        b",\n      \"group_id\": ",
        b",\n      \"pinned_message_id\": ",
        b",\n      \"is_pinned\": ",
        b",\n      \"is_muted\": ",
        b",\n      \"last_active_at\": ",
        b",\n      \"last_opened_at\": ",
        b",\n      \"created_at\": ",
        b",\n      \"archived_at\": ",
    ],
    b"\n    }",
);

/// One line.
const COMPACT: Layout = (
    [
        b"{\"id\":",
        b",\"contact_id\":",
        b",\"group_id\":",
        b",\"pinned_message_id\":",
        b",\"is_pinned\":",
        b",\"is_muted\":",
        b",\"last_active_at\":",
        b",\"last_opened_at\":",
        b",\"created_at\":",
        b",\"archived_at\":",
    ],
    b"}",
);

/// Writes one conversation; `pretty` is its nesting level (0 alone, 2 in a page), `None`
/// for compact.
fn write_conversation(out: &mut Vec<u8>, c: &Conversation, pretty: Option<usize>) {
    let (keys, close) = match pretty {
        None => &COMPACT,
        Some(0) => &TOP,
        Some(_) => &NESTED,
    };
    out.extend_from_slice(keys[0]);
    write_str(out, &c.id);
    out.extend_from_slice(keys[1]);
    write_opt_str(out, c.contact_id.as_deref());
    out.extend_from_slice(keys[2]);
    write_opt_str(out, c.group_id.as_deref());
    out.extend_from_slice(keys[3]);
    write_opt_str(out, c.pinned_message_id.as_deref());
    out.extend_from_slice(keys[4]);
    write_bool(out, c.is_pinned);
    out.extend_from_slice(keys[5]);
    write_bool(out, c.is_muted);
    out.extend_from_slice(keys[6]);
    write_opt_int(out, c.last_active_at);
    out.extend_from_slice(keys[7]);
    write_opt_int(out, c.last_opened_at);
    out.extend_from_slice(keys[8]);
    write_int(out, c.created_at);
    out.extend_from_slice(keys[9]);
    write_opt_int(out, c.archived_at);
    out.extend_from_slice(close);
}

fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_opt_int(out: &mut Vec<u8>, n: Option<i64>) {
    match n {
        Some(n) => write_int(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string. Plain text (the usual IDs) is copied as it is; anything with a quote, a
/// backslash or a control character goes through `serde_json` for its exact escapes.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("writing a string into a Vec cannot fail");
    }
}

fn write_int(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::to_body;

    use crate::model::documented_conversation as documented;

    #[test]
    fn the_documented_conversation_is_written_as_serde_writes_it() {
        let c = documented();
        for compact in [false, true] {
            assert_eq!(conversation_body(&c, compact), to_body(&c, compact));
        }
    }

    #[test]
    fn pages_empty_and_full_are_written_as_serde_writes_them() {
        let a = documented();
        let b = Conversation {
            contact_id: None,
            group_id: Some("g\"1\\\n\u{1}é".into()),
            pinned_message_id: Some("m".into()),
            is_pinned: true,
            archived_at: Some(0),
            created_at: i64::MIN,
            ..documented()
        };
        for data in [vec![], vec![&a], vec![&a, &b]] {
            for has_more in [false, true] {
                let page = Page {
                    has_more,
                    data: data.clone(),
                };
                for compact in [false, true] {
                    assert_eq!(page_body(&page, compact), to_body(&page, compact));
                }
            }
        }
    }
}
