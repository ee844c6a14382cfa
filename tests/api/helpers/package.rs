//! An access package as a test reads it: the ZIP's file names and each file's text.

use std::io::{Cursor, Read};

pub struct Package(zip::ZipArchive<Cursor<Vec<u8>>>);

impl Package {
    pub fn open(bytes: Vec<u8>) -> Package {
        Package(zip::ZipArchive::new(Cursor::new(bytes)).expect("a valid zip"))
    }

    /// Every file's name, sorted.
    pub fn names(&mut self) -> Vec<String> {
        let mut names: Vec<String> = (0..self.0.len())
            .map(|i| {
                self.0
                    .by_index(i)
                    .expect("entry")
                    .name()
                    .expect("name")
                    .to_string()
            })
            .collect();
        names.sort();
        names
    }

    /// The text of the file `name`, which must be there and be UTF-8.
    pub fn text(&mut self, name: &str) -> String {
        let mut s = String::new();
        self.0
            .by_name(name)
            .unwrap_or_else(|e| panic!("{name} in the package: {e}"))
            .read_to_string(&mut s)
            .expect("utf8");
        s
    }
}
