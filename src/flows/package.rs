//! Delivering an access request: build the package from the finished export runs,
//! store it encrypted, and email the person a download link (its own token, limited
//! in time and in downloads).

use super::emails;
use super::links::issue_token;
use super::request_change::{self as change, Entry};
use crate::connectors::Records;
use crate::crypto::tokens;
use crate::db::models::connector_runs::{self as runs, RESULT_CONTEXT};
use crate::db::models::exports::{self, ExportRow, PACKAGE_CONTEXT};
use crate::db::models::requests::{self, RequestRow};
use crate::db::models::tokens::{self as token_rows, Purpose};
use crate::db::{write_tx, DbConn};
use crate::domain::kinds::RequestKind;
use crate::domain::runs::{RunAction, RunStatus};
use crate::domain::state::Status;
use crate::error::AppError;
use crate::i18n::msg;
use crate::package::{self, ManualFile, PackageInput, SystemExport};
use crate::state::AppState;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use serde_json::json;

pub fn can_send(row: &RequestRow) -> bool {
    matches!(row.kind, RequestKind::Access | RequestKind::Portability)
        && row.status == Status::InProgress
}

/// Builds and sends the package; returns the number of files in it.
pub fn create_and_send(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let row = requests::find(conn, request_id)?;
    if !can_send(&row) {
        return Err(AppError::Conflict(msg("errors.package_not_possible")));
    }
    // The latest finished export of each system.
    let mut latest: std::collections::BTreeMap<String, String> = Default::default();
    for run in runs::for_request(conn, request_id)? {
        if run.action == RunAction::Export && run.status == RunStatus::Done {
            if let Some(sealed) = run.result_enc {
                latest.insert(run.connector, sealed);
            }
        }
    }
    let manual_files = manual_files(state, conn, request_id)?;
    if latest.is_empty() && manual_files.is_empty() && !state.connectors.is_empty() {
        return Err(AppError::Conflict(msg("errors.export_first")));
    }
    let mut systems = Vec::new();
    for (name, sealed) in latest {
        let plain = state
            .cipher
            .decrypt(RESULT_CONTEXT, &sealed)
            .map_err(AppError::internal)?;
        let records: Records = serde_json::from_str(&plain).map_err(AppError::internal)?;
        systems.push(SystemExport { name, records });
    }
    // The report speaks the language the request was filed in, like its emails.
    let words = state.words(row.language.as_deref());
    let input = PackageInput {
        reference: &row.reference,
        kind_label: &words.label(row.kind.label_key()),
        regime_label: &words.label(row.regime.label_key()),
        jurisdiction: row.jurisdiction.as_str(),
        received_on: words.date(row.received_at.date()),
        generated_on: words.date(now.date()),
        systems,
        manual_files,
    };
    let (bytes, files) =
        package::build(&state.settings, words, &input).map_err(AppError::internal)?;
    let sealed = state.cipher.encrypt(PACKAGE_CONTEXT, &B64.encode(&bytes));
    let v = &state.settings.verification;
    write_tx(conn, |conn| {
        let export = ExportRow {
            id: crate::clock::new_id(),
            request_id: row.id.clone(),
            package_enc: Some(sealed),
            size_bytes: bytes.len() as i64,
            files: files as i64,
            downloads: 0,
            max_downloads: v.max_downloads,
            created_at: now,
            expires_at: now + Duration::days(v.download_link_days),
            deleted_at: None,
        };
        exports::insert(conn, &export)?;
        // A new package replaces the links to older ones.
        token_rows::retire_all(conn, &row.id, Purpose::Download, now)?;
        let secret = issue_token(conn, &row.id, Purpose::Download, export.expires_at, now)?;
        let detail = json!({"export": export.id, "files": files, "bytes": bytes.len()});
        change::record(
            conn,
            &row.id,
            Entry::new(actor, "package_sent", detail),
            now,
        )?;
        let to = emails::subject_email(state, conn, &row.id)?;
        emails::queue(
            state,
            conn,
            &row.id,
            "package_ready",
            &to,
            json!({
            "reference": row.reference, "kind_label": words.label(row.kind.label_key()),
            "download_url": format!("{}/download/{secret}", state.public_url),
            "link_days": v.download_link_days, "max_downloads": v.max_downloads}),
            now,
        )?;
        Ok(files)
    })
}

/// The files exported by hand for the request's manual systems (tasks not cancelled),
/// decrypted for the package.
fn manual_files(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<Vec<ManualFile>, AppError> {
    use crate::db::models::manual_tasks::{self as tasks, FILE_CONTENT_CONTEXT, FILE_NAME_CONTEXT};
    use crate::domain::manual_tasks::TaskStatus;
    let live: Vec<(String, String)> = tasks::for_request(conn, request_id)?
        .into_iter()
        .filter(|t| t.status != TaskStatus::Cancelled)
        .map(|t| (t.id, t.system))
        .collect();
    let mut out = Vec::new();
    for file in tasks::files_of_request(conn, request_id)? {
        let Some((_, system)) = live.iter().find(|(id, _)| *id == file.task_id) else {
            continue;
        };
        let Some(sealed) = tasks::file_content(conn, &file.id)? else {
            continue;
        };
        let open =
            |context: &str, v: &str| state.cipher.decrypt(context, v).map_err(AppError::internal);
        let bytes = B64
            .decode(open(FILE_CONTENT_CONTEXT, &sealed)?)
            .map_err(AppError::internal)?;
        out.push(ManualFile {
            system: system.clone(),
            name: open(FILE_NAME_CONTEXT, &file.name_enc)?,
            bytes,
        });
    }
    Ok(out)
}

pub enum Download {
    Ready(ExportRow),
    Gone,
    Unknown,
}

/// The package behind a download link, without counting a download.
pub fn lookup(
    conn: &mut DbConn,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Download, AppError> {
    let Some(hash) = tokens::hash_presented(presented) else {
        return Ok(Download::Unknown);
    };
    let Some(token) = token_rows::find_by_hash(conn, Purpose::Download, &hash)? else {
        return Ok(Download::Unknown);
    };
    if token.used_at.is_some() || token.expires_at <= now {
        return Ok(Download::Gone);
    }
    Ok(match exports::latest_live(conn, &token.request_id)? {
        Some(e) if e.downloads < e.max_downloads && e.expires_at > now => Download::Ready(e),
        _ => Download::Gone,
    })
}

/// Counts the download and returns the ZIP bytes; Gone when the limit was reached.
pub fn take(
    state: &AppState,
    conn: &mut DbConn,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Option<(String, Vec<u8>)>, AppError> {
    write_tx(conn, |conn| {
        let Download::Ready(export) = lookup(conn, presented, now)? else {
            return Ok(None);
        };
        if !exports::count_download(conn, &export.id)? {
            return Ok(None);
        }
        let sealed = export.package_enc.clone().ok_or(AppError::NotFound)?;
        let b64 = state
            .cipher
            .decrypt(PACKAGE_CONTEXT, &sealed)
            .map_err(AppError::internal)?;
        let bytes = B64.decode(b64).map_err(AppError::internal)?;
        let reference = requests::find(conn, &export.request_id)?.reference;
        let detail = json!({"export": export.id, "download": export.downloads + 1});
        let entry = Entry::new(super::actors::CONSUMER, "package_downloaded", detail);
        change::record(conn, &export.request_id, entry, now)?;
        Ok(Some((reference, bytes)))
    })
}
