//! Everything a client can get wrong, and the one place it is rendered.
//!
//! [`ApiError`] names each situation; [`ApiError::render`] turns it into the status and the
//! error body of the running profile (`self`, `oblic` or `protocol`). No other module builds
//! an error body.

use crate::config::Profile;
use crate::exchange::Status;
use crate::model::{Problem, to_body};
use crate::resources::{Resource, join_and};
use crate::router::Base;
use serde::Serialize;

/// The largest request body the API reads, in bytes (1 MiB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// A request the API refuses, named for the situation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// An ID that no record of the resource has (in this workspace).
    NotFound {
        /// The resource's singular name.
        resource: &'static str,
        /// The ID as the client sent it.
        id: String,
    },
    /// A path the API does not serve.
    NoRoute {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
    },
    /// A known path with a method it does not serve.
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
        /// The `Allow` header's value.
        allow: &'static str,
    },
    /// No usable bearer token.
    Unauthorized {
        /// Why the token was refused.
        reason: &'static str,
    },
    /// Parameters or body fields that are wrong; one entry per problem.
    Invalid(Vec<Problem>),
    /// A body whose `Content-Type` the API does not read.
    UnsupportedMediaType {
        /// The header's value, clipped; empty when it was missing.
        content_type: String,
    },
    /// A body over [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// A fault rule ID the admin API does not know.
    UnknownFault {
        /// The ID as the client sent it.
        id: String,
    },
    /// Under `--isolate`, a new token when the workspace bound is reached and every
    /// workspace is in use.
    TooManyWorkspaces {
        /// The bound (`--max-workspaces`).
        limit: usize,
    },
    /// A create in a workspace that holds `--max-objects` records of the resource or more.
    TooManyObjects {
        /// The resource's plural name.
        resource: &'static str,
        /// How many it holds.
        held: usize,
        /// The bound (`--max-objects`).
        limit: usize,
    },
    /// A create or an update that would take a workspace's records past
    /// `--max-workspace-mib` of memory.
    WorkspaceFull {
        /// The bytes its records take.
        held: usize,
        /// The bound, in bytes.
        limit: usize,
    },
    /// A delayed simulated message while the server already holds as many pending as it may.
    TooManyDelayed {
        /// The bound.
        limit: usize,
    },
    /// A token the admin API has no workspace for.
    UnknownWorkspace {
        /// The token, decoded and clipped.
        token: String,
        /// Whether the server runs with `--isolate` (without it, tokens have none).
        isolated: bool,
    },
    /// A request body that did not arrive in time.
    BodyTimeout {
        /// The time allowed, in seconds.
        seconds: u64,
    },
    /// A request head without its one `Host` header (RFC 9112).
    BadHost {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A request head over the limit.
    HeadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// An admin call from a page on another origin, or addressed to a name that is not
    /// this server's.
    Forbidden {
        /// Why, and which flag would allow it.
        reason: String,
    },
    /// An admin write whose body is not declared `application/json`.
    AdminNeedsJson {
        /// The `Content-Type` sent, clipped; empty when there was none.
        content_type: String,
    },
    /// A status answered by a fault rule.
    Injected {
        /// The rule's status, 400 to 599.
        status: u16,
    },
}

