//! Wire types of Outpost's HTTP API (`/api/v1`). The server and the agent's client both use
//! these, so a change here is a change of the API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The one error shape every route returns: `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `unauthorized`, `bad_request`, `payload_too_large`.
    pub code: String,
    /// Human-readable explanation; never contains secrets.
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

/// `POST /api/v1/enroll`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The tenant's enrollment key.
    pub enrollment_key: String,
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub tenant_id: String,
    pub device_id: String,
    /// Shown once; the server keeps only its hash. Sent as `Authorization: Bearer <token>`.
    pub device_token: String,
}

/// `POST /api/v1/hits` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HitsAccepted {
    pub batch_id: String,
    /// Hits stored by this request (0 when the batch had been stored before).
    pub stored: u64,
    /// True when this batch id had already been accepted.
    pub duplicate: bool,
}

/// A stored hit, as `GET /api/v1/hits` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitRecord {
    pub id: i64,
    pub tenant_id: String,
    pub device_id: String,
    pub hostname: String,
    pub batch_id: String,
    pub received_at: DateTime<Utc>,
    pub agent_version: String,
    pub hotlist_version: String,
    #[serde(flatten)]
    pub hit: crate::hit::Hit,
}

/// A page of results with an opaque cursor for the next page (absent on the last page).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A device, as `GET /api/v1/devices` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: String,
    pub tenant_id: String,
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    pub enrolled_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotlist_version: Option<String>,
}

/// A tenant (one customer of an MSP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}
