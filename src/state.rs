//! The state every request shares: the configuration, the clock and the workspaces.
//!
//! [`AppState`] is a cheap clone around one `Arc`. A workspace (`workspace`) sits behind its
//! own lock, so requests for different tokens under `--isolate` never wait for each other.
//! Locks are `parking_lot` and are never held across an `.await`.

use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::events::Bus;
use crate::faults::Faults;
use crate::ids::workspace_seed;
use crate::journal::Journal;
use crate::model::to_body;
use crate::openapi;
use crate::simulate::Delayed;
use crate::webhooks::{Registration, Webhooks};
pub use crate::workspace::Workspace;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A workspace behind its lock (reads share it, writes take it alone), with its own
/// `Request-Id` sequence beside the lock, so that numbering an answer never waits for it.
#[derive(Debug)]
pub struct WorkspaceCell {
    lock: RwLock<Workspace>,
    requests: AtomicU64,
}

impl WorkspaceCell {
    /// A workspace, its sequence at 0.
    pub fn new(ws: Workspace) -> Self {
        WorkspaceCell {
            lock: RwLock::new(ws),
            requests: AtomicU64::new(0),
        }
    }
}

impl std::ops::Deref for WorkspaceCell {
    type Target = RwLock<Workspace>;

    fn deref(&self) -> &RwLock<Workspace> {
        &self.lock
    }
}

/// A workspace as requests share it.
pub type SharedWorkspace = Arc<WorkspaceCell>;

/// What a request reached, for its `Request-Id`: its accepted token, and the workspace it
/// was answered in.
#[derive(Debug, Default)]
pub struct Reached {
    /// The token, once accepted.
    pub token: Option<String>,
    /// The workspace, once looked up.
    pub workspace: Option<SharedWorkspace>,
    /// The IDs of the events the request's change emitted, in order.
    pub events: std::cell::RefCell<Vec<Box<str>>>,
}

#[derive(Debug)]
enum Workspaces {
    /// Every token sees this one.
    One(SharedWorkspace),
    /// `--isolate`: one per token, made on first use.
    PerToken(Mutex<Pool>),
}

/// Under `--isolate`: the workspaces by token, and when each was last used.
#[derive(Debug, Default)]
struct Pool {
    slots: HashMap<Box<str>, Slot>,
    /// Counts uses; a slot's `last_used` is this count at its latest use.
    uses: u64,
}

#[derive(Debug)]
struct Slot {
    ws: SharedWorkspace,
    last_used: u64,
}

impl Slot {
    /// Whether no request holds the workspace (the pool has the only reference).
    fn is_idle(&self) -> bool {
        Arc::strong_count(&self.ws) == 1
    }
}

impl Pool {
    /// The token's workspace, marked as just used.
    fn get(&mut self, token: &str) -> Option<SharedWorkspace> {
        self.uses += 1;
        let slot = self.slots.get_mut(token)?;
        slot.last_used = self.uses;
        Some(Arc::clone(&slot.ws))
    }

    fn insert(&mut self, token: &str, ws: SharedWorkspace) {
        self.uses += 1;
        let last_used = self.uses;
        self.slots.insert(token.into(), Slot { ws, last_used });
    }

    /// The token of the least recently used idle workspace. Only the pool hands out
    /// references, under its lock, so a workspace idle here stays idle until the lock is
    /// released.
    fn least_recently_used_idle(&self) -> Option<&str> {
        self.slots
            .iter()
            .filter(|(_, slot)| slot.is_idle())
            .min_by_key(|(_, slot)| slot.last_used)
            .map(|(token, _)| &**token)
    }

    /// Whether a new workspace fits, perhaps after an eviction.
    fn has_room(&self, limit: usize) -> bool {
        self.slots.len() < limit || self.slots.values().any(Slot::is_idle)
    }

