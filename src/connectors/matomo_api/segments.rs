//! Matomo segments: how a value is written into one so that it reaches Matomo's SQL
//! unchanged, how Matomo reads it back, and which stored segments erase may run again.

use super::matching::Expect;
use crate::connectors::matomo_ids::malformed;
use crate::connectors::{ConnectorError, Matches};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One segment condition, `name<op>value`, with the value encoded so that it reaches
/// Matomo's SQL unchanged.
///
/// Matomo documents segment values as URL-encoded inside the segment, with `,` and `;`
/// (OR and AND) escaped by a backslash. The whole parameter is then form-encoded by
/// [`super::MatomoApi::call`]. On the way in, Matomo decodes the segment once as a whole
/// (then splits it at unescaped `,`/`;`, dropping the escaping backslash), and then
/// urldecodes each condition and its value once more. Those two extra decodes only change
/// `%` and `+` (every other character survives them), so those two are pre-encoded for
/// them: otherwise an address such as `alice+news@example.com` would be searched as
/// `alice news@example.com` and silently find nothing.
pub(super) fn segment_condition(name: &str, op: &str, value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '%' => escaped.push_str("%2525"),
            '+' => escaped.push_str("%252B"),
            ',' | ';' => {
                escaped.push('\\');
                escaped.push(c);
            }
            c => escaped.push(c),
        }
    }
    let encoded: String = form_urlencoded::byte_serialize(escaped.as_bytes()).collect();
    format!("{name}{op}{encoded}")
}

/// PHP's urldecode: `+` is a space, `%XX` a byte, anything else as is.
fn urldecode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The values Matomo binds for a (form-decoded) segment parameter, condition by
/// condition: decode the whole, split at unescaped `;`/`,`, decode each condition, then
/// each value. Used to recover the exact value a stored segment searches for.
pub(super) fn matomo_values(segment: &str) -> Vec<String> {
    let whole = urldecode(segment);
    let mut operands = Vec::new();
    let mut current = String::new();
    let mut backslash = false;
    for c in whole.chars() {
        if (c == ';' || c == ',') && !backslash {
            operands.push(std::mem::take(&mut current));
        } else {
            if (c == ';' || c == ',') && backslash {
                current.pop();
            }
            current.push(c);
        }
        backslash = c == '\\';
    }
    operands.push(current);
    operands
        .iter()
        .map(|op| {
            let op = urldecode(op);
            let rest = op
                .find(['=', '>', '<'])
                .map_or("", |at| op[at..].trim_start_matches(['=', '>', '<']));
            urldecode(rest)
        })
        .collect()
}

/// The masked-IP range segment (Matomo's default anonymisation: IPv4 a.b.0.0, IPv6 /48).
pub(super) fn masked_ip_segment(ip: &str) -> Option<String> {
    let (low, high) = match ip.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => v4_range(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_range(v4),
            None => {
                let s = v6.segments();
                let low = Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
                let high = Ipv6Addr::new(s[0], s[1], s[2], 0xffff, 0xffff, 0xffff, 0xffff, 0xffff);
                (IpAddr::V6(low), IpAddr::V6(high))
            }
        },
    };
    Some(format!(
        "{};{}",
        segment_condition("visitIp", ">=", &low.to_string()),
        segment_condition("visitIp", "<=", &high.to_string())
    ))
}

fn v4_range(v4: Ipv4Addr) -> (IpAddr, IpAddr) {
    let o = v4.octets();
    (
        IpAddr::V4(Ipv4Addr::new(o[0], o[1], 0, 0)),
        IpAddr::V4(Ipv4Addr::new(o[0], o[1], 255, 255)),
    )
}

/// The strong keys `find` stored as segments, each checked to be exactly one `userId==`
/// or `visitorId==` condition (erase searches with them again, so a segment that could
/// widen the search — an OR, a range, an IP — is refused), with the exact value each
/// stands for: what a returned visit must carry to be acted on.
pub(super) fn strong_segments(matches: &Matches) -> Result<Vec<Expect>, ConnectorError> {
    let Some(list) = matches.refs.get("segments") else {
        return Ok(Vec::new());
    };
    let list = list.as_array().ok_or_else(malformed)?;
    let mut expects = Vec::new();
    for segment in list {
        let segment = segment.as_str().ok_or_else(malformed)?;
        let expect = match segment.split_once("==") {
            Some(("userId", value)) if !value.is_empty() && value.chars().all(is_encoded_char) => {
                match matomo_values(segment).as_slice() {
                    [value] if !value.is_empty() => Some(Expect::UserId(value.clone())),
                    _ => None,
                }
            }
            Some(("visitorId", value)) if is_visitor_id(value) => {
                Some(Expect::VisitorId(value.to_ascii_lowercase()))
            }
            _ => None,
        };
        let Some(expect) = expect else {
            return Err(ConnectorError::Permanent(
                "the matches name a Matomo segment that is not a single user or visitor id".into(),
            ));
        };
        if !expects.contains(&expect) {
            expects.push(expect);
        }
    }
    Ok(expects)
}

/// The characters `segment_condition` can produce for a value: no raw `,` or `;`.
fn is_encoded_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '%' | '+' | '*' | '-' | '.' | '_')
}

pub(super) fn is_visitor_id(v: &str) -> bool {
    v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value as Json};

    #[test]
    fn segment_values_survive_matomos_decoding() {
        for value in [
            "alice@example.com",
            "alice+news@example.com",
            "100%,real;id",
            "back\\slash, and space",
            "ünïcode",
        ] {
            let segment = segment_condition("userId", "==", value);
            assert!(!segment[8..].contains([',', ';']), "{segment}");
            assert_eq!(
                matomo_values(&segment),
                vec![value.to_string()],
                "{segment}"
            );
        }
        // The documented shape for an ordinary address.
        assert_eq!(
            segment_condition("userId", "==", "alice@example.com"),
            "userId==alice%40example.com"
        );
    }

    #[test]
    fn ip_ranges_follow_the_default_mask() {
        let segment = masked_ip_segment("192.168.77.12").unwrap();
        assert_eq!(
            matomo_values(&segment),
            vec!["192.168.0.0".to_string(), "192.168.255.255".to_string()]
        );
        let v6 = masked_ip_segment("2001:db8:abcd:12::1").unwrap();
        assert_eq!(
            matomo_values(&v6),
            vec![
                "2001:db8:abcd::".to_string(),
                "2001:db8:abcd:ffff:ffff:ffff:ffff:ffff".to_string()
            ]
        );
        assert_eq!(masked_ip_segment("nope"), None);
    }

    #[test]
    fn stored_segments_must_be_single_strong_conditions() {
        let with = |segments: Json| Matches {
            refs: json!({"visits": [], "segments": segments}),
            ..Matches::default()
        };
        let plus = segment_condition("userId", "==", "bob+shop@example.com");
        assert_eq!(
            strong_segments(&with(json!([plus, "visitorId==0123456789ABCDEF"]))).unwrap(),
            vec![
                Expect::UserId("bob+shop@example.com".into()),
                Expect::VisitorId("0123456789abcdef".into())
            ]
        );
        for bad in [
            "userId==a,visitIp>=0.0.0.0",
            "userId==a;userId!=b",
            "visitIp>=1.2.0.0",
            "visitorId==nothex",
            "userId==",
        ] {
            assert!(strong_segments(&with(json!([bad]))).is_err(), "{bad}");
        }
    }
}
