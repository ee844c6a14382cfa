//! The "known device" cookie (OWASP's device cookies): set at a successful login, it
//! names the account and is signed with a server key. A login from a browser holding a
//! valid one for the account skips the account-wide lock that strangers' guesses set
//! (it still counts against its own client's limit), so a stranger who knows a staff
//! address cannot keep its owner out.

use crate::crypto::BlindIndexer;
use chrono::NaiveDateTime;

pub const COOKIE: &str = "dsar_device";
/// How long a browser stays known after its last successful login.
pub const VALID_DAYS: i64 = 90;

fn mac(indexer: &BlindIndexer, body: &str) -> String {
    // The blind-index HMAC key under its own namespace: one more keyed hash, no new key file.
    indexer.index("known_device", body)
}

/// The cookie value for `staff_id`, issued at `now`.
pub fn issue(indexer: &BlindIndexer, staff_id: &str, now: NaiveDateTime) -> String {
    let body = format!("{staff_id}.{}", now.and_utc().timestamp());
    format!("{body}.{}", mac(indexer, &body))
}

/// The account a presented cookie vouches for, if it is ours, intact and not expired.
pub fn verify(indexer: &BlindIndexer, value: &str, now: NaiveDateTime) -> Option<String> {
    let (body, presented) = value.rsplit_once('.')?;
    if !crate::crypto::tokens::same(&mac(indexer, body), presented) {
        return None;
    }
    let (staff_id, issued) = body.split_once('.')?;
    let issued: i64 = issued.parse().ok()?;
    let age = now.and_utc().timestamp() - issued;
    (0..=VALID_DAYS * 86_400)
        .contains(&age)
        .then(|| staff_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_intact_unexpired_cookies_vouch() {
        let ix = BlindIndexer::new(&[3; 32]);
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .expect("time")
            .naive_utc();
        let c = issue(&ix, "abc-1", now);
        assert_eq!(verify(&ix, &c, now).as_deref(), Some("abc-1"));
        assert_eq!(verify(&ix, &c.replace("abc-1", "abc-2"), now), None);
        assert_eq!(verify(&BlindIndexer::new(&[4; 32]), &c, now), None);
        let later = now + chrono::Duration::days(VALID_DAYS + 1);
        assert_eq!(verify(&ix, &c, later), None);
        assert_eq!(verify(&ix, "junk", now), None);
    }
}
