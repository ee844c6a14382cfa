//! Finding active content in an uploaded PDF: anything a reader may run or open by
//! itself (scripts, actions on opening or on events, launching programs, embedded
//! files, rich media, XFA forms). Staff open agents' documents, so such a file is
//! refused, whatever it is meant to do.
//!
//! What counts is the PDF *names* that introduce those features (`/JavaScript`, `/JS`,
//! `/OpenAction`, `/AA`, `/Launch`, `/EmbeddedFile`, `/EmbeddedFiles`, `/RichMedia`,
//! `/XFA`), with `#xx` escapes decoded first (`/J#61vaScript` is `/JavaScript`). Bare
//! words are not names: a letter whose text says "JavaScript" is accepted. A name
//! spelled inside a string is refused too, since telling strings apart is not worth the
//! risk of getting it wrong; no scan or printed letter has one.
//!
//! Where objects can hide:
//! - Outside streams, everything is read.
//! - A stream's data is skipped (page content and images hold no actions) only when its
//!   `/Length` (direct, or an indirect object we find) ends exactly at `endstream`;
//!   otherwise its bytes are read as if they were objects, since a reader could find
//!   objects there through the cross-reference table.
//! - Object streams (`/Type /ObjStm`, or any stream with `/First`) hold compressed
//!   objects: uncompressed ones are read as they are, `/FlateDecode` ones are inflated
//!   (at most [`MAX_INFLATED_BYTES`] in all, against zip bombs) and read. Any other
//!   filter, a filter chain, predictors, damaged data or too much output: the file
//!   cannot be inspected and is refused. Encrypted files fall under this rule as soon
//!   as they have object streams.

use flate2::read::ZlibDecoder;
use std::collections::HashMap;
use std::io::Read;

/// Names that introduce active content, as written after the `/` (escapes decoded).
const ACTIVE_NAMES: &[&[u8]] = &[
    b"JavaScript",
    b"JS",
    b"OpenAction",
    b"AA",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
    b"XFA",
];

/// Most bytes all object streams of one file may inflate to. Real object streams are a
/// few kilobytes each; a 10 MB upload of deflated zeros would otherwise become gigabytes.
pub const MAX_INFLATED_BYTES: usize = 16 * 1024 * 1024;

/// Why a PDF is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    /// One of [`ACTIVE_NAMES`] is present.
    ActiveContent,
    /// An object stream we cannot read, so active content cannot be ruled out.
    Uninspectable,
}

/// `Ok` when the PDF shows no active content and every object stream could be read.
pub fn check(pdf: &[u8]) -> Result<(), Finding> {
    let mut file = File {
        whole: pdf,
        budget: MAX_INFLATED_BYTES,
        integers: None,
    };
    scan(pdf, &mut file, false)
}

/// The whole file and what one check has used of it.
struct File<'a> {
    whole: &'a [u8],
    /// What object streams may still inflate to.
    budget: usize,
    /// Integer objects (`n g obj 123 endobj`), for indirect stream lengths; found in
    /// one pass the first time one is needed, so many streams cost no more than one.
    integers: Option<HashMap<(usize, usize), usize>>,
}

impl File<'_> {
    fn integer(&mut self, n: usize, g: usize) -> Option<usize> {
        let whole = self.whole;
        self.integers
            .get_or_insert_with(|| integer_objects(whole))
            .get(&(n, g))
            .copied()
    }
}

/// PDF whitespace and delimiters end a name.
fn ends_name(b: u8) -> bool {
    matches!(
        b,
        b'\0'
            | b'\t'
            | b'\n'
            | b'\x0c'
            | b'\r'
            | b' '
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// The name starting after the `/` at `start`, `#xx` escapes decoded, and where it ends.
fn read_name(bytes: &[u8], start: usize) -> (Vec<u8>, usize) {
    let mut name = Vec::new();
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        if ends_name(b) {
            break;
        }
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| b == b'#')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(decoded) => {
                name.push(decoded);
                i += 3;
            }
            None => {
                name.push(b);
                i += 1;
            }
        }
    }
    (name, i)
}