impl ApiError {
    /// A 400 for one problem.
    pub fn invalid(problem: Problem) -> Self {
        ApiError::Invalid(vec![problem])
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> Status {
        match self {
            ApiError::NotFound { .. }
            | ApiError::NoRoute { .. }
            | ApiError::UnknownFault { .. }
            | ApiError::UnknownWorkspace { .. } => Status::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => Status::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized { .. } => Status::UNAUTHORIZED,
            ApiError::Invalid(_) | ApiError::BadHost { .. } => Status::BAD_REQUEST,
            ApiError::Forbidden { .. } => Status::FORBIDDEN,
            ApiError::HeadTooLarge { .. } => Status::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } | ApiError::AdminNeedsJson { .. } => {
                Status::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::PayloadTooLarge => Status::PAYLOAD_TOO_LARGE,
            ApiError::TooManyWorkspaces { .. }
            | ApiError::TooManyObjects { .. }
            | ApiError::WorkspaceFull { .. }
            | ApiError::TooManyDelayed { .. } => Status::TOO_MANY_REQUESTS,
            ApiError::BodyTimeout { .. } => Status::REQUEST_TIMEOUT,
            ApiError::Injected { status } => {
                Status::from_u16(*status).unwrap_or(Status::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// One sentence per problem; every variant but [`ApiError::Invalid`] has exactly one.
    pub fn messages(&self) -> Vec<String> {
        match self {
            ApiError::NotFound { resource, id } => vec![format!("No such {resource}: '{id}'")],
            ApiError::NoRoute { method, path } if path.starts_with("/__admin") => vec![format!(
                "Unrecognized admin call ({method} {path}): GET /__admin/ lists the calls."
            )],
            ApiError::NoRoute { method, path } => vec![format!(
                "Unrecognized request URL ({method} {path}): {}.",
                served_under()
            )],
            ApiError::MethodNotAllowed {
                method,
                path,
                allow,
            } => vec![format!(
                "Method {method} is not allowed on {path}; allowed methods: {allow}."
            )],
            ApiError::Unauthorized { reason } => vec![(*reason).to_owned()],
            ApiError::Invalid(problems) => problems.iter().map(|p| p.message.clone()).collect(),
            ApiError::UnsupportedMediaType { content_type } if content_type.is_empty() => {
                vec![
                    "The body has no Content-Type: send application/x-www-form-urlencoded \
                     or application/json."
                        .to_owned(),
                ]
            }
            ApiError::UnsupportedMediaType { content_type } => vec![format!(
                "Unsupported Content-Type '{content_type}': send \
                 application/x-www-form-urlencoded or application/json."
            )],
            ApiError::PayloadTooLarge => vec![format!(
                "The request body is larger than the limit of 1 MiB ({MAX_BODY_BYTES} bytes)."
            )],
            ApiError::UnknownFault { id } => vec![format!("No such fault rule: '{id}'")],
            ApiError::TooManyWorkspaces { limit } => vec![format!(
                "This token would be a new workspace, but the server already holds {limit} \
                 (--max-workspaces) and requests are using every one of them: retry when \
                 they finish, or raise the limit."
            )],
            ApiError::TooManyObjects {
                resource,
                held,
                limit,
            } => vec![format!(
                "This workspace already holds {held} {resource} and may hold at most \
                 {limit} (--max-objects): delete some, reset the server (POST /__admin/reset) \
                 or raise the limit."
            )],
            ApiError::WorkspaceFull { held, limit } => vec![format!(
                "This workspace's records already take {} KiB of the {} KiB it may hold \
                 (--max-workspace-mib): delete some, reset the server (POST /__admin/reset) \
                 or raise the limit.",
                held.div_ceil(1024),
                limit / 1024
            )],
            ApiError::TooManyDelayed { limit } => vec![format!(
                "{limit} delayed messages are already waiting to be sent, the most this server \
                 holds: wait for them, send this one without 'delay_ms', or reset the server \
                 (POST /__admin/reset drops them)."
            )],
            ApiError::UnknownWorkspace {
                token,
                isolated: true,
            } => vec![format!(
                "No workspace for token '{token}': a token's workspace is made on its first \
                 request, and is gone after a reset, a delete or an eviction."
            )],
            ApiError::UnknownWorkspace {
                token,
                isolated: false,
            } => vec![format!(
                "No workspace for token '{token}': without --isolate every token shares the \
                 one workspace (POST /__admin/reset restores it)."
            )],
            ApiError::BodyTimeout { seconds } => vec![format!(
                "The request body did not arrive in full within {seconds} seconds."
            )],
            ApiError::BadHost { reason } => vec![(*reason).to_owned()],
            ApiError::HeadTooLarge { limit } => vec![format!(
                "The request line and headers are larger than the limit of {limit} bytes."
            )],
            ApiError::Forbidden { reason } => vec![reason.clone()],
            ApiError::AdminNeedsJson { content_type } => vec![format!(
                "The admin API reads JSON bodies only: send 'Content-Type: application/json' \
                 (got '{content_type}')."
            )],
            ApiError::Injected { status } => vec![format!(
                "Injected fault: a fault rule answered this request with status {status} \
                 (see /__admin/faults)."
            )],
        }
    }

    /// The status and the profile's error body. `url` is the request's path and query.
    pub fn render(&self, profile: Profile, url: &str, compact: bool) -> (Status, Vec<u8>) {
        let status = self.status();
        let messages = self.messages();
        // The single-message profiles report the first problem; `oblic` lists them all.
        let first = messages.first().cloned().unwrap_or_default();
        let kind = error_type(status);
        let code = status.to_string();
        let body = match profile {
            Profile::SelfChat => to_body(
                &SelfError {
                    url,
                    r#type: kind,
                    error_code: &code,
                    error_message: &first,
                },
                compact,
            ),
            Profile::Oblic => to_body(
                &OblicError {
                    status: "error",
                    data: (),
                    errors: messages
                        .iter()
                        .map(|message| OblicEntry {
                            cd: oblic_code(status),
                            message,
                        })
                        .collect(),
                },
                compact,
            ),
            Profile::Protocol => to_body(
                &ProtocolError {
                    r#type: kind,
                    message: &first,
                    documentation_url: &format!("https://protocol.chat/docs/errors/{kind}"),
                },
                compact,
            ),
        };
        (status, body)
    }
}

/// Where the API's resources are: `conversations are served under /v1/conversations and
/// /external/conversations`.
fn served_under() -> String {
    let plurals: Vec<&str> = Resource::ALL.iter().map(|r| r.describe().plural).collect();
    let paths: Vec<String> = Base::ALL
        .iter()
        .flat_map(|base| {
            plurals
                .iter()
                .map(move |p| format!("{}/{p}", base.prefix()))
        })
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    format!(
        "{} are served under {}",
        join_and(&plurals),
        join_and(&paths)
    )
}

/// `invalid_request` for 4xx, `api_error` for 5xx.
fn error_type(status: Status) -> &'static str {
    if status.is_server_error() {
        "api_error"
    } else {
        "invalid_request"
    }
}

/// Oblic's `cd` for a status.
fn oblic_code(status: Status) -> &'static str {
    match status.as_u16() {
        401 => "NOT_AUTHENTICATED",
        404 => "RESOURCE_NOT_FOUND",
        429 => "RATE_LIMITED",
        500..=599 => "INTERNAL_ERROR",
        _ => "INVALID_REQUEST",
    }
}

#[derive(Serialize)]
struct SelfError<'a> {
    url: &'a str,
    r#type: &'static str,
    error_code: &'a str,
    error_message: &'a str,
}

#[derive(Serialize)]
struct OblicError<'a> {
    status: &'static str,
    data: (),
    errors: Vec<OblicEntry<'a>>,
}

#[derive(Serialize)]
struct OblicEntry<'a> {
    cd: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct ProtocolError<'a> {
    r#type: &'static str,
    message: &'a str,
    documentation_url: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(profile: Profile, err: &ApiError) -> String {
        let (_, body) = err.render(profile, "/v1/conversations/nope", true);
        String::from_utf8(body).unwrap()
    }

