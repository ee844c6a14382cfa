//! `[organisation]`, `[[identifiers]]` and `[report]`: who the portal speaks for, what it
//! asks a person for, and what its access report tells them.

use crate::domain::kinds::Jurisdiction;
use crate::i18n::key;
use crate::templates::Templates;
use anyhow::bail;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    pub contact_email: String,
    pub privacy_policy_url: String,
    /// Data protection officer or privacy contact shown on pages, if different.
    pub dpo_contact: Option<String>,
    /// Where GDPR/UK GDPR complaints can go (told to the person with every refusal),
    /// for every place that `complaint_authorities` does not name and the portal has no
    /// default for. Unset: the catalogue's words ("the data protection authority of the
    /// country where you live or work"), in the person's language.
    pub supervisory_authority: Option<String>,
    /// The authority a person can complain to, per place they live (`eu`, `uk`,
    /// `california`, `us_other`, `other`): named in refusals, partial answers, refused
    /// appeals and the access report. Places not named here get the catalogue's
    /// defaults (the ICO for the UK, the California Privacy Protection Agency, the
    /// state's Attorney General), in the person's language; see
    /// [`Organisation::complaint_authority`].
    pub complaint_authorities: BTreeMap<String, String>,
    /// Whether the organisation sells or shares personal information (CCPA). A refused
    /// deletion then asks whether the person wants to opt out instead (CCPA regulations
    /// §7022).
    pub sells_or_shares: bool,
    /// The default language: staff pages, and a person's pages when their browser
    /// prefers none of `languages` (a catalogue in `locales/`, see `src/i18n.rs`).
    pub language: String,
    /// The languages offered to people, chosen from `Accept-Language` or a link on every
    /// page; every email about a request goes out in the language it was filed in.
    /// Default: every built-in language. `[]` offers only `language`.
    pub languages: Vec<String>,
    /// Header, link and button colour, a hex colour dark enough for white text on it.
    pub primary_colour: String,
    /// A PNG, JPEG or SVG logo read at start and served at `/static/logo`.
    pub logo_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifierConfig {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub required: bool,
}

/// What the access report tells a person (GDPR Art. 15(1), CCPA §1798.110).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Report {
    pub categories: Vec<DataCategory>,
    /// Safeguards for transfers outside the EEA/UK (Art. 15(2)).
    pub transfer_safeguards: String,
    pub automated_decisions: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataCategory {
    pub name: String,
    pub examples: String,
    pub sources: Vec<String>,
    pub purposes: Vec<String>,
    pub legal_basis: String,
    pub recipients: Vec<String>,
    pub retention: String,
    pub sold_or_shared: bool,
}

impl Default for Organisation {
    fn default() -> Self {
        Organisation {
            name: "Example Organisation".into(),
            contact_email: "privacy@example.com".into(),
            privacy_policy_url: "https://example.com/privacy".into(),
            dpo_contact: None,
            supervisory_authority: None,
            complaint_authorities: BTreeMap::new(),
            sells_or_shares: false,
            language: "en".into(),
            languages: crate::i18n::built_in_codes().map(str::to_string).collect(),
            primary_colour: "#1d4e89".into(),
            logo_file: None,
        }
    }
}

/// Who hears complaints where the law names someone other than the EU authorities: the
/// UK's regulator (UK GDPR Art. 77), the CCPA's enforcement agency, and the Attorneys
/// General that VA, CO, CT and the laws like them name for a refused appeal. Catalogue
/// keys, so a German refusal names them in German.
fn default_complaint_authority(jurisdiction: &str) -> Option<&'static str> {
    match jurisdiction {
        "uk" => Some(key("complaint_authorities.uk")),
        "california" => Some(key("complaint_authorities.california")),
        "us_other" => Some(key("complaint_authorities.us_other")),
        _ => None,
    }
}

impl Organisation {
    /// A usable colour, and complaint authorities only for places the portal knows.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        crate::branding::primary_colour(&self.primary_colour)?;
        if !self.languages.is_empty() && !self.languages.contains(&self.language) {
            bail!(
                "organisation.languages = {:?} must include the default language \
                 organisation.language = {:?}",
                self.languages,
                self.language
            );
        }
        if let Some(place) = self
            .complaint_authorities
            .keys()
            .find(|k| Jurisdiction::parse(k).is_none())
        {
            bail!(
                "organisation.complaint_authorities names {place:?}, which is not a place the \
                 portal knows (eu, uk, california, us_other, other)"
            );
        }
        Ok(())
    }

    /// The authority a person who lives in `jurisdiction` (a stored code) can complain
    /// to, in `words`' language where the organisation did not name it: the configured
    /// one for that place, else the portal's default for that place, else
    /// `supervisory_authority`, else the catalogue's general words.
    pub fn complaint_authority(&self, jurisdiction: &str, words: &Templates) -> String {
        let configured =
            |a: Option<&String>| a.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
        configured(self.complaint_authorities.get(jurisdiction))
            .or_else(|| default_complaint_authority(jurisdiction).map(|k| words.phrase(k, &[])))
            .or_else(|| configured(self.supervisory_authority.as_ref()))
            .unwrap_or_else(|| words.phrase(key("complaint_authorities.default"), &[]))
    }
}
