//! Photos of a listing (uploads arrive with the photos issue; the vocabulary is fixed now
//! because the API already documents it).

crate::closed_set!(
    /// Where an uploaded photo is: pending (being processed) → ready | rejected.
    PhotoStatus, "status", { Pending => "pending", Ready => "ready", Rejected => "rejected" }
);
