//! Uploaded documents (an authorized agent's signed permission): which kinds we accept
//! and how an upload is checked before it is stored.
//!
//! The kind is decided from the bytes alone. The file name and the browser's
//! Content-Type are both chosen by the sender, so they are only used to refuse an upload
//! that is not what its name claims (an `.exe` renamed `.png`, an HTML page renamed
//! `.pdf`): staff will open these files, and a file that lies about itself is either a
//! mistake the person should fix now or an attack.

/// Largest document accepted: a multi-page scan at a readable resolution fits easily.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

use super::pdf_active_content::Finding;
use crate::i18n::{key, msg, Message};

/// Longest file name kept; longer names are cut (they are only shown to staff).
pub const MAX_FILENAME_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentType {
    Pdf,
    Png,
    Jpeg,
}

impl DocumentType {
    pub const ALL: [DocumentType; 3] = [DocumentType::Pdf, DocumentType::Png, DocumentType::Jpeg];

    /// The Content-Type to serve the stored document with.
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentType::Pdf => "application/pdf",
            DocumentType::Png => "image/png",
            DocumentType::Jpeg => "image/jpeg",
        }
    }

    /// The extension to give the file when staff download it (from the sniffed type,
    /// never the uploaded name).
    pub fn extension(self) -> &'static str {
        match self {
            DocumentType::Pdf => "pdf",
            DocumentType::Png => "png",
            DocumentType::Jpeg => "jpg",
        }
    }

    /// Stored form; stable, so never change these strings.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::Pdf => "pdf",
            DocumentType::Png => "png",
            DocumentType::Jpeg => "jpeg",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The type of a stored document, from the media type it was stored with.
    pub fn from_media_type(media_type: &str) -> Option<DocumentType> {
        DocumentType::ALL
            .into_iter()
            .find(|t| t.media_type() == media_type)
    }

    /// "PDF", for a list of documents.
    pub fn format_key(self) -> &'static str {
        match self {
            DocumentType::Pdf => key("document_formats.pdf"),
            DocumentType::Png => key("document_formats.png"),
            DocumentType::Jpeg => key("document_formats.jpeg"),
        }
    }

    /// "a PDF file", for messages to people.
    fn noun_key(self) -> &'static str {
        match self {
            DocumentType::Pdf => key("document_types.pdf"),
            DocumentType::Png => key("document_types.png"),
            DocumentType::Jpeg => key("document_types.jpeg"),
        }
    }

    /// The type a file name's extension claims, if it is one of ours.
    fn from_extension(ext: &str) -> Option<DocumentType> {
        match ext {
            "pdf" => Some(DocumentType::Pdf),
            "png" => Some(DocumentType::Png),
            // All spellings cameras, phones and scanners use for JPEG.
            "jpg" | "jpeg" | "jpe" | "jfif" => Some(DocumentType::Jpeg),
            _ => None,
        }
    }
}

/// What the bytes are: a complete document of a kind we accept, the start of one whose
/// end is missing, or something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Complete(DocumentType),
    Truncated(DocumentType),
    Unknown,
}

const PDF_MAGIC: &[u8] = b"%PDF-";
const PDF_EOF: &[u8] = b"%%EOF";
/// Readers look for the end marker in the last 1024 bytes; generators may put a few
/// line breaks or NULs after it, so we look in the same window.
const PDF_TAIL: usize = 1024;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
/// The IHDR chunk must come first: length 13, then its type.
const PNG_IHDR: [u8; 8] = [0, 0, 0, 13, b'I', b'H', b'D', b'R'];
/// signature (8) + IHDR length and type (8) + IHDR data (13) + CRC (4).
const PNG_HEADER_LEN: usize = 8 + 8 + 13 + 4;
/// The IEND chunk (length 0, then its type) closes every PNG.
const PNG_IEND: [u8; 8] = [0, 0, 0, 0, b'I', b'E', b'N', b'D'];

const JPEG_SOI: [u8; 3] = [0xFF, 0xD8, 0xFF];
const JPEG_EOI: [u8; 2] = [0xFF, 0xD9];

/// How far from the end the closing marker of a PNG or JPEG may be. Some cameras and
/// editors append a few padding bytes after it; more than this is not an image file
/// any more but an image with something else attached (a polyglot), which we refuse.
const IMAGE_TAIL: usize = 64;

