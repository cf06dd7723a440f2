use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use domain::photo::{Photo, PhotoId};

use super::PhotoPorts;
use crate::errors::storage_errors_are_unexpected;
use crate::jobs::{JobError, JobHandler};
use crate::ports::{BlobKey, Job};

/// The kind of the daily dry run.
pub const RECONCILE_MEDIA: &str = "media.reconcile";

/// An object or row younger than this is never reported: an upload writes its original
/// before its row, a row may be committing right now, and a new photo's variants come
/// later.
pub const ORPHAN_MIN_AGE: chrono::Duration = chrono::Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum ReconcileMediaError {
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(ReconcileMediaError);

/// What `media reconcile` found (and, with `apply`, fixed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub objects: usize,
    pub rows: usize,
    /// Objects under `listings/` no photo row names (older than `ORPHAN_MIN_AGE`).
    pub orphan_objects: Vec<String>,
    /// Rows whose original is gone: the photo can never be (re)processed.
    pub missing_originals: Vec<PhotoId>,
    /// Ready rows missing a variant (reported only: the original is there).
    pub missing_variants: Vec<PhotoId>,
    pub applied: bool,
}

impl ReconcileReport {
    pub fn is_clean(&self) -> bool {
        self.orphan_objects.is_empty() && self.missing_originals.is_empty() && self.missing_variants.is_empty()
    }
}

/// `student-palace media reconcile [--apply]`: compares the bucket with the `photos`
/// table. A dry run (the default, and the daily `media.reconcile` job) only reports;
/// `--apply` deletes orphaned objects and the rows (and leftover files) of photos whose
/// original is gone.
#[derive(Clone)]
pub struct ReconcileMedia {
    p: PhotoPorts,
}

impl ReconcileMedia {
    pub fn new(p: PhotoPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "media.reconcile", skip_all, fields(apply))]
    pub async fn execute(&self, apply: bool) -> Result<ReconcileReport, ReconcileMediaError> {
        let now = self.p.clock.now();
        let objects = self.p.blobs.list("listings").await.map_err(|e| ReconcileMediaError::Unexpected(e.into()))?;
        let mut rows: BTreeMap<String, Photo> = BTreeMap::new();
        let mut after = None;
        loop {
            let page = self.p.photos.all(after, 500).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for photo in page {
                rows.insert(photo.prefix(), photo);
            }
        }
        let present: BTreeSet<&str> = objects.iter().map(|o| o.key.as_str()).collect();
        let mut report =
            ReconcileReport { objects: objects.len(), rows: rows.len(), applied: apply, ..Default::default() };
        for o in &objects {
            let key = o.key.as_str();
            // listings/{listing}/{photo}/{file}
            let prefix = key.rsplit_once('/').map_or(key, |(p, _)| p);
            let old_enough = o.modified.is_none_or(|m| now - m >= ORPHAN_MIN_AGE);
            if !rows.contains_key(prefix) && old_enough {
                report.orphan_objects.push(key.to_owned());
            }
        }
        for photo in rows.values() {
            // Objects were listed before rows were read: a photo uploaded meanwhile, or
            // still being processed, is not missing anything yet.
            if now - photo.created_at < ORPHAN_MIN_AGE {
                continue;
            }
            if !present.contains(photo.original_key().as_str()) {
                report.missing_originals.push(photo.id);
            } else if photo.status == domain::photo::PhotoStatus::Ready
                && photo.all_keys().iter().any(|k| !present.contains(k.as_str()))
            {
                report.missing_variants.push(photo.id);
            }
        }
        if apply {
            for key in &report.orphan_objects {
                if let Ok(k) = BlobKey::parse(key) {
                    self.p.blobs.delete(&k).await.map_err(|e| ReconcileMediaError::Unexpected(e.into()))?;
                }
            }
            for id in &report.missing_originals {
                if let Some(gone) = self.p.photos.delete(*id).await? {
                    // Each at once: an error on the next one must not leave this unseen.
                    self.p.public.changed().await;
                    self.p.delete_files(&gone).await;
                }
            }
        }
        if report.is_clean() {
            tracing::info!(objects = report.objects, rows = report.rows, "media reconciled: storage and rows agree");
        } else {
            tracing::warn!(
                objects = report.objects,
                rows = report.rows,
                orphans = report.orphan_objects.len(),
                missing_originals = report.missing_originals.len(),
                missing_variants = report.missing_variants.len(),
                applied = apply,
                "media reconcile found differences"
            );
        }
        Ok(report)
    }
}

/// The daily `media.reconcile` job: a dry run; what it finds is logged for the on-call
/// engineer, who runs `student-palace media reconcile --apply`.
#[derive(Clone)]
pub struct ReconcileMediaDryRun(pub ReconcileMedia);

#[async_trait]
impl JobHandler for ReconcileMediaDryRun {
    fn kind(&self) -> &'static str {
        RECONCILE_MEDIA
    }

    async fn run(&self, _job: &Job) -> Result<(), JobError> {
        self.0.execute(false).await.map(|_| ()).map_err(|ReconcileMediaError::Unexpected(e)| JobError::Retry(e))
    }
}
