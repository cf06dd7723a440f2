use async_trait::async_trait;

/// One dependency's readiness check (database round-trip, storage reachable, ...).
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait HealthProbe: Send + Sync + 'static {
    /// Stable component name shown in the readiness report (`database`, `storage`, `cache`).
    fn name(&self) -> &'static str;

    /// A cheap round-trip to the dependency. `Err` carries the cause (logged, never shown
    /// to clients). Must not hang: implementations bound their own wait or are wrapped
    /// in a timeout by the caller.
    async fn check(&self) -> anyhow::Result<()>;
}