    /// Makes room for one more workspace past `limit` by taking out the least recently used
    /// idle one, returned so that it is freed after the lock is released.
    fn make_room(&mut self, limit: usize) -> Result<Option<Slot>, ApiError> {
        if self.slots.len() < limit {
            return Ok(None);
        }
        let token: Box<str> = self
            .least_recently_used_idle()
            .ok_or(ApiError::TooManyWorkspaces { limit })?
            .into();
        Ok(self.slots.remove(&token))
    }
}

/// What every request handler can reach.
#[derive(Debug)]
pub struct Shared {
    /// How the server was started.
    pub config: Config,
    /// The clock every `created_at` comes from.
    pub clock: Clock,
    /// The seed actually in use (`--seed`, or drawn at start-up).
    pub seed: u64,
    /// The requests clients sent.
    pub journal: Journal,
    /// Every change's events, and where they go.
    pub bus: Bus,
    /// Injected faults and latency.
    pub faults: Faults,
    /// The webhook endpoints, listening on `bus`.
    pub webhooks: Arc<Webhooks>,
    /// The simulated messages waiting for their delay.
    pub delayed: Delayed,
    workspaces: Workspaces,
    /// The sequence of requests that reach no workspace (under `--isolate`).
    requests: AtomicU64,
    admin_requests: AtomicU64,
    openapi: OnceLock<Vec<u8>>,
}

