use async_trait::async_trait;
use domain::photo::{PhotoId, PhotoStatus};

use super::PhotoPorts;
use crate::RepositoryError;
use crate::jobs::{JobError, JobHandler, payload_id};
use crate::ports::{BlobAttrs, BlobError, BlobKey, ImageProcessingError, Job};

/// The kind of the job that makes a photo's variants.
pub const PROCESS_PHOTO: &str = "photo.process";

/// The `photo.process` job: reads the original, makes the variants (oriented, metadata
/// stripped), stores them as immutable public objects, marks the photo `ready` with its
/// size; an image the processor refuses is `rejected` with the reason.
///
/// Idempotent: a photo that is no longer pending (or gone) is left alone; variants are
/// written under fixed keys, so a second run overwrites the same bytes. A photo deleted
/// while it was processed gets its variants removed again.
#[derive(Clone)]
pub struct ProcessPhoto {
    pub ports: PhotoPorts,
}

#[async_trait]
impl JobHandler for ProcessPhoto {
    fn kind(&self) -> &'static str {
        PROCESS_PHOTO
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let p = &self.ports;
        let id = PhotoId(payload_id(job, "photo_id")?);
        let Some(photo) = p.photos.find(id).await.map_err(JobError::retry)? else {
            tracing::info!(photo_id = %id, "photo deleted before processing");
            return Ok(());
        };
        if photo.status != PhotoStatus::Pending {
            return Ok(());
        }
        let original = BlobKey::parse(&photo.original_key()).map_err(|e| JobError::Permanent(e.into()))?;
        let bytes = match p.blobs.get(&original).await {
            Ok(b) => b,
            Err(BlobError::NotFound(_)) => {
                let _ = p.photos.mark_rejected(id, "the original is missing from storage", p.clock.now()).await;
                return Err(JobError::Permanent(anyhow::anyhow!("the original of photo {id} is missing")));
            }
            Err(e) => return Err(JobError::retry(e)),
        };
        let processed = match p.images.process(bytes).await {
            Ok(x) => x,
            Err(ImageProcessingError::Image(e)) => {
                match p.photos.mark_rejected(id, &e.to_string(), p.clock.now()).await {
                    Ok(()) | Err(RepositoryError::Stale) => {}
                    Err(other) => return Err(JobError::retry(other)),
                }
                tracing::info!(photo_id = %id, reason = %e, "photo rejected");
                return Ok(());
            }
            Err(ImageProcessingError::Busy(b)) => return Err(JobError::retry(b)),
            Err(ImageProcessingError::Unexpected(e)) => return Err(JobError::Retry(e)),
        };
        for v in &processed.variants {
            let key = photo
                .variant_key(v.name)
                .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no key for variant {}", v.name)))?;
            let key = BlobKey::parse(&key).map_err(|e| JobError::Permanent(e.into()))?;
            p.blobs.put(&key, v.bytes.clone(), &BlobAttrs::immutable(v.content_type)).await.map_err(JobError::retry)?;
        }
        match p.photos.mark_ready(id, processed.width, processed.height, p.clock.now()).await {
            Ok(()) => {
                p.public.changed().await;
                tracing::info!(photo_id = %id, width = processed.width, height = processed.height, "photo ready");
                Ok(())
            }
            Err(RepositoryError::Stale) => {
                // Deleted (or rejected) meanwhile: its variants must not outlive it.
                if p.photos.find(id).await.map_err(JobError::retry)?.is_none() {
                    p.delete_files(&photo).await;
                }
                Ok(())
            }
            Err(e) => Err(JobError::retry(e)),
        }
    }
}
