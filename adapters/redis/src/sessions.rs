use std::time::Duration;

use application::ports::{SessionStore, SessionStoreError};
use async_trait::async_trait;
use domain::UserId;
use redis::AsyncCommands;

use crate::Redis;

/// Saves a session (KEYS[1], ARGV[1] for ARGV[2] ms) and, for a signed-in one, files its
/// id (ARGV[3]) in the user's set (KEYS[2]), whose TTL only ever grows: it lives as long as
/// the user's longest-lived session. One round trip, atomic.
const SAVE: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if KEYS[2] then
  redis.call('SADD', KEYS[2], ARGV[3])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
  end
end
return 1
";

/// Removes the sessions listed in a user's set, then the set; returns how many were
/// still there. One round trip, atomic.
const REMOVE_ALL: &str = r"
local ids = redis.call('SMEMBERS', KEYS[1])
local n = 0
for _, id in ipairs(ids) do
  n = n + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return n
";

/// The `SessionStore` port on Redis: `session:{id}` holds a session's data with the
/// session's TTL; `user-sessions:{user}` is the set of a user's session ids (kept as long
/// as the user's longest-lived session), so that all of them can be removed at once.
#[derive(Clone)]
pub struct RedisSessions {
    redis: Redis,
    save: redis::Script,
    remove_all: redis::Script,
}

impl RedisSessions {
    pub fn on(redis: Redis) -> Self {
        Self { redis, save: redis::Script::new(SAVE), remove_all: redis::Script::new(REMOVE_ALL) }
    }

    fn session_key(&self, id: &str) -> String {
        self.redis.key(&format!("session:{id}"))
    }

    fn user_key(&self, user: UserId) -> String {
        self.redis.key(&format!("user-sessions:{user}"))
    }
}

fn unavailable(e: impl Into<anyhow::Error>) -> SessionStoreError {
    SessionStoreError::Unavailable(e.into())
}

#[async_trait]
impl SessionStore for RedisSessions {
    #[tracing::instrument(name = "redis.sessions.load", skip_all)]
    async fn load(&self, id: &str) -> Result<Option<String>, SessionStoreError> {
        let key = self.session_key(id);
        self.redis.run(|mut c| async move { c.get(key).await }).await.map_err(unavailable)
    }

    #[tracing::instrument(name = "redis.sessions.save", skip_all)]
    async fn save(&self, id: &str, user: Option<UserId>, data: &str, ttl: Duration) -> Result<(), SessionStoreError> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut invocation = self.save.key(self.session_key(id));
        if let Some(user) = user {
            invocation.key(self.user_key(user));
        }
        invocation.arg(data).arg(ms).arg(id);
        self.redis.run(|mut c| async move { invocation.invoke_async::<()>(&mut c).await }).await.map_err(unavailable)
    }

    #[tracing::instrument(name = "redis.sessions.remove", skip_all)]
    async fn remove(&self, id: &str) -> Result<(), SessionStoreError> {
        // The id may stay in its user's set until that expires: removing all of the
        // user's sessions skips ids that are gone.
        let key = self.session_key(id);
        self.redis.run(|mut c| async move { c.del::<_, ()>(key).await }).await.map_err(unavailable)
    }

    #[tracing::instrument(name = "redis.sessions.remove_all_for", skip_all)]
    async fn remove_all_for(&self, user: UserId) -> Result<u64, SessionStoreError> {
        let mut invocation = self.remove_all.key(self.user_key(user));
        invocation.arg(self.session_key(""));
        self.redis.run(|mut c| async move { invocation.invoke_async(&mut c).await }).await.map_err(unavailable)
    }

    #[tracing::instrument(name = "redis.sessions.ping", skip_all)]
    async fn ping(&self) -> Result<(), SessionStoreError> {
        self.redis.ping().await.map_err(unavailable)
    }
}
