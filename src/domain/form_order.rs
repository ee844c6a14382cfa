//! The order of the request form's fields, top to bottom. The error summary lists its
//! problems in this order, so that reading it and tabbing through the form agree (field
//! errors are kept in a map sorted by name, which is not the order a person sees).

/// Field names as `FieldErrors` keys them; identifiers (`identifiers.<name>`) sit where
/// `identifiers` is.
const ORDER: &[&str] = &[
    "jurisdiction",
    "agent",
    "agent_name",
    "agent_email",
    "agent_organisation",
    "agent_registration_number",
    "agent_authority",
    "agent_document",
    "kind",
    "name",
    "email",
    "identifiers",
    "correction_current",
    "correction_requested",
    "details",
];

/// Where `field` comes in the form; unknown fields go last, in name order.
pub fn position(field: &str) -> usize {
    let base = field.split('.').next().unwrap_or(field);
    ORDER.iter().position(|f| *f == base).unwrap_or(ORDER.len())
}

/// `fields` sorted as the form shows them (stable, so identifiers keep their order).
pub fn sort<T>(fields: &mut [(String, T)]) {
    fields.sort_by_key(|(name, _)| position(name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_follows_the_form_not_the_alphabet() {
        let mut fields: Vec<(String, ())> = [
            "name",
            "email",
            "details",
            "agent_email",
            "kind",
            "identifiers.account_id",
            "agent",
        ]
        .iter()
        .map(|f| (f.to_string(), ()))
        .collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        sort(&mut fields);
        let names: Vec<_> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "agent",
                "agent_email",
                "kind",
                "name",
                "email",
                "identifiers.account_id",
                "details"
            ]
        );
    }
}