/// The cheap-clone handle to [`Shared`].
#[derive(Clone, Debug)]
pub struct AppState(pub Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// The state for a server started with `config`.
    pub fn new(config: Config) -> Self {
        let seed = config.seed.unwrap_or_else(rand::random);
        let workspaces = if config.isolate {
            Workspaces::PerToken(Mutex::new(Pool::default()))
        } else {
            Workspaces::One(Arc::new(WorkspaceCell::new(Workspace::seeded(
                &config.fixtures,
                seed,
            ))))
        };
        let startup = config
            .webhooks
            .iter()
            .map(|url| Registration {
                url: url.clone(),
                secret: config.webhook_secret.clone(),
                events: None,
                token: None,
            })
            .collect();
        let webhooks = Arc::new(Webhooks::new(
            seed,
            config.webhook_retries,
            config.isolate,
            startup,
        ));
        let bus = Bus::default();
        bus.listen(Arc::clone(&webhooks) as _);
        AppState(Arc::new(Shared {
            clock: Clock::new(config.clock),
            seed,
            journal: Journal::new(config.journal_limit),
            bus,
            webhooks,
            faults: Faults::new(seed, config.latency),
            delayed: Delayed::default(),
            workspaces,
            requests: AtomicU64::new(0),
            admin_requests: AtomicU64::new(0),
            openapi: OnceLock::new(),
            config,
        }))
    }

    /// Whether each token has its own workspace (`--isolate`).
    pub fn is_isolated(&self) -> bool {
        matches!(self.workspaces, Workspaces::PerToken(_))
    }

    /// Everything back as at start-up: every workspace as the fixtures, with its ID queue
    /// and generator; the clock; an empty journal; no fault rules; `Request-Id`s from 1; the
    /// start-up webhooks only, and no deliveries.
    pub fn reset(&self) {
        // Before the records are replaced: a delayed message checks it under their lock.
        self.delayed.cancel();
        match &self.workspaces {
            Workspaces::One(ws) => {
                // Seeded before the lock is taken; the old store is freed after it is released.
                let fresh = Workspace::seeded(&self.config.fixtures, self.seed);
                let old = std::mem::replace(&mut *ws.write(), fresh);
                ws.requests.store(0, Ordering::Relaxed);
                drop(old);
            }
            Workspaces::PerToken(pool) => {
                let old = std::mem::take(&mut *pool.lock());
                drop(old);
            }
        }
        self.clock.reset();
        self.journal.clear();
        self.bus.clear();
        self.webhooks.reset();
        self.faults.reset();
        self.requests.store(0, Ordering::Relaxed);
        self.admin_requests.store(0, Ordering::Relaxed);
    }

    /// The OpenAPI document of the emulated API, built on first use.
    pub fn openapi_document(&self) -> Vec<u8> {
        self.openapi
            .get_or_init(|| {
                to_body(
                    &openapi::document(self.config.profile, &self.config.auth),
                    self.config.compact,
                )
            })
            .clone()
    }

    /// The workspace a request with this token works in. Under `--isolate` a new token gets
    /// a fresh copy of the fixtures; the pool's lock is held only to look up or insert.
    ///
    /// Past `--max-workspaces`, a new token's workspace takes the place of the least
    /// recently used idle one (no request holds it), which is dropped with its data; only
    /// when every workspace is in use is the new token refused (429). A request holds its
    /// workspace until it is answered, so none is dropped under a request.
    pub fn workspace(&self, token: &str) -> Result<SharedWorkspace, ApiError> {
        let pool = match &self.workspaces {
            Workspaces::One(ws) => return Ok(Arc::clone(ws)),
            Workspaces::PerToken(pool) => pool,
        };
        let limit = self.config.max_workspaces;
        {
            let mut pool = pool.lock();
            if let Some(ws) = pool.get(token) {
                return Ok(ws);
            }
            if !pool.has_room(limit) {
                return Err(ApiError::TooManyWorkspaces { limit });
            }
        }
        // Seeded outside the pool's lock: a large fixture set takes a while to copy.
        let fresh = Arc::new(WorkspaceCell::new(Workspace::seeded(
            &self.config.fixtures,
            workspace_seed(self.seed, token),
        )));
        let mut pool = pool.lock();
        if let Some(ws) = pool.get(token) {
            return Ok(ws);
        }
        let evicted = pool.make_room(limit)?;
        pool.insert(token, Arc::clone(&fresh));
        // The evicted store is freed after the lock is released.
        drop(pool);
        drop(evicted);
        Ok(fresh)
    }

    /// The token's workspace if it exists (marked as used), without creating one.
    /// The token's workspace if it has one (the one store without `--isolate`).
    pub fn existing_workspace(&self, token: &str) -> Option<SharedWorkspace> {
        match &self.workspaces {
            Workspaces::One(ws) => Some(Arc::clone(ws)),
            Workspaces::PerToken(pool) => pool.lock().get(token),
        }
    }

    /// Runs `f` on a token's workspace without creating one: a token not seen yet is shown
    /// the fixtures it would start from. For the admin API's reads.
    pub fn view_workspace<R>(&self, token: &str, f: impl FnOnce(&Workspace) -> R) -> R {
        match self.existing_workspace(token) {
            Some(ws) => f(&ws.read()),
            None => f(&Workspace::seeded(
                &self.config.fixtures,
                workspace_seed(self.seed, token),
            )),
        }
    }

    /// Drops a token's workspace and its data (`DELETE /__admin/workspaces/{token}`);
    /// `false` if it has none (always, without `--isolate`). A request that holds it
    /// finishes in it; the token's next request gets a fresh one.
    pub fn remove_workspace(&self, token: &str) -> bool {
        match &self.workspaces {
            Workspaces::One(_) => false,
            Workspaces::PerToken(pool) => {
                // Freed after the lock is released.
                let removed = pool.lock().slots.remove(token);
                removed.is_some()
            }
        }
    }

    /// A `Request-Id` for an admin response: `adm_` and its own sequence number, so that
    /// admin calls never shift the API's `Request-Id`s.
    pub fn next_admin_request_id(&self) -> String {
        sequence_id(
            "adm_",
            self.admin_requests.fetch_add(1, Ordering::Relaxed) + 1,
        )
    }

    /// A fresh `Request-Id` value for a request outside the admin API: `req_` and the next
    /// number of its workspace's own sequence, so that under `--isolate` one token's numbers
    /// never depend on another's requests. A request refused before its workspace was looked
    /// up counts in its token's workspace if that exists; without `--isolate` every request
    /// counts in the one workspace. A request that reaches none (no accepted token, or a
    /// new token refused) gets `srv_` and the number of a server-wide sequence.
    pub fn next_request_id(&self, reached: &Reached) -> String {
        let looked_up;
        let ws = match (&reached.workspace, &reached.token, &self.workspaces) {
            (Some(ws), _, _) | (None, _, Workspaces::One(ws)) => Some(ws),
            (None, Some(token), Workspaces::PerToken(_)) => {
                looked_up = self.existing_workspace(token);
                looked_up.as_ref()
            }
            (None, None, Workspaces::PerToken(_)) => None,
        };
        match ws {
            Some(ws) => sequence_id("req_", ws.requests.fetch_add(1, Ordering::Relaxed) + 1),
            None => sequence_id("srv_", self.requests.fetch_add(1, Ordering::Relaxed) + 1),
        }
    }
}

