//! The languages the portal speaks to people: one set of templates per offered language,
//! and the choice of one from what a browser prefers (`Accept-Language`).
//!
//! Staff pages and staff emails use the organisation's default language
//! (`organisation.language`); a person's pages use the language they chose or their
//! browser prefers, and every email about a request uses the language it was filed in
//! (`requests.language`), so a German filing is answered in German whoever works on it.

use crate::templates::Templates;
use std::path::Path;
use std::sync::Arc;

pub struct Languages {
    /// Offered languages in the organisation's order; the default is among them.
    offered: Vec<(String, Arc<Templates>)>,
    default: Arc<Templates>,
}

impl Languages {
    /// Loads the templates of every offered language; a language without a complete
    /// catalogue stops the start (see `i18n::Catalogue::load`).
    pub fn load(
        overrides: Option<&Path>,
        default: &str,
        offered: &[String],
    ) -> anyhow::Result<Languages> {
        // One compiled set of templates; each language brings its catalogue.
        let compiled = Arc::new(crate::templates::Compiled::load(overrides)?);
        let speaking = |code: &str| Templates::speaking(compiled.clone(), overrides, code);
        let mut loaded = Vec::new();
        for code in offered {
            loaded.push((code.clone(), Arc::new(speaking(code)?)));
        }
        let default = match loaded.iter().find(|(c, _)| c == default) {
            Some((_, t)) => t.clone(),
            None => {
                let t = Arc::new(speaking(default)?);
                loaded.insert(0, (default.to_string(), t.clone()));
                t
            }
        };
        Ok(Languages {
            offered: loaded,
            default,
        })
    }

    /// The organisation's default language: staff pages, staff emails, and anything
    /// that belongs to no request.
    pub fn default(&self) -> &Arc<Templates> {
        &self.default
    }

    /// The templates for `code`, or the default when it is not offered (a request filed
    /// before the organisation stopped offering a language is still answered).
    pub fn get(&self, code: Option<&str>) -> &Templates {
        code.and_then(|c| self.offered(c)).unwrap_or(&self.default)
    }

    /// The templates for `code` when the organisation offers it.
    pub fn offered(&self, code: &str) -> Option<&Templates> {
        self.offered
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, t)| t.as_ref())
    }

    /// The offered languages' codes, in the organisation's order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.offered.iter().map(|(c, _)| c.as_str())
    }

    /// The default language's code.
    pub fn default_code(&self) -> &str {
        self.default.language()
    }

    /// The offered language an `Accept-Language` header prefers most, if any: exact tags
    /// first (`de-AT` offered as `de-AT`), then the primary subtag (`de-AT` → `de`).
    pub fn negotiate(&self, accept_language: &str) -> Option<&str> {
        let preferred = preferences(accept_language);
        preferred.iter().find_map(|tag| {
            self.codes()
                .find(|c| c.eq_ignore_ascii_case(tag))
                .or_else(|| {
                    let primary = tag.split('-').next().unwrap_or(tag);
                    self.codes().find(|c| c.eq_ignore_ascii_case(primary))
                })
        })
    }
}

/// A person's language for one page: its code, and whether they chose it themselves
/// (a link or its cookie) rather than their browser's preferences or the default.
#[derive(Debug, Clone)]
pub struct Choice {
    pub code: String,
    pub chosen: bool,
}

impl Choice {
    /// On a page about one request: the language that request was filed in, unless the
    /// person chose one. A German filing's links open in German on an English phone.
    pub fn about_request(&self, languages: &Languages, filed_in: Option<&str>) -> Choice {
        match filed_in.filter(|c| !self.chosen && languages.offered(c).is_some()) {
            Some(code) => Choice {
                code: code.to_string(),
                chosen: false,
            },
            None => self.clone(),
        }
    }

    pub fn words<'a>(&self, languages: &'a Languages) -> &'a Templates {
        languages.get(Some(&self.code))
    }
}

/// The language tags of an `Accept-Language` header, most preferred first (RFC 9110
/// §12.5.4): `q=0` means "not this one", equal weights keep the header's order, `*`
/// and malformed entries are skipped. At most 20 entries are read, so a long header
/// costs no more than a short one.
pub fn preferences(header: &str) -> Vec<String> {
    let mut weighted: Vec<(u16, usize, String)> = header
        .split(',')
        .take(20)
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let valid = !tag.is_empty()
                && tag.len() <= 35
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !valid {
                return None;
            }
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if !(q > 0.0 && q <= 1.0) {
                return None;
            }
            Some(((q * 1000.0) as u16, i, tag.to_ascii_lowercase()))
        })
        .collect();
    weighted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    weighted.into_iter().map(|(_, _, tag)| tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_follow_weights_then_order() {
        assert_eq!(
            preferences("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"),
            ["fr-ch", "fr", "en", "de"]
        );
        assert_eq!(preferences("de;q=0.5, es"), ["es", "de"]);
        assert_eq!(preferences("en;q=0, de"), ["de"]);
        assert_eq!(preferences("x<y>, ;q=1, de;q=abc"), ["de"]);
        assert!(preferences("").is_empty());
    }

    #[test]
    fn the_default_is_always_loaded_and_unknown_codes_fall_back_to_it() {
        let langs = Languages::load(None, "en", &[]).expect("loads");
        assert_eq!(langs.default_code(), "en");
        assert_eq!(langs.get(Some("tlh")).language(), "en");
        assert_eq!(langs.negotiate("tlh, en-GB;q=0.4"), Some("en"));
        assert_eq!(langs.negotiate("tlh"), None);
    }
}
