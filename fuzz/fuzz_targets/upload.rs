//! An uploaded document's checks: `domain::documents::clean_filename` on the sent name,
//! then `check_upload` on the name and bytes, as `web::multipart` and
//! `domain::agent_filing` do.
//!
//! Input: the raw file name, a NUL byte, then the file's bytes (no NUL: no name).
//!
//! Checks: no panic; a cleaned name is at most 200 characters with no control
//! characters or path separators; an accepted document is what `sniff` says.
#![no_main]

use dsar_portal::domain::documents::{
    check_upload, clean_filename, sniff, UploadProblem, MAX_FILENAME_CHARS,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (raw_name, bytes) = match data.iter().position(|b| *b == 0) {
        Some(at) => (String::from_utf8_lossy(&data[..at]), &data[at + 1..]),
        None => ("".into(), data),
    };
    let name = clean_filename(&raw_name);
    assert!(name.chars().count() <= MAX_FILENAME_CHARS, "{name:?}");
    assert!(!name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\'));
    assert_eq!(name.trim(), name);
    // Cleaning is idempotent: a stored name cleaned again stays the same.
    assert_eq!(clean_filename(&name), name);

    match check_upload(&name, bytes) {
        Ok(kind) => assert_eq!(sniff(bytes), Some(kind)),
        Err(UploadProblem::Empty) => assert!(bytes.is_empty()),
        Err(problem) => {
            // Every refusal is a message for a person: never empty.
            assert!(!problem.to_string().is_empty());
        }
    }
});
