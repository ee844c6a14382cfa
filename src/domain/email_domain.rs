//! The part of an email address after the `@`: what the mailer can deliver to, and how
//! staff are shown an international one.
//!
//! The syntax check (`validator`) accepts forms no mail goes to from here: address
//! literals (`a@[127.0.0.1]`), single labels (`a@localhost`), labels that begin or end
//! with '-', labels over 63 characters, dotted IPs. Such an address was accepted and its
//! mail then failed in the outbox with nobody told. `check` refuses them at intake.
//!
//! An international domain can look exactly like another (`exаmple.com` with a Cyrillic
//! `а`). Staff see such a domain with its ASCII (`xn--`) form beside it, and a warning
//! when one of its labels mixes Latin, Cyrillic or Greek letters, the scripts whose
//! look-alikes are used for this.

use crate::i18n::{msg, Message};

/// Refuses a domain the mailer cannot deliver to, with the message for the field.
pub fn check(domain: &str) -> Result<(), Message> {
    if domain.starts_with('[') {
        return Err(msg("intake.email_address_literal"));
    }
    // UTS #46 with STD3 rules: letters, digits and '-' only, no '-' at either end of a
    // label, labels of 1–63 and names of at most 253 octets in their ASCII form.
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| domain_invalid())?;
    let labels: Vec<&str> = ascii.split('.').collect();
    // One label is a local host name; an all-digit last label is a dotted IP address.
    let top = labels.last().copied().unwrap_or_default();
    if labels.len() < 2
        || labels.iter().any(|l| l.is_empty())
        || top.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(domain_invalid());
    }
    Ok(())
}

fn domain_invalid() -> Message {
    msg("intake.email_domain_invalid")
}

/// How staff should see a domain that is not plain ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The domain as DNS knows it (`xn--…`), which no look-alike letter survives.
    pub ascii: String,
    /// A label mixes Latin, Cyrillic or Greek letters.
    pub mixed_scripts: bool,
}

/// For an address whose domain is not ASCII, its ASCII form and whether it mixes
/// scripts; None for an ASCII domain (or something that is not an address).
pub fn shown(email: &str) -> Option<Shown> {
    let (_, domain) = email.rsplit_once('@')?;
    if domain.is_ascii() {
        return None;
    }
    let ascii = idna::domain_to_ascii(domain).ok()?;
    let mixed_scripts = domain.split('.').any(mixes_scripts);
    Some(Shown {
        ascii,
        mixed_scripts,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
}

/// The script of a letter among the three whose letters look alike, from the Unicode
/// block ranges (Basic Latin letters, Latin-1 Supplement and Latin Extended-A/B,
/// Latin Extended Additional; Greek and Coptic, Greek Extended; Cyrillic, its
/// Supplement and Extended-A/B/C). Digits, '-' and other scripts count as none.
fn script(c: char) -> Option<Script> {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => {
            Some(Script::Latin)
        }
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
        '\u{0400}'..='\u{052F}'
        | '\u{1C80}'..='\u{1C8F}'
        | '\u{2DE0}'..='\u{2DFF}'
        | '\u{A640}'..='\u{A69F}' => Some(Script::Cyrillic),
        _ => None,
    }
}

/// A label written in more than one of Latin, Greek and Cyrillic. A label in one of
/// them (`яндекс`, `bücher`) is not; a whole label of look-alikes in one script is not
/// caught here, which is why the ASCII form is always shown beside it.
fn mixes_scripts(label: &str) -> bool {
    let mut seen = label.chars().filter_map(script);
    match seen.next() {
        Some(first) => seen.any(|s| s != first),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_no_mail_reaches() {
        for bad in [
            "[127.0.0.1]",
            "[IPv6:::1]",
            "localhost",
            "-example.com",
            "example-.com",
            "ex_ample.com",
            "example..com",
            "192.168.0.1",
            "example.com.",
            &format!("{}.com", "x".repeat(64)),
            &format!("{}.com", ["abcdefghi"; 26].join(".")),
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        for good in [
            "example.com",
            "mail.example.co.uk",
            "bücher.de",
            "xn--bcher-kva.de",
            "1and1.com",
        ] {
            assert!(check(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn shows_ascii_forms_and_mixed_scripts() {
        assert_eq!(shown("jane@example.com"), None);
        let spoof = shown("jane@ex\u{430}mple.com").expect("non-ASCII");
        assert_eq!(spoof.ascii, "xn--exmple-4nf.com");
        assert!(spoof.mixed_scripts);
        let greek = shown("jane@p\u{3bf}st.example").expect("non-ASCII");
        assert!(greek.mixed_scripts, "Greek omicron among Latin letters");
        for one_script in ["jane@bücher.de", "jane@яндекс.рф", "jane@яндекс.com"] {
            let s = shown(one_script).expect("non-ASCII");
            assert!(!s.mixed_scripts, "{one_script}");
            assert!(s.ascii.starts_with("xn--"), "{one_script}");
        }
    }
}
