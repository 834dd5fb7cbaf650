//! What a server is started with, and its defaults. The CLI builds a [`Config`]; so can a
//! test suite that embeds the server. Nothing here parses flags.

use crate::fixtures::Fixtures;
use crate::workspace::Room;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The error-body shape, after the product whose errors a client expects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// `{"url", "type", "error_code", "error_message"}` (the default).
    #[default]
    SelfChat,
    /// `{"status": "error", "data": null, "errors": [{"cd", "message"}]}`.
    Oblic,
    /// `{"type", "message", "documentation_url"}`.
    Protocol,
}

impl Profile {
    /// Every profile's name, as `--profile` takes it.
    pub const NAMES: [&'static str; 3] = ["self", "oblic", "protocol"];

    /// The name `--profile` takes for this profile.
    pub fn name(self) -> &'static str {
        match self {
            Profile::SelfChat => "self",
            Profile::Oblic => "oblic",
            Profile::Protocol => "protocol",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "self" => Ok(Profile::SelfChat),
            "oblic" => Ok(Profile::Oblic),
            "protocol" => Ok(Profile::Protocol),
            other => Err(format!(
                "unknown profile '{other}' (expected one of: {})",
                Profile::NAMES.join(", ")
            )),
        }
    }
}

/// Which bearer tokens the API accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Auth {
    /// Any non-empty bearer token (the default).
    #[default]
    AnyToken,
    /// Only these tokens (`--token`, repeatable).
    Tokens(Vec<String>),
    /// No header needed (`--no-auth`); a token, when sent, still picks the workspace.
    Disabled,
}

/// How many conversations a workspace may hold by default (see docs/limits.md, worst-case
/// memory).
pub const DEFAULT_MAX_OBJECTS: usize = 10_000;

/// How many MiB of records a workspace holds by default: thousands of chat records of
/// everyday size, and at most about 1.6 GiB in the default number of workspaces.
pub const DEFAULT_MAX_WORKSPACE_MIB: usize = 16;

/// Under `--isolate`, how many workspaces are kept by default (see docs/limits.md, worst-case
/// memory: each may hold [`DEFAULT_MAX_OBJECTS`] conversations).
pub const DEFAULT_MAX_WORKSPACES: usize = 100;

/// Everything a server is started with.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to bind: a host name or IP (default `127.0.0.1`).
    pub host: String,
    /// The port to bind; 0 picks a free one (default 8080).
    pub port: u16,
    /// The error-body shape.
    pub profile: Profile,
    /// Single-line JSON instead of the documents' pretty layout.
    pub compact: bool,
    /// Which tokens are accepted.
    pub auth: Auth,
    /// A workspace per token instead of one shared store.
    pub isolate: bool,
    /// What every workspace starts from.
    pub fixtures: Fixtures,
    /// The seed of generated IDs; `None` draws one at start-up.
    pub seed: Option<u64>,
    /// Freeze the clock at this Unix time.
    pub clock: Option<i64>,
    /// No per-request log lines on stderr.
    pub quiet: bool,
    /// When set, the admin API needs `Authorization: Bearer <admin_token>`.
    pub admin_token: Option<String>,
    /// How many requests the journal keeps (the oldest are dropped, also past
    /// [`crate::journal::MAX_JOURNAL_BYTES`]); 0 keeps none.
    pub journal_limit: usize,
    /// Delay every request outside the admin API by this many milliseconds (min, max).
    pub latency: Option<(u64, u64)>,
    /// How long a connection may take to send a request's headers, and how long an idle
    /// keep-alive connection stays open; also bounds the wait for a request body.
    pub header_timeout: Duration,
    /// How many connections are served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Under `--isolate`, how many workspaces are kept; past that a new token's workspace
    /// takes the place of the least recently used one no request is using (a 429 if every
    /// one is in use).
    pub max_workspaces: usize,
    /// More names (besides loopback and the bound address) under which the admin API may
    /// be addressed, in the `Host` header (`--allow-host`).
    pub allow_hosts: Vec<String>,
    /// Page origins allowed to call the admin API, with CORS (`--admin-allow-origin`).
    pub admin_allow_origins: Vec<String>,
    /// How many conversations a workspace may hold: a create past it gets a 429. A larger
    /// fixtures file still loads whole; its workspaces take creates again once deletes
    /// bring them under the limit.
    pub max_objects: usize,
    /// How much memory a workspace's records may take, in bytes (`--max-workspace-mib`): a
    /// create or an update past it gets a 429. Records from the fixtures count too.
    pub max_workspace_bytes: usize,
    /// `--strict-references`: a conversation's `contact_id`, `group_id` or
    /// `pinned_message_id` must name a record of the workspace (a pinned message, one of
    /// the conversation's), else a 400.
    pub strict_references: bool,
    /// Webhook endpoints registered at start-up (`--webhook`), `http://` URLs.
    pub webhooks: Vec<String>,
    /// The start-up endpoints' secret (`--webhook-secret`); `None` draws one for each from
    /// the seed.
    pub webhook_secret: Option<String>,
    /// How many times a failed delivery is retried (`--webhook-retries`), after 1, 2, 4…
    /// seconds.
    pub webhook_retries: u32,
}

impl Config {
    /// What a workspace may hold.
    pub fn room(&self) -> Room {
        Room {
            objects: self.max_objects,
            bytes: self.max_workspace_bytes,
        }
    }
}

impl Default for Config {
    /// The documented data on `127.0.0.1:8080`, as `convmock` with no flags.
    fn default() -> Self {
        Config {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            profile: Profile::default(),
            compact: false,
            auth: Auth::default(),
            isolate: false,
            fixtures: Fixtures::documented(),
            seed: None,
            clock: None,
            quiet: false,
            admin_token: None,
            journal_limit: 1000,
            latency: None,
            header_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_workspaces: DEFAULT_MAX_WORKSPACES,
            max_objects: DEFAULT_MAX_OBJECTS,
            max_workspace_bytes: DEFAULT_MAX_WORKSPACE_MIB << 20,
            allow_hosts: Vec::new(),
            admin_allow_origins: Vec::new(),
            strict_references: false,
            webhooks: Vec::new(),
            webhook_secret: None,
            webhook_retries: crate::webhooks::DEFAULT_RETRIES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip_through_their_names() {
        for name in Profile::NAMES {
            assert_eq!(name.parse::<Profile>().unwrap().name(), name);
        }
        assert!("Self".parse::<Profile>().is_err());
    }
}
