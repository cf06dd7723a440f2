use async_trait::async_trait;

use super::{ListingPorts, audit_event, save};
use crate::RepositoryError;
use crate::audit::Origin;
use crate::jobs::{JobError, JobHandler};
use crate::ports::Job;

/// The kind of the daily sweep job.
pub const HMO_SWEEP: &str = "listing.hmo_licence_sweep";

/// Listings unlisted per batch (the sweep goes on until none is left).
const BATCH: u32 = 100;

/// The daily `listing.hmo_licence_sweep` job: every published listing whose HMO licence
/// has lapsed (by the UK date) goes back to draft with a note telling the owner why, as
/// an admin's unpublish would, audited with no actor. Search already hides such listings
/// from the day after expiry (`Listing::hidden`); the sweep makes it the listing's state,
/// so the owner sees it and must renew the licence to publish again.
///
/// Idempotent: a listing already unlisted is no longer found; one changed meanwhile
/// (`Stale`) is left for the next run. It pages by id, so any number are swept.
#[derive(Clone)]
pub struct HmoLicenceSweep {
    pub ports: ListingPorts,
}

#[async_trait]
impl JobHandler for HmoLicenceSweep {
    fn kind(&self) -> &'static str {
        HMO_SWEEP
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let origin = Origin { actor: None, request_id: Some(format!("job:{}", job.id)) };
        let mut unlisted = 0u64;
        let mut skipped = 0u64;
        let now = self.ports.clock.now();
        let today = domain::uk_today(now);
        let mut after = None;
        loop {
            let lapsed = self
                .ports
                .listings
                .lapsed_licences(today, after, BATCH)
                .await
                .map_err(|e| JobError::Retry(e.into()))?;
            let Some(last) = lapsed.last() else { break };
            after = Some(last.id);
            for before in lapsed {
                let expired = before.details.searchable_until().map(|d| d.format("%-d %B %Y").to_string());
                let reason = format!(
                    "Unlisted automatically: the HMO licence expired on {}. Add the renewed licence and its expiry date, then publish again.",
                    expired.as_deref().unwrap_or("its expiry date")
                );
                let mut after_change = before.clone();
                if after_change.unpublish(reason, now).is_err() {
                    skipped += 1;
                    continue;
                }
                let ev = audit_event(
                    &self.ports,
                    &origin,
                    "listing.unpublish",
                    Some(&before),
                    Some(&after_change),
                    before.id,
                );
                match save(&self.ports, &before, after_change, &ev).await {
                    Ok(_) => unlisted += 1,
                    // Changed meanwhile: left for the next run.
                    Err(RepositoryError::Stale) => skipped += 1,
                    Err(e) => return Err(JobError::Retry(e.into())),
                }
            }
        }
        tracing::info!(unlisted, skipped, "HMO licence sweep done");
        Ok(())
    }
}
