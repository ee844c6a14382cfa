//! What the owner of a manual system does with a task: add an exported file, mark it
//! done (a note required where no file proves the work), or hand it to someone else.
//! Each checks the version the page showed (two people on one task: the second is
//! told, never a lost note) and is audited with ids only.

use super::super::request_change::{self as change, Entry};
use crate::db::models::manual_tasks::{
    self as tasks, NewFile, TaskRow, FILE_CONTENT_CONTEXT, FILE_NAME_CONTEXT, NOTE_CONTEXT,
};
use crate::db::models::staff;
use crate::db::{write_tx, DbConn};
use crate::domain::export_files::ExportKind;
use crate::domain::manual_tasks::TaskStatus;
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use base64::Engine;
use chrono::NaiveDateTime;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Longest note kept: a sentence or a few, never a file.
const MAX_NOTE_CHARS: usize = 4000;

/// A checked export (`domain::export_files::check`) with its cleaned name.
pub struct ExportUpload {
    pub name: String,
    pub kind: ExportKind,
    pub bytes: Vec<u8>,
}

/// The open task `id` as seen at `version`, or why not.
fn open_task(conn: &mut DbConn, id: &str, version: i64) -> Result<TaskRow, AppError> {
    let task = tasks::find(conn, id)?.ok_or(AppError::NotFound)?;
    if task.status != TaskStatus::Open {
        return Err(AppError::Conflict(msg("errors.task_closed")));
    }
    if task.version != version {
        return Err(stale());
    }
    Ok(task)
}

fn stale() -> AppError {
    AppError::Conflict(msg("errors.task_changed_reload"))
}

/// Stores `file` with task `id` (seen at `version`), encrypted; returns the file id.
pub fn add_file(
    state: &AppState,
    conn: &mut DbConn,
    id: &str,
    version: i64,
    file: ExportUpload,
    actor: &str,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    write_tx(conn, |conn| {
        let task = open_task(conn, id, version)?;
        if !task.action.takes_files() {
            return Err(AppError::BadRequest(msg("errors.task_takes_no_files")));
        }
        if !tasks::bump(conn, id, version)? {
            return Err(stale());
        }
        let file_id = crate::clock::new_id();
        let sha256 = hex::encode(Sha256::digest(&file.bytes));
        let size = i64::try_from(file.bytes.len()).unwrap_or(i64::MAX);
        let name_enc = state.cipher.encrypt(FILE_NAME_CONTEXT, &file.name);
        let content_enc = state.cipher.encrypt(
            FILE_CONTENT_CONTEXT,
            &base64::engine::general_purpose::STANDARD.encode(&file.bytes),
        );
        tasks::insert_file(
            conn,
            &NewFile {
                id: &file_id,
                task_id: id,
                request_id: &task.request_id,
                name_enc: &name_enc,
                media_type: file.kind.media_type(),
                size_bytes: size,
                sha256: &sha256,
                content_enc: Some(&content_enc),
                uploaded_at: now,
                uploaded_by: actor,
            },
        )?;
        let detail = json!({"task": id, "file": file_id, "bytes": size, "sha256": sha256});
        change::record(
            conn,
            &task.request_id,
            Entry::internal(actor, "manual_task_file_added", detail),
            now,
        )?;
        Ok(file_id)
    })
}

/// Marks task `id` (seen at `version`) done with `note`. An erasure or correction
/// needs the note (what was done, where); an export needs a file or, when the system
/// holds nothing on the person, a note saying so.
pub fn finish(
    state: &AppState,
    conn: &mut DbConn,
    id: &str,
    version: i64,
    note: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::BadRequest(msg("errors.task_note_too_long")));
    }
    write_tx(conn, |conn| {
        let task = open_task(conn, id, version)?;
        let files = tasks::files_of_request(conn, &task.request_id)?
            .into_iter()
            .filter(|f| f.task_id == task.id)
            .count();
        if note.is_empty() && (task.action.needs_note() || files == 0) {
            return Err(AppError::BadRequest(match task.action.needs_note() {
                true => msg("errors.task_note_required"),
                false => msg("errors.task_file_or_note"),
            }));
        }
        let sealed = (!note.is_empty()).then(|| state.cipher.encrypt(NOTE_CONTEXT, note));
        if !tasks::finish(conn, id, version, sealed.as_deref(), actor, now)? {
            return Err(stale());
        }
        let detail = json!({"task": id, "system": task.system,
            "action": task.action.as_str(), "files": files});
        change::record(
            conn,
            &task.request_id,
            Entry::internal(actor, "manual_task_done", detail),
            now,
        )?;
        Ok(())
    })
}

/// Gives task `id` (seen at `version`) to the active staff account `to`.
pub fn reassign(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    to: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let task = open_task(conn, id, version)?;
        let target = staff::find(conn, to)?.filter(|s| !s.disabled);
        if target.is_none() {
            return Err(AppError::BadRequest(msg("errors.task_choose_owner")));
        }
        if !tasks::reassign(conn, id, version, to)? {
            return Err(stale());
        }
        let detail = json!({"task": id, "from": task.owner_id, "to": to});
        change::record(
            conn,
            &task.request_id,
            Entry::internal(actor, "manual_task_reassigned", detail),
            now,
        )?;
        Ok(())
    })
}
