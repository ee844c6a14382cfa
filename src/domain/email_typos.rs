//! "Did you mean jane@gmail.com?": likely typos in the domain of an email address.
//!
//! A request whose verification link goes to `gmial.con` is lost: the person waits for
//! an email that never comes. This finds the domains people most often mistype (the big
//! mail providers, and `.com`/`.net`/`.org` endings) and proposes the likely one. It
//! only ever proposes: the person chooses, so an uncommon but real domain is never
//! changed behind their back. Pure: no DNS, no lists downloaded.

/// Mail providers whose domains are compared by edit distance. Only names long enough
/// that one slip cannot turn another real domain into them (`me.com`, `aol.com` and the
/// like are left out, or `mc.com` would be "corrected").
const PROVIDERS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.de",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "hotmail.de",
    "outlook.com",
    "icloud.com",
    "protonmail.com",
    "proton.me",
    "comcast.net",
    "verizon.net",
    "sbcglobal.net",
    "btinternet.com",
    "yandex.ru",
    "live.com",
    "mail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "aol.com",
    "me.com",
    "msn.com",
    "att.net",
];

/// Top-level domains that do not exist but are one slip away from one that does.
const TLD_TYPOS: &[(&str, &str)] = &[
    ("con", "com"),
    ("cmo", "com"),
    ("ocm", "com"),
    ("cpm", "com"),
    ("vom", "com"),
    ("xom", "com"),
    ("comm", "com"),
    ("coom", "com"),
    ("copm", "com"),
    ("nte", "net"),
    ("ent", "net"),
    ("nett", "net"),
    ("ogr", "org"),
    ("rog", "org"),
    ("orgg", "org"),
];

/// The shortest provider name (before the first dot) matched by edit distance.
const MIN_FUZZY_NAME: usize = 5;

/// The address the person probably meant, or None when `email` looks as intended (or
/// is not an address at all). The local part is kept exactly as typed.
pub fn suggest(email: &str) -> Option<String> {
    let email = email.trim();
    let (local, domain) = email.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    let typed = domain.to_ascii_lowercase();
    let meant = likely_domain(&typed)?;
    (meant != typed).then(|| format!("{local}@{meant}"))
}

fn likely_domain(domain: &str) -> Option<String> {
    if PROVIDERS.contains(&domain) {
        return None;
    }
    // `jane@gmail`: a provider's name with no ending at all.
    if !domain.contains('.') {
        return PROVIDERS
            .iter()
            .filter(|p| name_of(p).len() >= MIN_FUZZY_NAME || name_of(p) == domain)
            .find(|p| distance(name_of(p), domain) <= 1)
            .map(|p| p.to_string());
    }
    let fixed = fix_tld(domain);
    if PROVIDERS.contains(&fixed.as_str()) {
        return Some(fixed);
    }
    closest_provider(&fixed).or_else(|| (fixed != domain).then_some(fixed))
}

/// The domain with a mistyped ending replaced (`example.con` → `example.com`).
fn fix_tld(domain: &str) -> String {
    let (rest, tld) = domain.rsplit_once('.').unwrap_or(("", domain));
    match TLD_TYPOS.iter().find(|(typo, _)| *typo == tld) {
        Some((_, real)) if !rest.is_empty() => format!("{rest}.{real}"),
        _ => domain.to_string(),
    }
}

/// The one provider one slip from `domain` (two would reach real domains: `yahoo.co.jp`
/// is two from `yahoo.co.uk`); None when none is, or two are equally near
/// (then there is no telling which was meant).
fn closest_provider(domain: &str) -> Option<String> {
    let mut best: Option<(&str, usize)> = None;
    let mut tied = false;
    for p in PROVIDERS
        .iter()
        .filter(|p| name_of(p).len() >= MIN_FUZZY_NAME)
    {
        let d = distance(p, domain);
        if d > 1 {
            continue;
        }
        match best {
            Some((_, b)) if d > b => {}
            Some((_, b)) if d == b => tied = true,
            _ => {
                best = Some((p, d));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(p, _)| p.to_string())
}

fn name_of(provider: &str) -> &str {
    provider.split('.').next().unwrap_or(provider)
}

/// Edit distance counting a swap of two neighbours as one slip (optimal string
/// alignment), since `gmial` is one slip from `gmail`, not two.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(email: &str) -> Option<String> {
        suggest(email)
    }

    #[test]
    fn common_provider_typos_are_caught() {
        for (typed, meant) in [
            ("jane@gmial.com", "jane@gmail.com"),
            ("jane@gmial.con", "jane@gmail.com"),
            ("jane@hotmial.com", "jane@hotmail.com"),
            ("jane@yahoo.co", "jane@yahoo.com"),
            ("jane@gmail.co", "jane@gmail.com"),
            ("jane@outlok.com", "jane@outlook.com"),
            ("jane@icloud.cmo", "jane@icloud.com"),
            ("jane@hotmial.co.uk", "jane@hotmail.co.uk"),
        ] {
            assert_eq!(s(typed).as_deref(), Some(meant), "{typed}");
        }
    }

    #[test]
    fn a_missing_ending_is_caught() {
        assert_eq!(s("jane@gmail").as_deref(), Some("jane@gmail.com"));
        assert_eq!(s("jane@hotmail").as_deref(), Some("jane@hotmail.com"));
        assert_eq!(s("jane@gmal").as_deref(), Some("jane@gmail.com"));
    }

    #[test]
    fn a_mistyped_ending_is_caught_on_any_domain() {
        assert_eq!(s("ann@example.con").as_deref(), Some("ann@example.com"));
        assert_eq!(s("ann@acme.ogr").as_deref(), Some("ann@acme.org"));
        assert_eq!(s("ann@acme.nte").as_deref(), Some("ann@acme.net"));
    }

    #[test]
    fn real_domains_are_left_alone() {
        for typed in [
            "jane@gmail.com",
            "Jane@Gmail.com",
            "ann@example.com",
            "ann@example.co",
            "ann@mc.com",
            "ann@mail.com",
            "ann@gmx.de",
            "ann@company.io",
            "ann@love.com",
            "ann@yahoo.co.jp",
            "not an address",
            "@gmail",
        ] {
            assert_eq!(s(typed), None, "{typed}");
        }
    }

    #[test]
    fn the_local_part_is_kept_as_typed() {
        assert_eq!(
            s("Jane.Doe+dsar@GMIAL.COM").as_deref(),
            Some("Jane.Doe+dsar@gmail.com")
        );
    }

    #[test]
    fn a_swap_is_one_slip() {
        assert_eq!(distance("gmial", "gmail"), 1);
        assert_eq!(distance("gmail", "gmail"), 0);
        assert_eq!(distance("abc", ""), 3);
    }
}