/// Reads `bytes` (the file, or with `nested` an object stream's content) as PDF objects.
fn scan(bytes: &[u8], file: &mut File, nested: bool) -> Result<(), Finding> {
    let mut i = 0;
    // Where the current object's syntax began: a stream's dictionary lies after it.
    let mut object_start = 0;
    while i < bytes.len() {
        if bytes[i] == b'/' {
            let (name, end) = read_name(bytes, i + 1);
            if ACTIVE_NAMES.contains(&name.as_slice()) {
                return Err(Finding::ActiveContent);
            }
            i = end.max(i + 1);
            continue;
        }
        if keyword_at(bytes, i, b"obj") {
            object_start = i;
        }
        if keyword_at(bytes, i, b"stream") {
            // Object streams may not hold streams; nesting them would also let a file
            // drive this reader as deep as it likes.
            if nested {
                return Err(Finding::Uninspectable);
            }
            let dict = Tokens::of(&bytes[object_start..i]);
            let data_start = after_eol(bytes, i + b"stream".len());
            i = stream(bytes, file, &dict, data_start)?;
            object_start = i;
            continue;
        }
        i += 1;
    }
    Ok(())
}

/// `word` stands alone at `i` (not part of `endstream`, `endobj` or a longer word).
fn keyword_at(bytes: &[u8], i: usize, word: &[u8]) -> bool {
    bytes.get(i..i + word.len()) == Some(word)
        && (i == 0 || ends_name(bytes[i - 1]))
        && bytes.get(i + word.len()).is_none_or(|&b| ends_name(b))
}

/// Where a stream's data starts: after the end of line that follows `stream`.
fn after_eol(bytes: &[u8], i: usize) -> usize {
    match bytes.get(i..i + 2) {
        Some(b"\r\n") => i + 2,
        _ if matches!(bytes.get(i), Some(b'\n' | b'\r')) => i + 1,
        _ => i,
    }
}

/// Handles one stream's data; returns where scanning goes on.
fn stream(
    bytes: &[u8],
    file: &mut File,
    dict: &Tokens,
    data_start: usize,
) -> Result<usize, Finding> {
    let data_end = dict
        .length(file)
        .and_then(|len| data_start.checked_add(len))
        .filter(|&end| ends_at_endstream(bytes, end));
    let holds_objects =
        dict.value_of(b"Type") == Some(Token::Name(b"ObjStm".to_vec())) || dict.has(b"First");
    let Some(data_end) = data_end else {
        // The length does not add up: read on through the data as objects (a reader could
        // find objects there), but an object stream we cannot delimit is unreadable.
        return if holds_objects {
            Err(Finding::Uninspectable)
        } else {
            Ok(data_start)
        };
    };
    if holds_objects {
        let data = &bytes[data_start..data_end];
        match dict.filters().as_slice() {
            [] => scan(data, file, true)?,
            [f] if f == b"FlateDecode" && !dict.has(b"DecodeParms") => {
                let inflated = inflate(data, &mut file.budget)?;
                scan(&inflated, file, true)?;
            }
            _ => return Err(Finding::Uninspectable),
        }
    }
    Ok(data_end)
}

/// `endstream` follows `end`, after at most an end of line.
fn ends_at_endstream(bytes: &[u8], end: usize) -> bool {
    let rest = bytes.get(end..).unwrap_or_default();
    let skipped = rest.iter().take(2).take_while(|&&b| is_space(b)).count();
    rest.get(skipped..)
        .is_some_and(|r| r.starts_with(b"endstream"))
}

/// Inflates a FlateDecode (zlib) stream within what is left of `budget`.
fn inflate(data: &[u8], budget: &mut usize) -> Result<Vec<u8>, Finding> {
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    ZlibDecoder::new(data)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|_| Finding::Uninspectable)?;
    if out.len() > *budget {
        return Err(Finding::Uninspectable);
    }
    *budget -= out.len();
    Ok(out)
}

/// The tokens of a stream's dictionary that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Name(Vec<u8>),
    Int(usize),
    Other(u8),
}

struct Tokens(Vec<Token>);

