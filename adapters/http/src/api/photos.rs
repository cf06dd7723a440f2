//! `/listings/{id}/photos/*`: a listing's gallery (`application::photos`).

use application::rate_limit::Limit;
use domain::listing::ListingId;
use domain::photo::PhotoId;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::dto::PhotoDto;
use crate::Services;
use crate::auth::{MaybeSignedIn, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::problem::ProblemKind;

/// One image per request, in the part named `file`.
#[derive(Debug, Multipart)]
#[oai(deny_unknown_fields)]
pub struct PhotoUpload {
    /// JPEG, PNG or WebP (the type is read from the bytes, not the name), at most
    /// `MAX_UPLOAD_BYTES` (15 MiB by default).
    pub file: Upload,
}

#[derive(Debug, Object)]
#[oai(rename = "PhotoList")]
pub struct PhotoList {
    /// In gallery order.
    pub items: Vec<PhotoDto>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PhotoOrderInput {
    /// Every photo of the listing, once each, in the new order.
    #[oai(validator(max_items = 30))]
    pub photo_ids: Vec<Uuid>,
}

#[derive(ApiResponse)]
pub enum PhotoAccepted {
    /// Stored and queued for processing: `pending` until its variants are made (seconds).
    #[oai(status = 202)]
    Accepted(Json<PhotoDto>),
}

#[derive(ApiResponse)]
pub enum PhotoDeleted {
    /// Deleted, with every file.
    #[oai(status = 204)]
    Deleted,
}

pub struct PhotosApi;

#[OpenApi(tag = "ApiTags::Listings")]
impl PhotosApi {
    /// Add a photo to a listing
    ///
    /// `photos::UploadPhoto`. Owner or admin. The image is checked whole before anything
    /// is kept: 413 `payload-too-large` over `MAX_UPLOAD_BYTES`; 415
    /// `unsupported-media-type` unless its bytes are JPEG, PNG or WebP (HEIC, SVG, GIF are
    /// named in the answer); 422 `validation` (field `file`) when it does not decode or
    /// has too many pixels; 409 `gallery-full` at 30 photos. The photo's metadata (EXIF,
    /// GPS) never reaches the published variants. Uploads are limited per user (429
    /// `rate-limited`).
    #[oai(path = "/listings/:id/photos", method = "post", operation_id = "uploadPhoto")]
    async fn upload(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        form: PhotoUpload,
    ) -> ApiResult<PhotoAccepted> {
        s.throttle.check(Limit::UploadUser, &who.user.id.to_string()).await?;
        let limit = s.max_upload_bytes;
        if form.file.size() > limit {
            return Err(ApiError::problem(
                ProblemKind::PayloadTooLarge,
                format!("A photo may be at most {limit} bytes."),
            ));
        }
        let bytes = form.file.into_vec().await.map_err(|e| ApiError::internal(&e))?;
        let photo = s.upload_photo.execute(who.viewer, ListingId(id.0), bytes.into()).await?;
        Ok(PhotoAccepted::Accepted(Json(photo.into())))
    }

    /// A listing's photos, in gallery order
    ///
    /// `photos::ListPhotos`. Anyone who may see the listing sees its ready photos; the
    /// owner and admins see every photo, with rejection reasons and links to originals.
    #[oai(path = "/listings/:id/photos", method = "get", operation_id = "listPhotos")]
    async fn list(&self, who: MaybeSignedIn, s: Data<&Services>, id: Path<Uuid>) -> ApiResult<Json<PhotoList>> {
        let photos = s.list_photos.execute(who.viewer(), ListingId(id.0)).await?;
        Ok(Json(PhotoList { items: photos.into_iter().map(PhotoDto::from).collect() }))
    }

    /// Put a listing's photos in order
    ///
    /// `photos::ReorderPhotos`. Owner or admin. 409 `invalid-transition` when
    /// `photo_ids` is not exactly the listing's photos (one was added or deleted
    /// meanwhile: read the list again).
    #[oai(path = "/listings/:id/photos/order", method = "put", operation_id = "reorderPhotos")]
    async fn reorder(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        body: Json<PhotoOrderInput>,
    ) -> ApiResult<Json<PhotoList>> {
        let order: Vec<PhotoId> = body.0.photo_ids.into_iter().map(PhotoId).collect();
        let photos = s.reorder_photos.execute(who.viewer, ListingId(id.0), &order).await?;
        Ok(Json(PhotoList { items: photos.into_iter().map(PhotoDto::from).collect() }))
    }

    /// Delete a photo and its files
    ///
    /// `photos::DeletePhoto`. Owner or admin.
    #[oai(path = "/listings/:id/photos/:photo_id", method = "delete", operation_id = "deletePhoto")]
    async fn delete(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        id: Path<Uuid>,
        photo_id: Path<Uuid>,
    ) -> ApiResult<PhotoDeleted> {
        s.delete_photo.execute(who.viewer, ListingId(id.0), PhotoId(photo_id.0)).await?;
        Ok(PhotoDeleted::Deleted)
    }
}
