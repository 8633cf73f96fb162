//! Live updates: server-sent events for the open pages.

use super::{UiError, UiUser};
use crate::AppState;
use crate::services::scope_tenant;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct EventsQuery {
    /// Newest hit id the page shows.
    since: Option<i64>,
    /// The job change marker the page was rendered with (job pages).
    jobs: Option<i64>,
}

/// Server-sent events for the caller's scope, polled every 2 s: `event: hits`,
/// `data: {"latest":N,"since":S}` when hits newer than `since` (a hit id) arrive, and
/// `event: jobs`, `data: {"changed":T}` when a job changed after `jobs` (Unix ms).
pub async fn events(
    State(state): State<AppState>,
    UiUser(who): UiUser,
    Query(q): Query<EventsQuery>,
) -> Result<Response, UiError> {
    let tenant = scope_tenant(&who, None)?;
    let start = q.since.unwrap_or(0);
    let jobs_start = q.jobs.unwrap_or(0);
    let stream = futures_util::stream::unfold(
        (state, tenant, start, start, jobs_start),
        |(state, tenant, base, last, jobs_last)| async move {
            let (mut last, mut jobs_last) = (last, jobs_last);
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                match state.store.ui_latest_hit_id(tenant.as_deref()).await {
                    Ok(m) if m > last => {
                        let ev = Event::default()
                            .event("hits")
                            .data(format!("{{\"latest\":{m},\"since\":{base}}}"));
                        last = m;
                        return Some((
                            Ok::<_, std::convert::Infallible>(ev),
                            (state, tenant, base, last, jobs_last),
                        ));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!(error = %e, "live updates: query failed");
                        return None;
                    }
                }
                if let Some(j) = &state.jobs {
                    match j.store().last_change(tenant.as_deref()).await {
                        Ok(m) if m > jobs_last => {
                            jobs_last = m;
                            let ev = Event::default()
                                .event("jobs")
                                .data(format!("{{\"changed\":{m}}}"));
                            return Some((Ok(ev), (state, tenant, base, last, jobs_last)));
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::debug!(error = %e, "live updates: job query failed");
                            return None;
                        }
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}
