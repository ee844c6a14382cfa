//! `[staff.oidc]`: staff sign in through the organisation's identity provider (OpenID
//! Connect: Okta, Entra ID, Google Workspace, Keycloak…). The client secret is read from
//! the environment or a file, never written in the configuration file.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::PathBuf;

/// The portal's path the provider sends people back to (`<public_url>` before it).
pub const CALLBACK_PATH: &str = "/staff/login/oidc/callback";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The provider's issuer URL; its discovery document is at
    /// `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The ID token claim holding the staff member's email address.
    #[serde(default = "default_email_claim")]
    pub email_claim: String,
    /// The provider's name on the login button ("Sign in with {provider}").
    pub display_name: String,
    /// Where a staff member's role comes from.
    #[serde(default)]
    pub roles: RoleSource,
    /// With `roles = "claim"`: the claim listing the person's groups (a string or an
    /// array of strings), e.g. "groups".
    #[serde(default)]
    pub role_claim: Option<String>,
    /// With `roles = "claim"`: which groups give which role (the highest one wins).
    #[serde(default)]
    pub groups: RoleGroups,
    /// Whether staff may still log in with a password. When false, only the
    /// `break_glass` accounts may, at `/staff/login?password`.
    #[serde(default = "default_true")]
    pub password_login: bool,
    /// Accounts that keep password login when `password_login = false` (default: the
    /// first administrator's login).
    #[serde(default)]
    pub break_glass: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleSource {
    /// Only accounts an administrator created sign in, matched by email; they keep
    /// the role the administrator gave them.
    #[default]
    Accounts,
    /// The provider's group claim decides the role; an unknown person in a mapped
    /// group gets an account, and a known one's role follows the claim at each login.
    Claim,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoleGroups {
    pub admin: Vec<String>,
    pub handler: Vec<String>,
    pub auditor: Vec<String>,
}

impl RoleGroups {
    fn is_empty(&self) -> bool {
        self.admin.is_empty() && self.handler.is_empty() && self.auditor.is_empty()
    }
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

fn default_email_claim() -> String {
    "email".into()
}

fn default_true() -> bool {
    true
}

impl OidcSettings {
    /// The client secret, from `client_secret_env` or `client_secret_file`.
    pub fn client_secret(&self) -> anyhow::Result<String> {
        let secret = super::secrets::read(
            "staff.oidc",
            "client_secret",
            &self.client_secret_env,
            &self.client_secret_file,
        )?
        .context("staff.oidc needs client_secret_env or client_secret_file")?;
        if secret.is_empty() {
            bail!("staff.oidc: the client secret is empty");
        }
        Ok(secret)
    }

    /// The logins that keep password login when it is off for everyone else,
    /// lower-cased; `first_admin` when none are listed.
    pub fn break_glass_logins(&self, first_admin: &str) -> Vec<String> {
        let listed: Vec<String> = self
            .break_glass
            .iter()
            .map(|e| e.trim().to_lowercase())
            .collect();
        if listed.is_empty() {
            vec![first_admin.trim().to_lowercase()]
        } else {
            listed
        }
    }

    /// Said once at start, in plain words.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        check_issuer(&self.issuer)?;
        if self.client_id.trim().is_empty() {
            bail!("staff.oidc.client_id must be set");
        }
        if self.client_secret_env.is_some() && self.client_secret_file.is_some() {
            bail!("staff.oidc: set client_secret_env or client_secret_file, not both");
        }
        self.client_secret()?;
        if !self.scopes.iter().any(|s| s == "openid") {
            bail!("staff.oidc.scopes must include \"openid\"");
        }
        if self.email_claim.trim().is_empty() {
            bail!("staff.oidc.email_claim must name a claim");
        }
        let name = self.display_name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            bail!("staff.oidc.display_name must be the provider's name (1 to 60 characters)");
        }
        match self.roles {
            RoleSource::Claim => {
                if self
                    .role_claim
                    .as_deref()
                    .is_none_or(|c| c.trim().is_empty())
                {
                    bail!("staff.oidc: roles = \"claim\" needs role_claim (e.g. \"groups\")");
                }
                if self.groups.is_empty() {
                    bail!("staff.oidc: roles = \"claim\" needs [staff.oidc.groups] naming at least one group for admin, handler or auditor");
                }
            }
            RoleSource::Accounts => {
                if self.role_claim.is_some() || !self.groups.is_empty() {
                    bail!("staff.oidc: role_claim and [staff.oidc.groups] are read only with roles = \"claim\"");
                }
            }
        }
        if let Some(bad) = self.break_glass.iter().find(|e| !e.contains('@')) {
            bail!("staff.oidc.break_glass: {bad:?} is not an email address");
        }
        Ok(())
    }
}

