//! Requests in progress per client address, counted so that one address cannot hold
//! every connection (`web::client_slots` refuses the one over the limit).

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