    #[test]
    fn not_found_matches_the_contracts_examples_in_every_profile() {
        let err = ApiError::NotFound {
            resource: "conversation",
            id: "nope".into(),
        };
        assert_eq!(err.status(), Status::NOT_FOUND);
        assert_eq!(
            rendered(Profile::SelfChat, &err),
            r#"{"url":"/v1/conversations/nope","type":"invalid_request","error_code":"404","error_message":"No such conversation: 'nope'"}"#
                .to_owned()
                + "\n"
        );
        assert_eq!(
            rendered(Profile::Oblic, &err),
            r#"{"status":"error","data":null,"errors":[{"cd":"RESOURCE_NOT_FOUND","message":"No such conversation: 'nope'"}]}"#
                .to_owned()
                + "\n"
        );
        assert_eq!(
            rendered(Profile::Protocol, &err),
            r#"{"type":"invalid_request","message":"No such conversation: 'nope'","documentation_url":"https://protocol.chat/docs/errors/invalid_request"}"#
                .to_owned()
                + "\n"
        );
    }

    #[test]
    fn oblic_lists_every_problem_and_the_others_the_first() {
        let err = ApiError::Invalid(vec![
            Problem::param("a", "First."),
            Problem::param("b", "Second."),
        ]);
        let oblic = rendered(Profile::Oblic, &err);
        assert!(oblic.contains("First.") && oblic.contains("Second."));
        assert!(oblic.contains("INVALID_REQUEST"));
        let own = rendered(Profile::SelfChat, &err);
        assert!(own.contains("First.") && !own.contains("Second."));
        assert!(own.contains(r#""error_code":"400""#));
    }

    #[test]
    fn oblic_codes_follow_the_status() {
        assert_eq!(oblic_code(Status::UNAUTHORIZED), "NOT_AUTHENTICATED");
        assert_eq!(oblic_code(Status::METHOD_NOT_ALLOWED), "INVALID_REQUEST");
        assert_eq!(oblic_code(Status::PAYLOAD_TOO_LARGE), "INVALID_REQUEST");
        assert_eq!(oblic_code(Status::TOO_MANY_REQUESTS), "RATE_LIMITED");
        assert_eq!(oblic_code(Status::from_u16(503).unwrap()), "INTERNAL_ERROR");
        assert_eq!(error_type(Status::from_u16(502).unwrap()), "api_error");
        let (status, body) =
            ApiError::Injected { status: 503 }.render(Profile::Protocol, "/", true);
        assert_eq!(status.as_u16(), 503);
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains(r#""type":"api_error""#)
        );
    }
}
