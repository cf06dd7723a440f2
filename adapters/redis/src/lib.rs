//! Redis adapters: the `Cache`, `RateLimiter` and `SessionStore` ports, on one lazily
//! made, self-healing connection ([`Redis`]). Redis is optional: when it is down the
//! cache misses, the limiter falls back to the instance's own, server-side sessions read
//! as signed out (and cannot be started: 503), the service keeps answering public reads
//! and reports Redis `degraded`.

mod cache;
mod conn;
mod rate_limit;
mod sessions;

pub use cache::RedisCache;
pub use conn::Redis;
pub use rate_limit::RedisRateLimiter;
pub use sessions::RedisSessions;