/// An issuer must be reached over https; plain http only on this machine (tests,
/// a provider beside the portal).
fn check_issuer(issuer: &str) -> anyhow::Result<()> {
    let url = reqwest::Url::parse(issuer)
        .with_context(|| format!("staff.oidc.issuer {issuer:?} is not a URL"))?;
    if url.query().is_some() || url.fragment().is_some() {
        bail!("staff.oidc.issuer must not carry a query or fragment");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => {
            bail!("staff.oidc.issuer must start with https:// (http:// only on a loopback address)")
        }
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OidcSettings {
        std::env::set_var("STAFF_OIDC_TEST_SECRET", "s3cret");
        OidcSettings {
            issuer: "https://login.example.com".into(),
            client_id: "dsar".into(),
            client_secret_env: Some("STAFF_OIDC_TEST_SECRET".into()),
            client_secret_file: None,
            scopes: default_scopes(),
            email_claim: default_email_claim(),
            display_name: "Okta".into(),
            roles: RoleSource::Accounts,
            role_claim: None,
            groups: RoleGroups::default(),
            password_login: true,
            break_glass: vec![],
        }
    }

    #[test]
    fn issuers_must_be_https_but_on_loopback() {
        for ok in [
            "https://login.example.com",
            "http://127.0.0.1:8443",
            "http://[::1]:9000/realms/x",
            "http://localhost:8080",
        ] {
            assert!(check_issuer(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://login.example.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "https://x.example/?a=b",
            "not a url",
        ] {
            assert!(check_issuer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_claim_mapping_needs_a_claim_and_groups() {
        let mut s = settings();
        assert!(s.check().is_ok());
        s.roles = RoleSource::Claim;
        assert!(s.check().is_err(), "no role_claim");
        s.role_claim = Some("groups".into());
        assert!(s.check().is_err(), "no groups");
        s.groups.handler = vec!["privacy".into()];
        assert!(s.check().is_ok());
        s.roles = RoleSource::Accounts;
        assert!(s.check().is_err(), "groups without roles = claim");
    }

    #[test]
    fn the_secret_must_be_given_and_not_inline() {
        let mut s = settings();
        s.client_secret_env = None;
        assert!(s.check().is_err());
        s.client_secret_env = Some("STAFF_OIDC_TEST_UNSET_VARIABLE".into());
        assert!(s.check().is_err());
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-a-file\n").expect("write");
        s.client_secret_env = None;
        s.client_secret_file = Some(file);
        assert_eq!(s.client_secret().expect("secret"), "from-a-file");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure returns figment's error type
    fn the_section_is_read_from_the_file_with_its_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("secret", "from-a-file\n")?;
            jail.create_file(
                "portal.toml",
                "[staff.oidc]\nissuer = \"https://login.example.com\"\nclient_id = \"dsar\"\n\
                 client_secret_file = \"secret\"\ndisplay_name = \"Okta\"\nroles = \"claim\"\n\
                 role_claim = \"groups\"\n[staff.oidc.groups]\nadmin = [\"dsar-admins\"]\n",
            )?;
            let s = crate::config::Settings::load(Some(std::path::Path::new("portal.toml")))
                .expect("loads");
            let o = s.staff.oidc.expect("section");
            assert_eq!(o.roles, RoleSource::Claim);
            assert_eq!(o.groups.admin, ["dsar-admins"]);
            assert_eq!(o.scopes, ["openid", "email", "profile"]);
            assert_eq!(o.email_claim, "email");
            assert!(o.password_login);
            // A secret written in the file itself is an unknown key.
            jail.create_file(
                "inline.toml",
                "[staff.oidc]\nissuer = \"https://login.example.com\"\nclient_id = \"dsar\"\n\
                 client_secret = \"s3cret\"\ndisplay_name = \"Okta\"\n",
            )?;
            let err = crate::config::Settings::load(Some(std::path::Path::new("inline.toml")))
                .expect_err("refused");
            assert!(err.to_string().contains("client_secret"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn break_glass_defaults_to_the_first_admin() {
        let mut s = settings();
        assert_eq!(
            s.break_glass_logins(" Admin@X.example"),
            ["admin@x.example"]
        );
        s.break_glass = vec!["Root@X.example ".into()];
        assert_eq!(s.break_glass_logins("admin@x.example"), ["root@x.example"]);
    }
}
