//! Redis adapters: the `Cache` port and the `RateLimiter` port, on one lazily made,
//! self-healing connection per adapter ([`Redis`]). Redis is optional: when it is down
//! the cache misses and the limiter falls back to the instance's own, the service keeps
//! answering and reports Redis `degraded`. Server-side sessions come later (issue 15).

mod cache;
mod conn;
mod rate_limit;

pub use cache::RedisCache;
pub use conn::Redis;
pub use rate_limit::RedisRateLimiter;
