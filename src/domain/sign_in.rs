//! How staff sign in, as rules on plain values: the role a provider's groups give,
//! whose password is still accepted when sign-in through the identity provider is the
//! rule, and how each account can sign in (for the accounts page).

use super::roles::Role;
use serde_json::Value;

/// A login as the portal compares it: trimmed and lower-cased (providers differ in
/// the case they send an address in).
pub fn login_of(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The groups named by a claim that is one string or an array of strings; anything
/// else names none (a number or an object is not a group name).
pub fn groups_in(claim: Option<&Value>) -> Vec<String> {
    match claim {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

/// The role `groups` give under the mapping, the highest one when several match
/// (admin over handler over auditor); `None` when no group is mapped.
pub fn role_for(
    groups: &[String],
    admin: &[String],
    handler: &[String],
    auditor: &[String],
) -> Option<Role> {
    let any_of = |mapped: &[String]| groups.iter().any(|g| mapped.contains(g));
    if any_of(admin) {
        Some(Role::Admin)
    } else if any_of(handler) {
        Some(Role::Handler)
    } else if any_of(auditor) {
        Some(Role::Auditor)
    } else {
        None
    }
}

/// Whether the password form may log `email` in: always while password login is on,
/// and otherwise only for a break-glass login.
pub fn password_allowed(password_login: bool, break_glass: &[String], email: &str) -> bool {
    password_login || break_glass.contains(&login_of(email))
}

/// How an account can sign in, as the accounts page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInWays {
    Password,
    Provider,
    PasswordOrProvider,
}

impl SignInWays {
    /// From whether a provider is configured, whether this account's password is
    /// accepted (`password_allowed`) and whether anyone knows it (an account the
    /// provider created has a random one).
    pub fn of(provider: bool, password_accepted: bool, password_usable: bool) -> SignInWays {
        let password = password_accepted && password_usable;
        match (provider, password) {
            (false, _) => SignInWays::Password,
            (true, true) => SignInWays::PasswordOrProvider,
            (true, false) => SignInWays::Provider,
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            SignInWays::Password => crate::i18n::key("staff_accounts.signs_in_password"),
            SignInWays::Provider => crate::i18n::key("staff_accounts.signs_in_provider"),
            SignInWays::PasswordOrProvider => crate::i18n::key("staff_accounts.signs_in_either"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_group_claim_is_a_string_or_a_list_of_strings() {
        assert_eq!(groups_in(Some(&json!("dsar-admins"))), ["dsar-admins"]);
        assert_eq!(groups_in(Some(&json!(["a", 3, "b"]))), ["a", "b"]);
        assert!(groups_in(Some(&json!({"a": 1}))).is_empty());
        assert!(groups_in(None).is_empty());
    }

    #[test]
    fn the_highest_mapped_role_wins_and_unmapped_groups_give_none() {
        let (admin, handler, auditor) = (names(&["adm"]), names(&["priv"]), names(&["audit"]));
        let role = |g: &[&str]| role_for(&names(g), &admin, &handler, &auditor);
        assert_eq!(role(&["audit", "priv"]), Some(Role::Handler));
        assert_eq!(role(&["priv", "adm"]), Some(Role::Admin));
        assert_eq!(role(&["audit"]), Some(Role::Auditor));
        assert_eq!(role(&["everyone"]), None);
        assert_eq!(role(&["ADM"]), None, "group names are compared exactly");
    }

    #[test]
    fn break_glass_keeps_the_password_when_it_is_off() {
        let glass = names(&["root@x.example"]);
        assert!(password_allowed(true, &glass, "anyone@x.example"));
        assert!(!password_allowed(false, &glass, "anyone@x.example"));
        assert!(password_allowed(false, &glass, " Root@X.example "));
    }

    #[test]
    fn sign_in_ways() {
        assert_eq!(SignInWays::of(false, true, true), SignInWays::Password);
        assert_eq!(
            SignInWays::of(true, true, true),
            SignInWays::PasswordOrProvider
        );
        assert_eq!(SignInWays::of(true, true, false), SignInWays::Provider);
        assert_eq!(SignInWays::of(true, false, true), SignInWays::Provider);
    }
}