impl Tokens {
    fn of(bytes: &[u8]) -> Tokens {
        let mut tokens = Vec::new();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b == b'/' {
                let (name, end) = read_name(bytes, i + 1);
                tokens.push(Token::Name(name));
                i = end;
            } else if b.is_ascii_digit() {
                let end = bytes[i..]
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .map_or(bytes.len(), |n| i + n);
                let digits = std::str::from_utf8(&bytes[i..end]).unwrap_or_default();
                // An absurd number is no length we could use.
                tokens.push(digits.parse().map_or(Token::Other(b'9'), Token::Int));
                i = end;
            } else {
                if !is_space(b) {
                    tokens.push(Token::Other(b));
                }
                i += 1;
            }
        }
        Tokens(tokens)
    }

    fn position(&self, key: &[u8]) -> Option<usize> {
        self.0
            .iter()
            .rposition(|t| matches!(t, Token::Name(n) if n == key))
    }

    fn has(&self, key: &[u8]) -> bool {
        self.position(key).is_some()
    }

    fn value_of(&self, key: &[u8]) -> Option<Token> {
        self.position(key).and_then(|p| self.0.get(p + 1)).cloned()
    }

    /// `/Filter /X` or `/Filter [/X /Y]`, as names.
    fn filters(&self) -> Vec<Vec<u8>> {
        let Some(p) = self.position(b"Filter") else {
            return Vec::new();
        };
        let mut names = Vec::new();
        for t in &self.0[p + 1..] {
            match t {
                Token::Other(b'[') => {}
                Token::Name(n) => {
                    names.push(n.clone());
                    if !matches!(self.0.get(p + 1), Some(Token::Other(b'['))) {
                        break;
                    }
                }
                _ => break,
            }
        }
        names
    }

    /// `/Length n`, or `/Length n g R` looked up in the file (the last definition).
    fn length(&self, file: &mut File) -> Option<usize> {
        let p = self.position(b"Length")?;
        match self.0.get(p + 1..p + 4) {
            Some([Token::Int(n), Token::Int(g), Token::Other(b'R')]) => file.integer(*n, *g),
            _ => match self.0.get(p + 1) {
                Some(Token::Int(n)) => Some(*n),
                _ => None,
            },
        }
    }
}

