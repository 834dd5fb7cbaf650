//! The `convmock` command: flags (or `CONVMOCK_*` variables) to a [`Config`], bind, print
//! the ready line, serve until SIGINT or SIGTERM, exit 0. A start-up failure prints
//! `convmock: <cause>` on stderr and exits 2.

use clap::Parser;
use clap::builder::NonEmptyStringValueParser;
use convmock::config::{DEFAULT_MAX_OBJECTS, DEFAULT_MAX_WORKSPACE_MIB, DEFAULT_MAX_WORKSPACES};
use convmock::{Auth, Config, Fixtures, Profile, Server, StartError, exposure_warnings};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// A local emulator of the Conversations REST API (Self and Oblic).
///
/// Serves the documented conversations under /v1 and /external, in memory. Every flag can
/// also be set with the environment variable shown beside it.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, after_help = AFTER_HELP)]
struct Args {
    /// Address to bind.
    #[arg(long, env = "CONVMOCK_HOST", default_value = "127.0.0.1")]
    host: String,

    /// Port to bind; 0 picks a free one (read it from the ready line).
    #[arg(long, env = "CONVMOCK_PORT", default_value_t = 8080)]
    port: u16,

    /// Error-body shape.
    #[arg(long, env = "CONVMOCK_PROFILE", default_value = "self",
          value_parser = clap::builder::PossibleValuesParser::new(Profile::NAMES))]
    profile: String,

    /// Single-line JSON instead of the documents' pretty layout.
    #[arg(long, env = "CONVMOCK_COMPACT")]
    compact: bool,

    /// Accept only this bearer token (repeat the flag, or separate with commas in the variable).
    #[arg(
        long = "token",
        env = "CONVMOCK_TOKEN",
        value_name = "TOKEN",
        value_delimiter = ',',
        conflicts_with = "no_auth"
    )]
    tokens: Vec<String>,

    /// Accept requests without an Authorization header.
    #[arg(long, env = "CONVMOCK_NO_AUTH")]
    no_auth: bool,

    /// Give each bearer token its own workspace, seeded from the fixtures on first use.
    #[arg(long, env = "CONVMOCK_ISOLATE")]
    isolate: bool,

    /// Load conversations and queued IDs from this JSON file instead of the documented set.
    #[arg(
        long,
        env = "CONVMOCK_FIXTURES",
        value_name = "PATH",
        conflicts_with = "empty"
    )]
    fixtures: Option<PathBuf>,

    /// Start with no conversations at all.
    #[arg(long, env = "CONVMOCK_EMPTY")]
    empty: bool,

    /// Seed for generated IDs: the same seed and creates give the same IDs.
    #[arg(long, env = "CONVMOCK_SEED", value_name = "N")]
    seed: Option<u64>,

    /// Freeze the clock at this Unix time (seconds, 0 to 2^53 - 1).
    #[arg(long, env = "CONVMOCK_CLOCK", value_name = "T",
          value_parser = clap::value_parser!(i64).range(0..=convmock::model::MAX_TIMESTAMP))]
    clock: Option<i64>,

    /// No per-request log lines on stderr.
    #[arg(long, short, env = "CONVMOCK_QUIET")]
    quiet: bool,

    /// Require 'Authorization: Bearer TOKEN' on the admin API (/__admin/).
    #[arg(long, env = "CONVMOCK_ADMIN_TOKEN", value_name = "TOKEN",
          value_parser = NonEmptyStringValueParser::new())]
    admin_token: Option<String>,

    /// How many requests the journal keeps (the oldest are dropped); 0 keeps none.
    #[arg(
        long,
        env = "CONVMOCK_JOURNAL_LIMIT",
        value_name = "N",
        default_value_t = 1000
    )]
    journal_limit: usize,

    /// Delay every API response by MS milliseconds, or a random MIN..MAX.
    #[arg(long, env = "CONVMOCK_LATENCY", value_name = "MS|MIN..MAX",
          value_parser = convmock::faults::parse_latency)]
    latency: Option<(u64, u64)>,

    /// Seconds a client may take to send a request's headers or body, and that an idle
    /// keep-alive connection stays open.
    #[arg(long, env = "CONVMOCK_HEADER_TIMEOUT", value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout: u64,

    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, env = "CONVMOCK_MAX_CONNECTIONS", value_name = "N", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,

    /// Threads that serve requests [default: one fewer than the machine's cores, at least 1,
    /// leaving a core to a client on the same machine].
    #[arg(long, env = "CONVMOCK_THREADS", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,

    /// Under --isolate, the most workspaces (tokens) kept; past it a new token takes the place
    /// of the least recently used one that no request is using.
    #[arg(long, env = "CONVMOCK_MAX_WORKSPACES", value_name = "N",
          default_value_t = DEFAULT_MAX_WORKSPACES as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_workspaces: u64,

    /// Another name the admin API may be addressed by (the Host header), besides loopback
    /// and the bound address; repeat the flag, or separate with commas in the variable.
    #[arg(
        long = "allow-host",
        env = "CONVMOCK_ALLOW_HOST",
        value_name = "NAME",
        value_delimiter = ',',
        value_parser = convmock::guard::host_name
    )]
    allow_hosts: Vec<String>,

    /// A page origin (like http://localhost:5173) allowed to call the admin API, with CORS;
    /// repeat the flag, or separate with commas in the variable.
    #[arg(
        long = "admin-allow-origin",
        env = "CONVMOCK_ADMIN_ALLOW_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ',',
        value_parser = convmock::guard::origin
    )]
    admin_allow_origins: Vec<String>,

    /// The most records of each resource a workspace may hold; a create past it gets a 429.
    #[arg(long, env = "CONVMOCK_MAX_OBJECTS", value_name = "N",
          default_value_t = DEFAULT_MAX_OBJECTS as u64,
          value_parser = clap::value_parser!(u64).range(0..=1_000_000_000))]
    max_objects: u64,

    /// The most memory, in MiB, the records of one workspace may take (records from the
    /// fixtures included); a create or an update past it gets a 429.
    #[arg(long, env = "CONVMOCK_MAX_WORKSPACE_MIB", value_name = "MIB",
          default_value_t = DEFAULT_MAX_WORKSPACE_MIB as u64,
          value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    max_workspace_mib: u64,

    /// Refuse (400) a conversation's contact_id, group_id or pinned_message_id that names
    /// nothing this workspace holds (a pinned message: one of another conversation too).
    #[arg(long, env = "CONVMOCK_STRICT_REFERENCES")]
    strict_references: bool,

    /// POST every event, signed, to this http:// URL; repeat the flag, or separate with
    /// commas in the variable.
    #[arg(
        long = "webhook",
        env = "CONVMOCK_WEBHOOK",
        value_name = "URL",
        value_delimiter = ',',
        value_parser = convmock::webhooks::parse_url
    )]
    webhooks: Vec<String>,

    /// The --webhook endpoints' signing secret (else one is drawn from the seed for each and
    /// printed on stderr).
    #[arg(long, env = "CONVMOCK_WEBHOOK_SECRET", value_name = "S",
          requires = "webhooks", value_parser = NonEmptyStringValueParser::new())]
    webhook_secret: Option<String>,

    /// How many times a failed webhook delivery is retried, after 1, 2, 4... seconds.
    #[arg(long, env = "CONVMOCK_WEBHOOK_RETRIES", value_name = "N",
          default_value_t = convmock::webhooks::DEFAULT_RETRIES,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(convmock::webhooks::MAX_RETRIES)))]
    webhook_retries: u32,
}

