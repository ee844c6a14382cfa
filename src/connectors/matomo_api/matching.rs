//! Which returned visits are the person's.
//!
//! Matomo turns `userId==` into `log_visit.user_id = ?` on a column in
//! `utf8mb4_general_ci`, which ignores case (and many accents) and, being PAD SPACE,
//! trailing spaces: a search for `alice@example.com` also returns the visits of
//! `ALICE@example.com` and `alice@example.com `, other accounts. So each returned visit
//! is compared with the key exactly, byte for byte, as the database mode does with a
//! binary comparison, and only exact matches are exported or erased; the rest are
//! counted as "not this person". `visitorId==` compares the BINARY(8) column with the
//! value's bytes (Matomo's `Common::convertVisitorIdToBin`), so it is exact already; it
//! is checked the same way all the same, since erase acts on what comes back.

use super::paging::Row;
use super::segments::segment_condition;

/// What a strong key's visits must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Expect {
    /// The user id as Matomo stored it (with "pseudonymise user id": sha1(uid . salt)).
    UserId(String),
    /// A visitor id, 16 lower-case hex digits.
    VisitorId(String),
}

impl Expect {
    /// The search that finds this key's visits (and, for a user id, its look-alikes).
    pub(super) fn segment(&self) -> String {
        match self {
            Expect::UserId(uid) => segment_condition("userId", "==", uid),
            Expect::VisitorId(hex) => segment_condition("visitorId", "==", hex),
        }
    }

    /// True when the visit carries exactly this key.
    pub(super) fn accepts(&self, row: &Row) -> bool {
        match self {
            Expect::UserId(uid) => row.user_id.as_deref() == Some(uid.as_str()),
            // Matomo writes the bytes as lower-case hex (bin2hex); compared as bytes.
            Expect::VisitorId(hex) => row
                .visitor_id
                .as_deref()
                .and_then(|got| ::hex::decode(got).ok())
                .is_some_and(|got| ::hex::decode(hex).is_ok_and(|want| got == want)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn row(user_id: Option<&str>, visitor_id: &str) -> Row {
        Row {
            idsite: 1,
            idvisit: 1,
            user_id: user_id.map(str::to_string),
            visitor_id: Some(visitor_id.to_string()),
            last_action: NaiveDate::from_ymd_opt(2025, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .expect("a date"),
        }
    }

    #[test]
    fn user_ids_match_byte_for_byte_only() {
        let alice = Expect::UserId("alice@example.com".into());
        assert!(alice.accepts(&row(Some("alice@example.com"), "00")));
        for other in [
            "ALICE@example.com",
            "alice@example.com ",
            "alicé@example.com",
        ] {
            assert!(!alice.accepts(&row(Some(other), "00")), "{other:?}");
        }
        assert!(!alice.accepts(&row(None, "00")));
    }

    #[test]
    fn visitor_ids_match_as_bytes() {
        let v = Expect::VisitorId("d00dfeedd00dfeed".into());
        assert!(v.accepts(&row(None, "d00dfeedd00dfeed")));
        assert!(v.accepts(&row(None, "D00DFEEDD00DFEED")), "same bytes");
        assert!(!v.accepts(&row(None, "d00dfeedd00dfeee")));
        assert!(!v.accepts(&row(None, "not hex")));
    }
}