/// `prefix` and `n` in 16 zero-padded digits (the last 16 past 10^16), without `format!`:
/// every response carries one.
fn sequence_id(prefix: &str, mut n: u64) -> String {
    let mut id = [b'0'; 20];
    id[..4].copy_from_slice(&prefix.as_bytes()[..4]);
    for d in id[4..].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    String::from_utf8(id.to_vec()).expect("an ASCII prefix and digits")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Conversation;

    #[test]
    fn request_ids_are_zero_padded_sequence_numbers() {
        assert_eq!(sequence_id("req_", 1), "req_0000000000000001");
        assert_eq!(sequence_id("adm_", 1234567890123), "adm_0001234567890123");
    }

    #[test]
    fn isolated_tokens_get_separate_workspaces_and_shared_mode_one() {
        let isolated = AppState::new(Config {
            isolate: true,
            seed: Some(3),
            ..Config::default()
        });
        let a = isolated.workspace("a").unwrap();
        let b = isolated.workspace("b").unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&a, &isolated.workspace("a").unwrap()));
        assert_ne!(
            a.write().new_id::<Conversation>(),
            b.write().new_id::<Conversation>()
        );

        let shared = AppState::new(Config::default());
        assert!(Arc::ptr_eq(
            &shared.workspace("a").unwrap(),
            &shared.workspace("b").unwrap()
        ));
    }

    #[test]
    fn past_the_workspace_bound_the_least_recently_used_idle_one_makes_room() {
        let state = AppState::new(Config {
            isolate: true,
            max_workspaces: 2,
            ..Config::default()
        });
        let a = state.workspace("a").unwrap();
        let b = state.workspace("b").unwrap();
        // Both are held, as by requests in flight: a new token is refused, the others work.
        assert_eq!(
            state.workspace("c").err(),
            Some(ApiError::TooManyWorkspaces { limit: 2 })
        );
        assert!(Arc::ptr_eq(&a, &state.workspace("a").unwrap()));
        // Once b is let go, c takes its place; a, still held, is never the one evicted,
        // however long ago it was used and however many tokens come.
        drop(b);
        for n in 0..100 {
            let fresh = state.workspace(&format!("fresh-{n}")).unwrap();
            drop(fresh);
        }
        assert!(Arc::ptr_eq(&a, &state.workspace("a").unwrap()));
        drop(a);
        // Idle now, a goes only when it is the least recently used: the next new token
        // takes fresh-99's place; once a is used again, the one after takes newest's.
        let newest = state.workspace("newest").unwrap();
        drop(newest);
        state.workspace("a").unwrap();
        state.workspace("another").unwrap();
        assert!(state.existing_workspace("newest").is_none());
        assert!(state.existing_workspace("a").is_some());
        assert!(state.remove_workspace("a") && !state.remove_workspace("a"));
        state.reset();
        assert!(state.existing_workspace("another").is_none());
    }
}