/// Where to go next, under the flags of `--help`.
const AFTER_HELP: &str = "Once running: GET / lists this server's parts; GET /openapi.json \
describes the emulated API; the admin API under /__admin/ (health, reset, requests, clock, \
next-ids, each resource's records, faults, events, webhooks) drives it from a test suite or curl.";

impl Args {
    fn into_config(self) -> Result<Config, StartError> {
        let fixtures = match (&self.fixtures, self.empty) {
            (Some(path), _) => Fixtures::from_file(path)?,
            (None, true) => Fixtures::empty(),
            (None, false) => Fixtures::documented(),
        };
        let auth = if self.no_auth {
            Auth::Disabled
        } else if self.tokens.is_empty() {
            Auth::AnyToken
        } else {
            Auth::Tokens(self.tokens)
        };
        Ok(Config {
            host: self.host,
            port: self.port,
            profile: self
                .profile
                .parse()
                .expect("clap allows only the profile names"),
            compact: self.compact,
            auth,
            isolate: self.isolate,
            fixtures,
            seed: self.seed,
            clock: self.clock,
            quiet: self.quiet,
            admin_token: self.admin_token,
            journal_limit: self.journal_limit,
            latency: self.latency,
            header_timeout: Duration::from_secs(self.header_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            max_workspaces: usize::try_from(self.max_workspaces).unwrap_or(usize::MAX),
            allow_hosts: self.allow_hosts,
            admin_allow_origins: self.admin_allow_origins,
            max_objects: usize::try_from(self.max_objects).unwrap_or(usize::MAX),
            max_workspace_bytes: usize::try_from(self.max_workspace_mib << 20)
                .unwrap_or(usize::MAX),
            strict_references: self.strict_references,
            webhooks: self.webhooks,
            webhook_secret: self.webhook_secret,
            webhook_retries: self.webhook_retries,
        })
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let threads = args
        .threads
        .map_or_else(convmock::server::default_threads, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("the system can start a thread pool");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convmock: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<(), StartError> {
    let config = args.into_config()?;
    // Handlers go in before the ready line: a harness may signal as soon as it reads it.
    let signals = Signals::install();
    let (auth, admin_token) = (config.auth.clone(), config.admin_token.is_some());
    let quiet = config.quiet;
    let server = Server::start(config).await?;
    for warning in exposure_warnings(server.addr(), &auth, admin_token) {
        eprintln!("convmock: warning: {warning}");
    }
    for hook in server.startup_webhooks() {
        eprintln!(
            "convmock: webhook {} -> {} signs with secret {}",
            hook.id, hook.url, hook.secret
        );
    }
    // Where to watch it, for the person who started it: before the ready line, so that it
    // comes before the first request's log line.
    if !quiet {
        eprintln!(
            "convmock: dashboard at {}",
            convmock::ui::address(&server.url())
        );
    }
    {
        let mut out = std::io::stdout().lock();
        // The ready line: test harnesses wait for it, so flush it at once.
        let _ = writeln!(out, "listening on {}", server.url());
        let _ = out.flush();
    }
    signals.wait().await;
    server.shutdown().await;
    // The last requests' log lines, unless nobody reads stderr.
    convmock::log::flush(Duration::from_secs(1));
    Ok(())
}

/// SIGINT and SIGTERM, listened for from the moment they are installed.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            term: signal(SignalKind::terminate()).ok(),
            int: signal(SignalKind::interrupt()).ok(),
        }
    }

    #[cfg(not(unix))]
    fn install() -> Self {
        Signals {}
    }

    #[cfg(unix)]
    async fn wait(mut self) {
        async fn recv(signal: Option<&mut tokio::signal::unix::Signal>) {
            match signal {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        if self.term.is_none() && self.int.is_none() {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
        tokio::select! {
            () = recv(self.term.as_mut()) => {}
            () = recv(self.int.as_mut()) => {}
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
