//! What every answer to a request tells the person besides the staff member's own words.

use crate::db::models::requests::RequestRow;
use crate::domain::decisions;
use crate::domain::kinds::RequestKind;
use crate::domain::state::Status;
use crate::error::AppError;
use crate::state::AppState;
use serde_json::Value;

/// What every answer (a refusal, or a fulfilment in whole or in part) tells the person
/// besides its own words, added to `data`: the complaint rights the GDPR names, the
/// appeal the US state laws give against a refusal in whole or in part, and for a
/// deletion what CCPA regulations §7022 ask: that a record of the request is kept, and,
/// where a deletion was refused in whole or in part by an organisation that sells or
/// shares personal information, the offer to opt out of that instead.
pub fn answer_notice(
    state: &AppState,
    row: &RequestRow,
    to: Status,
    in_part: bool,
    mut data: Value,
) -> Result<Value, AppError> {
    let jurisdiction = row.jurisdiction;
    let refused_in_part = to == Status::Denied || in_part;
    let offer_opt_out = refused_in_part
        && decisions::offer_opt_out_after_deletion(
            row.kind,
            jurisdiction,
            state.settings.organisation.sells_or_shares,
        );
    if let Value::Object(map) = &mut data {
        map.insert(
            "gdpr".into(),
            decisions::refusal_names_complaint_rights(row.regime).into(),
        );
        // The CCPA names no complaint right in the answer, but anyone may complain to
        // the CPPA: the person is told where, like the GDPR's supervisory authority.
        map.insert(
            "regulator".into(),
            (refused_in_part && row.regime == crate::domain::deadlines::Regime::Ccpa).into(),
        );
        map.insert(
            "can_appeal".into(),
            decisions::answer_can_be_appealed(row.regime, row.kind, to, in_part).into(),
        );
        map.insert(
            "deletion".into(),
            (row.kind == RequestKind::Deletion).into(),
        );
        map.insert(
            "record_months".into(),
            state.settings.staff.retention_months.into(),
        );
        map.insert(
            "opt_out_url".into(),
            offer_opt_out
                .then(|| format!("{}/opt-out", state.public_url))
                .into(),
        );
    }
    Ok(data)
}
