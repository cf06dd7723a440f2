//! Readiness: is every dependency the service needs answering?

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::ports::{BlobStore, Cache, HealthProbe};

/// Readiness of any `Cache` (in-process or Redis): a ping.
pub struct CacheProbe(pub Arc<dyn Cache>);

#[async_trait]
impl HealthProbe for CacheProbe {
    fn name(&self) -> &'static str {
        "cache"
    }

    async fn check(&self) -> anyhow::Result<()> {
        self.0.ping().await.map_err(anyhow::Error::new)
    }
}

/// Readiness of object storage: the bucket answers.
pub struct StorageProbe(pub Arc<dyn BlobStore>);

#[async_trait]
impl HealthProbe for StorageProbe {
    fn name(&self) -> &'static str {
        "storage"
    }

    async fn check(&self) -> anyhow::Result<()> {
        self.0.ping().await.map_err(anyhow::Error::new)
    }
}

/// Whether the service can work without a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criticality {
    /// Down ⇒ the instance is not ready (503).
    Required,
    /// Down ⇒ the instance works in a degraded mode (still 200), e.g. an optional Redis.
    Optional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Up,
    Degraded,
    Down,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Degraded => "degraded",
            Status::Down => "down",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ComponentReport {
    pub name: &'static str,
    pub status: Status,
    pub required: bool,
    pub latency: Duration,
}

#[derive(Debug, Clone)]
pub struct HealthReport {
    /// `Down` if a required component is down, `Degraded` if an optional one is, else `Up`.
    pub status: Status,
    pub components: Vec<ComponentReport>,
}

/// Runs every probe concurrently and aggregates the result.
#[derive(Clone, Default)]
pub struct CheckReadiness {
    probes: Vec<(Arc<dyn HealthProbe>, Criticality)>,
}

impl CheckReadiness {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn with(mut self, probe: Arc<dyn HealthProbe>, criticality: Criticality) -> Self {
        self.probes.push((probe, criticality));
        self
    }

    #[tracing::instrument(name = "health.readiness", skip_all)]
    pub async fn execute(&self) -> HealthReport {
        let checks = self.probes.iter().map(|(probe, crit)| async move {
            let started = Instant::now();
            let result = probe.check().await;
            let latency = started.elapsed();
            let required = *crit == Criticality::Required;
            let status = match (&result, required) {
                (Ok(()), _) => Status::Up,
                (Err(_), true) => Status::Down,
                (Err(_), false) => Status::Degraded,
            };
            if let Err(e) = &result {
                tracing::warn!(component = probe.name(), error = format!("{e:#}"), "readiness check failed");
            }
            ComponentReport { name: probe.name(), status, required, latency }
        });
        let components = futures::future::join_all(checks).await;
        let status = components.iter().map(|c| c.status).max().unwrap_or(Status::Up);
        HealthReport { status, components }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::health::MockHealthProbe;

    fn probe(name: &'static str, ok: bool) -> Arc<dyn HealthProbe> {
        let mut p = MockHealthProbe::new();
        p.expect_name().return_const(name);
        p.expect_check().returning(move || if ok { Ok(()) } else { Err(anyhow::anyhow!("refused")) });
        Arc::new(p)
    }

    fn run(c: &CheckReadiness) -> HealthReport {
        futures::executor::block_on(c.execute())
    }

    #[test]
    fn all_up_is_up() {
        let c = CheckReadiness::new()
            .with(probe("database", true), Criticality::Required)
            .with(probe("cache", true), Criticality::Optional);
        let r = run(&c);
        assert_eq!(r.status, Status::Up);
        assert_eq!(r.components.len(), 2);
    }

    #[test]
    fn optional_down_is_degraded() {
        let c = CheckReadiness::new()
            .with(probe("database", true), Criticality::Required)
            .with(probe("cache", false), Criticality::Optional);
        let r = run(&c);
        assert_eq!(r.status, Status::Degraded);
        assert_eq!(r.components[1].status, Status::Degraded);
    }

    #[test]
    fn required_down_is_down_even_with_optional_down() {
        let c = CheckReadiness::new()
            .with(probe("database", false), Criticality::Required)
            .with(probe("cache", false), Criticality::Optional);
        assert_eq!(run(&c).status, Status::Down);
    }

    #[test]
    fn no_probes_is_up() {
        assert_eq!(run(&CheckReadiness::new()).status, Status::Up);
    }
}
