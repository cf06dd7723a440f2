use std::time::Duration;

use application::ports::{Quota, RateDecision, RateLimitError, RateLimiter};
use async_trait::async_trait;

use crate::Redis;

/// GCRA in one round trip. The key holds the theoretical arrival time (TAT, ms on the
/// Redis clock, so instances with skewed clocks agree) and expires when the allowance
/// is whole again. Returns `{allowed, remaining | retry_after_ms, reset_ms}`.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if now < allow_at then
  return {0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return {1, math.floor((now - allow_at) / interval), new_tat - now}
";

/// The `RateLimiter` port on Redis: one counter per key shared by every instance,
/// atomic (a Lua script, GCRA), one round trip per request.
#[derive(Clone)]
pub struct RedisRateLimiter {
    redis: Redis,
    script: redis::Script,
}

impl RedisRateLimiter {
    pub fn on(redis: Redis) -> Self {
        Self { redis, script: redis::Script::new(GCRA) }
    }
}

fn unavailable(e: impl Into<anyhow::Error>) -> RateLimitError {
    RateLimitError::Unavailable(e.into())
}

fn ms(d: i64) -> Duration {
    Duration::from_millis(u64::try_from(d).unwrap_or(0))
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    #[tracing::instrument(name = "redis.rate_limit.acquire", skip_all)]
    async fn acquire(&self, key: &str, quota: Quota) -> Result<RateDecision, RateLimitError> {
        let interval = u64::try_from(quota.interval().as_millis()).unwrap_or(u64::MAX).max(1);
        let mut invocation = self.script.key(self.redis.key(&format!("rl:{key}")));
        invocation.arg(interval).arg(quota.burst());
        let (allowed, n, reset): (i64, i64, i64) =
            self.redis.run(|mut c| async move { invocation.invoke_async(&mut c).await }).await.map_err(unavailable)?;
        Ok(if allowed == 1 {
            RateDecision::Allowed { remaining: u32::try_from(n).unwrap_or(0), reset: ms(reset) }
        } else {
            RateDecision::Limited { retry_after: ms(n).max(Duration::from_millis(1)), reset: ms(reset) }
        })
    }
}
