//! A request and its answer in convmock's own terms: [`Method`], [`Status`], [`Request`] and
//! [`Reply`].
//!
//! Routing, the operations, the admin API, the journal and error rendering speak these; only
//! the edge (`http`, `server`, `guard`) knows hyper and converts between the two.

use std::fmt;

/// A request method. The ones the API and the admin API serve are named; any other is kept
/// as sent, for messages and the journal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: a GET without the body.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`: the CORS preflight.
    Options,
    /// Any other method, as sent (`PATCH`, `TRACE`, an extension).
    Other(Box<str>),
}

impl Method {
    /// The method's name as sent (upper case for the named ones).
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other(name) => name,
        }
    }

    /// The method of this name; names are case-sensitive, as in HTTP.
    pub fn from_name(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            other => Method::Other(other.into()),
        }
    }

    /// GET or HEAD: a read, answered alike (HEAD without the body).
    pub fn is_read(&self) -> bool {
        matches!(self, Method::Get | Method::Head)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP status: 100 to 999, as hyper accepts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Status(u16);

impl Status {
    /// 200.
    pub const OK: Status = Status(200);
    /// 201.
    pub const CREATED: Status = Status(201);
    /// 202.
    pub const ACCEPTED: Status = Status(202);
    /// 204.
    pub const NO_CONTENT: Status = Status(204);
    /// 400.
    pub const BAD_REQUEST: Status = Status(400);
    /// 401.
    pub const UNAUTHORIZED: Status = Status(401);
    /// 403.
    pub const FORBIDDEN: Status = Status(403);
    /// 404.
    pub const NOT_FOUND: Status = Status(404);
    /// 405.
    pub const METHOD_NOT_ALLOWED: Status = Status(405);
    /// 408.
    pub const REQUEST_TIMEOUT: Status = Status(408);
    /// 413.
    pub const PAYLOAD_TOO_LARGE: Status = Status(413);
    /// 415.
    pub const UNSUPPORTED_MEDIA_TYPE: Status = Status(415);
    /// 429.
    pub const TOO_MANY_REQUESTS: Status = Status(429);
    /// 431.
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: Status = Status(431);
    /// 500.
    pub const INTERNAL_SERVER_ERROR: Status = Status(500);
    /// 504.
    pub const GATEWAY_TIMEOUT: Status = Status(504);

    /// The status of this code, if it is one (100 to 999).
    pub fn from_u16(code: u16) -> Option<Status> {
        (100..1000).contains(&code).then_some(Status(code))
    }

    /// The code.
    pub fn as_u16(self) -> u16 {
        self.0
    }

    /// 5xx.
    pub fn is_server_error(self) -> bool {
        (500..600).contains(&self.0)
    }
}

impl fmt::Display for Status {
    /// The code's three digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the admin API reads of a request: its method, path and query, and the credentials
/// it was sent with.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The method.
    pub method: &'a Method,
    /// The path, without the query.
    pub path: &'a str,
    /// The query, without the `?`, if there was one.
    pub query: Option<&'a str>,
    /// The `Authorization` header's value, if one was sent.
    pub authorization: Option<&'a [u8]>,
    /// The `Accept` header's value, if one was sent.
    pub accept: Option<&'a [u8]>,
    /// The `Last-Event-ID` header's value, if one was sent (an `EventSource` reconnecting).
    pub last_event_id: Option<&'a [u8]>,
}

impl Request<'_> {
    /// Whether the client asks for Server-Sent Events (`Accept: text/event-stream`).
    pub fn wants_event_stream(&self) -> bool {
        self.accept.is_some_and(|accept| {
            accept
                .split(|b| *b == b',')
                .filter_map(|range| range.split(|b| *b == b';').next())
                .any(|range| {
                    range
                        .trim_ascii()
                        .eq_ignore_ascii_case(EVENT_STREAM.as_bytes())
                })
        })
    }
}

/// The media type of Server-Sent Events: what a [`Content::Live`] body is sent as.
pub const EVENT_STREAM: &str = "text/event-stream";

/// A successful answer, before the common headers are added.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: Status,
    /// The JSON body; `None` for 204.
    pub body: Option<Content>,
    /// The `Location` header, for a create.
    pub location: Option<String>,
}

/// A reply's body.
pub enum Content {
    /// The whole body, in one buffer (every API answer).
    Full(Vec<u8>),
    /// An answer too large to build whole (the journal), in pieces made one at a time as
    /// the client reads them.
    Pieces(Pieces),
    /// Server-Sent Events, each record sent as it comes, for as long as the sender lives
    /// (the live event stream); bounded by the channel's capacity.
    Live(Live),
}

/// The records of a live body, in the order they are sent; the body ends when every
/// sender is dropped.
pub type Live = tokio::sync::mpsc::Receiver<Vec<u8>>;

/// A body's pieces, each made when the one before has been taken.
pub type Pieces = Box<dyn Iterator<Item = Vec<u8>> + Send>;

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Content::Full(body) => f.debug_tuple("Full").field(&body.len()).finish(),
            Content::Pieces(_) => f.write_str("Pieces"),
            Content::Live(_) => f.write_str("Live"),
        }
    }
}

impl Reply {
    /// A JSON body with this status.
    pub fn json(status: Status, body: Vec<u8>) -> Self {
        Reply {
            status,
            body: Some(Content::Full(body)),
            location: None,
        }
    }

    /// 200 with a JSON body made piece by piece.
    pub fn streamed(pieces: impl Iterator<Item = Vec<u8>> + Send + 'static) -> Self {
        Reply {
            status: Status::OK,
            body: Some(Content::Pieces(Box::new(pieces))),
            location: None,
        }
    }

    /// 200 with a live stream of Server-Sent Events, written as its task sends them.
    pub fn live(writes: tokio::sync::mpsc::Receiver<Vec<u8>>) -> Self {
        Reply {
            status: Status::OK,
            body: Some(Content::Live(writes)),
            location: None,
        }
    }

    /// 200 with a JSON body.
    pub fn ok(body: Vec<u8>) -> Self {
        Reply::json(Status::OK, body)
    }

    /// 204, no body.
    pub fn no_content() -> Self {
        Reply {
            status: Status::NO_CONTENT,
            body: None,
            location: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_keep_their_names_and_statuses_their_codes() {
        for name in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get",
        ] {
            assert_eq!(Method::from_name(name).as_str(), name);
        }
        assert_eq!(Method::from_name("PATCH"), Method::Other("PATCH".into()));
        assert!(Method::Head.is_read() && !Method::Post.is_read());
        assert_eq!(Status::from_u16(503).map(Status::as_u16), Some(503));
        assert_eq!(Status::from_u16(99), None);
        assert!(Status::from_u16(500).unwrap().is_server_error());
        assert!(!Status::TOO_MANY_REQUESTS.is_server_error());
        assert_eq!(Status::NOT_FOUND.to_string(), "404");
    }

    #[test]
    fn an_event_stream_is_asked_for_among_other_media_types() {
        let asks = |accept: Option<&str>| {
            Request {
                method: &Method::Get,
                path: "/",
                query: None,
                authorization: None,
                accept: accept.map(str::as_bytes),
                last_event_id: None,
            }
            .wants_event_stream()
        };
        assert!(asks(Some("text/event-stream")));
        assert!(asks(Some("application/json, Text/Event-Stream;q=0.9")));
        assert!(!asks(Some("application/json")) && !asks(Some("*/*")) && !asks(None));
    }
}
