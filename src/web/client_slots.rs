//! How many requests one client address may have in progress at once.
//!
//! A request holds its connection, a file descriptor and a handler until it is answered;
//! one that waits for a body holds them until `web::body_deadline` gives up. Without a
//! bound per client, one address could open thousands and starve everyone else of
//! descriptors. Over `limits.requests_per_client`, a request is answered 429 from its
//! head alone, and a body it announced is never waited for (actix closes the
//! connection after answering a request whose body it did not read).

use crate::error::AppError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Default, Clone)]
pub struct ClientSlots {
    in_progress: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One request's place; given back when dropped, whichever way the request ends.
pub struct Slot {
    owner: ClientSlots,
    client: IpAddr,
}

impl ClientSlots {
    /// A place for one more request from `client`, or None when it has `max` already.
    pub fn take(&self, client: IpAddr, max: usize) -> Option<Slot> {
        let mut map = self
            .in_progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(client).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            owner: self.clone(),
            client,
        })
    }

    /// Requests `client` has in progress (for tests and metrics).
    pub fn held_by(&self, client: IpAddr) -> usize {
        let map = self
            .in_progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(&client).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self
            .owner
            .in_progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            // Only addresses with requests in progress are kept: the map stays small.
            if *n == 0 {
                map.remove(&self.client);
            }
        }
    }
}

pub async fn hold(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(|r| r.map_into_left_body());
    };
    let client = super::client_ip(req.request(), &state);
    let Some(slot) = state
        .client_slots
        .take(client, state.settings.limits.requests_per_client)
    else {
        let refusal = AppError::TooManyRequests {
            retry_after_secs: 1,
        };
        return Ok(req.error_response(refusal).map_into_right_body());
    };
    let res = next.call(req).await;
    drop(slot);
    res.map(|r| r.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_max_and_gets_them_back() {
        let slots = ClientSlots::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let first = slots.take(a, 2).expect("first");
        let second = slots.take(a, 2).expect("second");
        assert!(slots.take(a, 2).is_none());
        assert!(slots.take(b, 2).is_some(), "another client is not affected");
        drop(first);
        assert_eq!(slots.held_by(a), 1);
        let third = slots.take(a, 2).expect("a place came free");
        drop((second, third));
        assert_eq!(slots.held_by(a), 0);
    }
}
