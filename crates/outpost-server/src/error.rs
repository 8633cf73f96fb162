//! The API's one error type and its JSON shape `{"error":{"code":"…","message":"…"}}`: the
//! `outpost-api` crate's [`ApiError`], which the job routers answer with too. Storage errors
//! convert with `?` (its feature `store`); every error answered is counted by code in
//! `outpost_api_errors`.

pub use outpost_api::ApiError;