fn inspect(bytes: &[u8]) -> Content {
    if bytes.starts_with(PDF_MAGIC) {
        // Strict on purpose: the header must be at offset 0. Readers tolerate up to
        // 1024 bytes of anything before it, which is exactly what "polyglot" files use to
        // be an HTML page or a script and a PDF at once. Every real PDF writer (scanner,
        // "print to PDF", office suite) puts it first, so this costs genuine senders
        // nothing. The version must follow ("1.x" or "2.x") as in every PDF.
        let version = &bytes[PDF_MAGIC.len()..];
        if !(version.starts_with(b"1.") || version.starts_with(b"2.")) {
            return Content::Unknown;
        }
        // A PDF without its final %%EOF was cut off (an interrupted download or an
        // unfinished save): staff could not open it. Telling the person now is better
        // than a verifier finding out days later. Incrementally updated PDFs have
        // several %%EOF markers; only the last one, at the end, matters here.
        return if tail_contains(bytes, PDF_MAGIC.len() + 2, PDF_TAIL, PDF_EOF) {
            Content::Complete(DocumentType::Pdf)
        } else {
            Content::Truncated(DocumentType::Pdf)
        };
    }
    if bytes.starts_with(&PNG_SIGNATURE) {
        // The signature alone is eight bytes anyone can type; a real PNG continues
        // with its IHDR chunk, so require that too.
        if bytes.get(8..16) != Some(&PNG_IHDR[..]) {
            return Content::Unknown;
        }
        // Same reasoning as for PDF: without IEND the image was cut off.
        return if bytes.len() >= PNG_HEADER_LEN
            && tail_contains(bytes, PNG_HEADER_LEN, IMAGE_TAIL, &PNG_IEND)
        {
            Content::Complete(DocumentType::Png)
        } else {
            Content::Truncated(DocumentType::Png)
        };
    }
    if bytes.starts_with(&JPEG_SOI) {
        // Start-of-image, then the end-of-image marker near the end. Inside the
        // compressed data an FF byte is always followed by 00 or a restart marker, so
        // FF D9 there really is the end of the image. The search starts after the
        // start marker so "FF D8 FF D9" alone does not count as a picture.
        return if tail_contains(bytes, JPEG_SOI.len(), IMAGE_TAIL, &JPEG_EOI) {
            Content::Complete(DocumentType::Jpeg)
        } else {
            Content::Truncated(DocumentType::Jpeg)
        };
    }
    Content::Unknown
}

/// Whether `needle` occurs within the last `window` bytes, not starting before `from`
/// (so a marker cannot overlap the header it was found after).
fn tail_contains(bytes: &[u8], from: usize, window: usize, needle: &[u8]) -> bool {
    let start = bytes.len().saturating_sub(window).max(from);
    bytes
        .get(start..)
        .is_some_and(|tail| tail.windows(needle.len()).any(|w| w == needle))
}

/// The kind of a complete document, decided from its content alone; `None` for
/// anything else, including a PDF, PNG or JPEG whose end is missing.
pub fn sniff(bytes: &[u8]) -> Option<DocumentType> {
    match inspect(bytes) {
        Content::Complete(t) => Some(t),
        Content::Truncated(_) | Content::Unknown => None,
    }
}

/// Why an upload was refused; `message()` puts it in words for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadProblem {
    Empty,
    TooLarge,
    NotSupported,
    /// The name's extension is not one we accept (`letter.docx`, `scan.pdf.exe`).
    UnsupportedName {
        filename: String,
    },
    /// The name says one kind and the content is another kind, or none of ours.
    NotWhatNameSays {
        filename: String,
        claimed: DocumentType,
        found: Option<DocumentType>,
    },
    /// The right kind, but its end is missing.
    Incomplete {
        filename: String,
        kind: DocumentType,
    },
    /// A PDF with active content, or one we cannot inspect (see `pdf_active_content`).
    UnsafePdf {
        filename: String,
        finding: Finding,
    },
}