/// Every object that is a bare integer (`n g obj 123 endobj`); a later definition
/// replaces an earlier one, as an incremental update does.
fn integer_objects(whole: &[u8]) -> HashMap<(usize, usize), usize> {
    let mut found = HashMap::new();
    for (at, _) in whole.windows(3).enumerate().filter(|(_, w)| w == b"obj") {
        if !keyword_at(whole, at, b"obj") {
            continue;
        }
        // "n g" before, "123 endobj" after: both short, so a little context suffices.
        let before = Tokens::of(&whole[at.saturating_sub(24)..at]);
        let after = Tokens::of(&whole[at + 3..whole.len().min(at + 40)]);
        if let ([.., Token::Int(n), Token::Int(g)], [Token::Int(v), ..]) =
            (before.0.as_slice(), after.0.as_slice())
        {
            found.insert((*n, *g), *v);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::ZlibEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn pdf(body: &[u8]) -> Vec<u8> {
        let mut v = b"%PDF-1.7\n".to_vec();
        v.extend_from_slice(body);
        v.extend_from_slice(b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
        v
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("deflate");
        e.finish().expect("deflate")
    }

    /// An object stream holding `objects`, compressed or not.
    fn object_stream(objects: &[u8], compressed: bool) -> Vec<u8> {
        let data = if compressed {
            deflate(objects)
        } else {
            objects.to_vec()
        };
        let filter: &[u8] = if compressed {
            b" /Filter /FlateDecode"
        } else {
            b""
        };
        let mut v = format!(
            "3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length {}",
            data.len()
        )
        .into_bytes();
        v.extend_from_slice(filter);
        v.extend_from_slice(b" >>\nstream\n");
        v.extend_from_slice(&data);
        v.extend_from_slice(b"\nendstream\nendobj\n");
        v
    }

    const CATALOG: &[u8] = b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";

    #[test]
    fn a_plain_document_passes() {
        assert_eq!(check(&pdf(CATALOG)), Ok(()));
    }

    #[test]
    fn every_active_name_is_found() {
        for name in ACTIVE_NAMES {
            let mut body = b"1 0 obj\n<< /Type /Catalog /".to_vec();
            body.extend_from_slice(name);
            body.extend_from_slice(b" 5 0 R >>\nendobj\n");
            assert_eq!(
                check(&pdf(&body)),
                Err(Finding::ActiveContent),
                "{}",
                String::from_utf8_lossy(name)
            );
        }
    }

    #[test]
    fn escaped_names_are_decoded_first() {
        let body = b"1 0 obj\n<< /OpenAction << /S /J#61vaScr#69pt /J#53 (x) >> >>\nendobj\n";
        assert_eq!(check(&pdf(body)), Err(Finding::ActiveContent));
        // A longer name that merely starts like one is something else.
        let body = b"1 0 obj\n<< /JSON 1 /AAx 2 /Launcher 3 >>\nendobj\n";
        assert_eq!(check(&pdf(body)), Ok(()));
    }

    #[test]
    fn the_word_in_a_page_text_is_not_a_name() {
        let text = b"BT /F1 12 Tf (JavaScript and OpenAction are words here) Tj ET";
        let mut body = CATALOG.to_vec();
        body.extend_from_slice(
            format!("4 0 obj\n<< /Length {} >>\nstream\n", text.len()).as_bytes(),
        );
        body.extend_from_slice(text);
        body.extend_from_slice(b"\nendstream\nendobj\n");
        assert_eq!(check(&pdf(&body)), Ok(()));
        // Compressed text is not inflated at all.
        let packed = deflate(b"BT (/JavaScript) Tj ET");
        let mut body = CATALOG.to_vec();
        body.extend_from_slice(b"4 0 obj\n<< /Length 5 0 R /Filter /FlateDecode >>\nstream\n");
        body.extend_from_slice(&packed);
        body.extend_from_slice(
            format!("\nendstream\nendobj\n5 0 obj\n{}\nendobj\n", packed.len()).as_bytes(),
        );
        assert_eq!(check(&pdf(&body)), Ok(()));
    }

    #[test]
    fn names_inside_object_streams_are_found() {
        let hidden = b"2 0 << /S /JavaScript /JS (app.alert(1)) >>";
        for compressed in [false, true] {
            let mut body = CATALOG.to_vec();
            body.extend_from_slice(&object_stream(hidden, compressed));
            assert_eq!(
                check(&pdf(&body)),
                Err(Finding::ActiveContent),
                "{compressed}"
            );
        }
        let mut body = CATALOG.to_vec();
        body.extend_from_slice(&object_stream(b"2 0 << /Type /Page >>", true));
        assert_eq!(check(&pdf(&body)), Ok(()));
    }

    #[test]
    fn objects_behind_a_wrong_length_are_read() {
        // The length claims 2 bytes; a reader could still reach the object after them.
        let body = b"4 0 obj\n<< /Length 2 >>\nstream\nxx\n9 0 obj << /AA 1 >> endobj\nendstream\nendobj\n";
        assert_eq!(check(&pdf(body)), Err(Finding::ActiveContent));
    }

    #[test]
    fn object_streams_we_cannot_read_are_refused() {
        let mut body = CATALOG.to_vec();
        body.extend_from_slice(
            b"3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length 4 /Filter /LZWDecode >>\nstream\nabcd\nendstream\nendobj\n",
        );
        assert_eq!(check(&pdf(&body)), Err(Finding::Uninspectable));
        let mut body = CATALOG.to_vec();
        body.extend_from_slice(
            b"3 0 obj\n<< /N 1 /First 4 /Length 4 /Filter /FlateDecode >>\nstream\nabcd\nendstream\nendobj\n",
        );
        assert_eq!(check(&pdf(&body)), Err(Finding::Uninspectable), "not zlib");
        // A stream inside an object stream is not PDF; reading it would nest without end.
        let inner = object_stream(b"2 0 << /Type /Page >>", false);
        let mut body = CATALOG.to_vec();
        body.extend_from_slice(&object_stream(&inner, false));
        assert_eq!(check(&pdf(&body)), Err(Finding::Uninspectable), "nested");
    }

    #[test]
    fn uploads_refuse_an_active_pdf_in_the_catalogues_words() {
        use crate::domain::documents::{check_upload, DocumentType, UploadProblem};
        let scripted = pdf(b"1 0 obj\n<< /OpenAction << /S /JavaScript /JS (x) >> >>\nendobj\n");
        let refused = check_upload("permission.pdf", &scripted);
        assert_eq!(
            refused,
            Err(UploadProblem::UnsafePdf {
                filename: "permission.pdf".into(),
                finding: Finding::ActiveContent
            })
        );
        let words = refused.err().map(|p| p.message().key);
        assert_eq!(words, Some("upload.pdf_active_content"));
        assert_eq!(
            check_upload("permission.pdf", &pdf(CATALOG)),
            Ok(DocumentType::Pdf)
        );
    }

    #[test]
    fn a_zip_bomb_stops_at_the_limit() {
        let bomb = deflate(&vec![b' '; MAX_INFLATED_BYTES + 1]);
        assert!(bomb.len() < 100 * 1024, "{}", bomb.len());
        let mut body = CATALOG.to_vec();
        body.extend_from_slice(
            format!("3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length {} /Filter /FlateDecode >>\nstream\n", bomb.len()).as_bytes(),
        );
        body.extend_from_slice(&bomb);
        body.extend_from_slice(b"\nendstream\nendobj\n");
        assert_eq!(check(&pdf(&body)), Err(Finding::Uninspectable));
    }
}
