//! Files a system's owner exported by hand (`manual` systems), checked before they are
//! stored and put into the person's access package.
//!
//! The documents people send (PDF, PNG, JPEG) are checked exactly as everywhere else
//! (`documents::check_upload`: decided from the content, complete, no active PDF). A
//! CRM or a spreadsheet exports CSV or plain text, so those are accepted too, as text:
//! the bytes must be valid UTF-8 and hold no NUL byte. That refuses binary files (an
//! executable, a zip, an office file renamed `.csv`) and legacy encodings the person
//! could not read reliably, which the owner can re-export as UTF-8. A UTF-8 byte order
//! mark is allowed (spreadsheets write one).

use super::documents::{self, DocumentType, UploadProblem, MAX_DOCUMENT_BYTES};
use crate::i18n::{msg, Message};

/// What an accepted export file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Document(DocumentType),
    Csv,
    Text,
}

impl ExportKind {
    /// The Content-Type it is stored and served with.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportKind::Document(t) => t.media_type(),
            ExportKind::Csv => "text/csv; charset=utf-8",
            ExportKind::Text => "text/plain; charset=utf-8",
        }
    }

    /// The kind of a stored file, from the media type it was stored with.
    pub fn from_media_type(media_type: &str) -> Option<ExportKind> {
        match media_type {
            "text/csv; charset=utf-8" => Some(ExportKind::Csv),
            "text/plain; charset=utf-8" => Some(ExportKind::Text),
            other => DocumentType::from_media_type(other).map(ExportKind::Document),
        }
    }
}

/// Extensions a text export may carry; a name without an extension claims nothing.
const TEXT_EXTENSIONS: &[&str] = &["csv", "tsv", "txt", "json", "xml", "vcf", "ics"];

/// Checks an exported file: a document as every upload is checked, or UTF-8 text
/// without NUL bytes under the same size limit. `filename` is already cleaned
/// (`documents::clean_filename`).
pub fn check(filename: &str, bytes: &[u8]) -> Result<ExportKind, Message> {
    if bytes.is_empty() {
        return Err(UploadProblem::Empty.message());
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(UploadProblem::TooLarge.message());
    }
    let ext = extension(filename);
    let is_document = documents::sniff(bytes).is_some()
        || bytes.starts_with(b"%PDF-")
        || ext
            .as_deref()
            .is_some_and(|e| matches!(e, "pdf" | "png" | "jpg" | "jpeg" | "jpe" | "jfif"));
    if is_document {
        return documents::check_upload(filename, bytes)
            .map(ExportKind::Document)
            .map_err(|p| p.message());
    }
    if let Some(e) = &ext {
        if !TEXT_EXTENSIONS.contains(&e.as_str()) {
            return Err(msg("upload.export_unsupported").with("file", shown(filename)));
        }
    }
    if !is_text(bytes) {
        return Err(msg("upload.export_not_text").with("file", shown(filename)));
    }
    Ok(match ext.as_deref() {
        Some("csv") | Some("tsv") => ExportKind::Csv,
        _ => ExportKind::Text,
    })
}

/// Valid UTF-8 (after an optional byte order mark) with no NUL byte.
pub fn is_text(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    !body.contains(&0) && std::str::from_utf8(body).is_ok()
}

fn shown(filename: &str) -> String {
    if filename.is_empty() {
        "-".into()
    } else {
        filename.to_string()
    }
}

fn extension(filename: &str) -> Option<String> {
    let (stem, ext) = filename.trim().rsplit_once('.')?;
    let plausible = !stem.is_empty()
        && (1..=8).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric());
    plausible.then(|| ext.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_text_exports_are_accepted() {
        let csv = "id,email\n4411,jane@example.com\n".as_bytes();
        assert_eq!(check("contact.csv", csv), Ok(ExportKind::Csv));
        assert_eq!(check("notes.txt", "Zoë\n".as_bytes()), Ok(ExportKind::Text));
        assert_eq!(check("export", csv), Ok(ExportKind::Text));
        let bom = [&[0xEF, 0xBB, 0xBF][..], csv].concat();
        assert_eq!(check("contact.csv", &bom), Ok(ExportKind::Csv));
    }

    #[test]
    fn binary_and_mislabelled_files_are_refused() {
        assert!(check("contact.csv", b"id,name\n\0\x01").is_err());
        assert!(check("contact.csv", &[0xFF, 0xFE, b'a', 0]).is_err());
        assert!(check("latin1.txt", &[b'Z', b'o', 0xEB]).is_err());
        assert!(check("tool.exe", b"MZ text").is_err());
        assert!(check("contact.csv", b"").is_err());
    }

    #[test]
    fn documents_keep_their_own_checks() {
        let active = b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        assert!(check("export.pdf", active).is_err());
        // A PDF renamed .csv is not text: it goes through the document checks and is
        // refused for not being what its name says.
        let pdf =
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        assert!(check("export.csv", pdf).is_err());
        assert_eq!(
            check("export.pdf", pdf),
            Ok(ExportKind::Document(DocumentType::Pdf))
        );
    }
}