impl UploadProblem {
    pub fn message(&self) -> Message {
        match self {
            UploadProblem::Empty => msg("upload.empty"),
            UploadProblem::TooLarge => msg("upload.too_large"),
            UploadProblem::NotSupported => msg("upload.not_supported"),
            UploadProblem::UnsupportedName { filename } => {
                shown(msg("upload.unsupported_name"), filename)
            }
            UploadProblem::NotWhatNameSays {
                filename,
                claimed,
                found,
            } => {
                let m = match found {
                    Some(t) => msg("upload.not_what_name_says").with_label("found", t.noun_key()),
                    None => msg("upload.not_what_name_says_unknown"),
                };
                shown(m.with_label("claimed", claimed.noun_key()), filename)
            }
            UploadProblem::Incomplete { filename, kind } => shown(
                msg("upload.incomplete").with_label("kind", kind.noun_key()),
                filename,
            ),
            UploadProblem::UnsafePdf { filename, finding } => match finding {
                Finding::ActiveContent => shown(msg("upload.pdf_active_content"), filename),
                Finding::Uninspectable => shown(msg("upload.pdf_uninspectable"), filename),
            },
        }
    }
}

impl std::fmt::Display for UploadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for UploadProblem {}

/// Fills `{file}` with the name as it appears in a message; an upload may come without one.
fn shown(m: Message, filename: &str) -> Message {
    if filename.is_empty() {
        m.with_label("file", key("upload.unnamed"))
    } else {
        m.with("file", filename)
    }
}

/// The lower-case extension of a file name, if it has one that looks like an extension
/// (short and alphanumeric: "Mr. Smith's letter" has none, "scan.PDF" has "pdf").
fn extension_of(filename: &str) -> Option<String> {
    let (stem, ext) = filename.trim().rsplit_once('.')?;
    let plausible = !stem.is_empty()
        && (1..=8).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric());
    plausible.then(|| ext.to_ascii_lowercase())
}

/// Checks an uploaded document: not empty, not too large, a complete PDF, PNG or JPEG
/// by its content, a PDF without active content, and, when its name has an extension, of the kind that extension
/// says. A name without an extension claims nothing, so the content decides alone.
///
/// `filename` should already be cleaned with [`clean_filename`]; it is quoted in the
/// messages.
pub fn check_upload(filename: &str, bytes: &[u8]) -> Result<DocumentType, UploadProblem> {
    if bytes.is_empty() {
        return Err(UploadProblem::Empty);
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(UploadProblem::TooLarge);
    }
    let content = inspect(bytes);
    let claimed = match extension_of(filename) {
        None => None,
        Some(ext) => match DocumentType::from_extension(&ext) {
            Some(t) => Some(t),
            // "letter.docx" claims to be a Word file: even if its content were a PDF,
            // it is not what its name says.
            None => {
                return Err(UploadProblem::UnsupportedName {
                    filename: filename.to_string(),
                })
            }
        },
    };
    let found = match content {
        Content::Complete(t) | Content::Truncated(t) => Some(t),
        Content::Unknown => None,
    };
    if let Some(claimed) = claimed {
        if found != Some(claimed) {
            return Err(UploadProblem::NotWhatNameSays {
                filename: filename.to_string(),
                claimed,
                found,
            });
        }
    }
    match content {
        // Staff open these files: a PDF that could run something is refused whole.
        Content::Complete(DocumentType::Pdf) => super::pdf_active_content::check(bytes)
            .map(|()| DocumentType::Pdf)
            .map_err(|finding| UploadProblem::UnsafePdf {
                filename: filename.to_string(),
                finding,
            }),
        Content::Complete(t) => Ok(t),
        Content::Truncated(kind) => Err(UploadProblem::Incomplete {
            filename: filename.to_string(),
            kind,
        }),
        Content::Unknown => Err(UploadProblem::NotSupported),
    }
}

/// A file name as sent by a browser, made safe to store and show: only the final path
/// component (old browsers send "C:\Users\…\scan.pdf"), no control characters (they
/// could forge log lines or confuse a download header), surrounding spaces trimmed, and
/// at most [`MAX_FILENAME_CHARS`] characters. The extension is kept when the name is cut,
/// so the type check still sees what the sender claimed.
pub fn clean_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim();
    if cleaned.chars().count() <= MAX_FILENAME_CHARS {
        return cleaned.to_string();
    }
    match extension_of(cleaned) {
        Some(ext) => {
            let keep = MAX_FILENAME_CHARS - ext.chars().count() - 1;
            let stem: String = cleaned.chars().take(keep).collect();
            // The original spelling of the extension, not the lower-cased one.
            let tail: String = cleaned
                .chars()
                .skip(cleaned.chars().count() - ext.len())
                .collect();
            format!("{stem}.{tail}")
        }
        // Trimmed again: the cut may end on a space, and the name is promised trimmed
        // (found by fuzz/fuzz_targets/upload.rs).
        None => cleaned
            .chars()
            .take(MAX_FILENAME_CHARS)
            .collect::<String>()
            .trim_end()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut v = PNG_SIGNATURE.to_vec();
        v.extend_from_slice(&PNG_IHDR);
        // 1x1, 8-bit greyscale, deflate, adaptive filter, no interlace.
        v.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        v.extend_from_slice(&[0x3A, 0x7E, 0x9B, 0x55]); // IHDR CRC
        v.extend_from_slice(&PNG_IEND);
        v.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]); // IEND CRC
        v
    }

    fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
            .to_vec()
    }

    fn jpeg() -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        v.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        v.extend_from_slice(&[0xFF, 0xD9]);
        v
    }

    #[test]
    fn sniffs_minimal_real_headers() {
        assert_eq!(sniff(&pdf()), Some(DocumentType::Pdf));
        assert_eq!(sniff(&png()), Some(DocumentType::Png));
        assert_eq!(sniff(&jpeg()), Some(DocumentType::Jpeg));
        assert_eq!(sniff(b"%PDF-1.4\n%%EOF\n"), Some(DocumentType::Pdf));
    }

    #[test]
    fn sniff_ignores_everything_else() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"<!doctype html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"MZ\x90\x00\x03\x00\x00\x00"), None);
        assert_eq!(sniff(&PNG_SIGNATURE), None); // signature without IHDR
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xD9]), None); // markers with nothing between
        assert_eq!(sniff(b"%PDF-x%%EOF"), None); // no version
    }

    #[test]
    fn pdf_header_must_be_at_the_start() {
        let mut polyglot = b"<html><script>alert(1)</script>\n".to_vec();
        polyglot.extend_from_slice(&pdf());
        assert_eq!(sniff(&polyglot), None);
    }

    #[test]
    fn truncated_files_are_not_documents() {
        let pdf = pdf();
        assert_eq!(sniff(&pdf[..pdf.len() - 7]), None);
        let png = png();
        assert_eq!(sniff(&png[..PNG_HEADER_LEN]), None);
        let jpeg = jpeg();
        assert_eq!(sniff(&jpeg[..jpeg.len() - 2]), None);
        assert_eq!(
            check_upload("permission.pdf", &pdf[..pdf.len() - 7]),
            Err(UploadProblem::Incomplete {
                filename: "permission.pdf".into(),
                kind: DocumentType::Pdf
            })
        );
    }

    #[test]
    fn end_markers_may_have_a_little_padding_but_not_a_payload() {
        let mut padded = jpeg();
        padded.extend_from_slice(&[0; 16]);
        assert_eq!(sniff(&padded), Some(DocumentType::Jpeg));
        let mut appended = png();
        appended.extend_from_slice(&[b'A'; 200]);
        assert_eq!(sniff(&appended), None);
        let mut pdf = pdf();
        pdf.extend_from_slice(&[b'\n'; 100]);
        assert_eq!(sniff(&pdf), Some(DocumentType::Pdf));
    }

    #[test]
    fn accepts_documents_whose_name_matches() {
        assert_eq!(
            check_upload("permission.pdf", &pdf()),
            Ok(DocumentType::Pdf)
        );
        assert_eq!(
            check_upload("Permission.PDF", &pdf()),
            Ok(DocumentType::Pdf)
        );
        assert_eq!(check_upload("scan.png", &png()), Ok(DocumentType::Png));
        assert_eq!(
            check_upload("IMG_0042.JPG", &jpeg()),
            Ok(DocumentType::Jpeg)
        );
        assert_eq!(check_upload("photo.jpeg", &jpeg()), Ok(DocumentType::Jpeg));
        // No extension, no claim: the content decides.
        assert_eq!(check_upload("scan", &png()), Ok(DocumentType::Png));
        assert_eq!(check_upload("", &jpeg()), Ok(DocumentType::Jpeg));
        assert_eq!(
            check_upload("Mr. Smith's permission", &pdf()),
            Ok(DocumentType::Pdf)
        );
    }

    #[test]
    fn refuses_html_renamed_pdf() {
        let err = check_upload("permission.pdf", b"<!DOCTYPE html><html>hi</html>").unwrap_err();
        assert_eq!(
            err,
            UploadProblem::NotWhatNameSays {
                filename: "permission.pdf".into(),
                claimed: DocumentType::Pdf,
                found: None
            }
        );
        assert!(err
            .to_string()
            .starts_with("permission.pdf is not a PDF file: its content is not"));
    }

    #[test]
    fn refuses_exe_renamed_png() {
        let err = check_upload("scan.png", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00").unwrap_err();
        assert!(matches!(
            err,
            UploadProblem::NotWhatNameSays {
                claimed: DocumentType::Png,
                found: None,
                ..
            }
        ));
        assert!(err.to_string().starts_with("scan.png is not a PNG image:"));
    }

    #[test]
    fn refuses_a_real_document_under_another_kinds_name() {
        let err = check_upload("permission.pdf", &png()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "permission.pdf is not a PDF file: its content is a PNG image. \
             Please check that you chose the right file."
        );
        assert_eq!(
            check_upload("permission.docx", &pdf()),
            Err(UploadProblem::UnsupportedName {
                filename: "permission.docx".into()
            })
        );
        assert!(matches!(
            check_upload("permission.pdf.exe", &pdf()),
            Err(UploadProblem::UnsupportedName { .. })
        ));
    }

    #[test]
    fn refuses_unknown_content_without_a_name() {
        assert_eq!(
            check_upload("notes", b"just some text"),
            Err(UploadProblem::NotSupported)
        );
    }

    #[test]
    fn refuses_empty_and_oversized() {
        assert_eq!(
            check_upload("permission.pdf", b""),
            Err(UploadProblem::Empty)
        );
        // Exactly the limit is fine (a valid PDF padded with a comment).
        let mut at_limit = b"%PDF-1.4\n%".to_vec();
        at_limit.resize(MAX_DOCUMENT_BYTES - 6, b'x');
        at_limit.extend_from_slice(b"%%EOF\n");
        assert_eq!(at_limit.len(), MAX_DOCUMENT_BYTES);
        assert_eq!(check_upload("big.pdf", &at_limit), Ok(DocumentType::Pdf));
        at_limit.push(b'\n');
        let err = check_upload("big.pdf", &at_limit).unwrap_err();
        assert_eq!(err, UploadProblem::TooLarge);
        assert!(err
            .to_string()
            .starts_with("The document is larger than 10 MB"));
    }

    #[test]
    fn storage_names_round_trip() {
        for t in DocumentType::ALL {
            assert_eq!(DocumentType::parse(t.as_str()), Some(t));
        }
        assert_eq!(DocumentType::parse("exe"), None);
        assert_eq!(DocumentType::Jpeg.media_type(), "image/jpeg");
        assert_eq!(DocumentType::Jpeg.extension(), "jpg");
        assert_eq!(DocumentType::Pdf.media_type(), "application/pdf");
    }

    #[test]
    fn cleans_file_names() {
        assert_eq!(clean_filename("C:\\Users\\ann\\scan.pdf"), "scan.pdf");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("per\r\nmission\u{7}.pdf"), "permission.pdf");
        assert_eq!(
            clean_filename("  Vollmacht Müller.pdf "),
            "Vollmacht Müller.pdf"
        );
        assert_eq!(clean_filename("dir/"), "");
        let long = format!("{}.PDF", "é".repeat(500));
        let cut = clean_filename(&long);
        assert_eq!(cut.chars().count(), MAX_FILENAME_CHARS);
        assert!(cut.ends_with("é.PDF"));
        let no_ext = "x".repeat(300);
        assert_eq!(clean_filename(&no_ext).len(), MAX_FILENAME_CHARS);
        // Regression (fuzz/fuzz_targets/upload.rs): a cut that ends on a space.
        let spaced = format!("{} tail", "x".repeat(MAX_FILENAME_CHARS - 1));
        let cut = clean_filename(&spaced);
        assert_eq!(cut, "x".repeat(MAX_FILENAME_CHARS - 1));
        assert_eq!(clean_filename(&cut), cut);
    }
}
