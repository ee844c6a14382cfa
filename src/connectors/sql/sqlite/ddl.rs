//! What the catalogue pragmas do not tell: a column's declared collation, the terms of an
//! index on expressions, and `WITHOUT ROWID`, read from the `CREATE` statements SQLite
//! keeps in `sqlite_master`. A small tokenizer, not a parser: it only needs to find the
//! parenthesised list after the name and split it at its top-level commas, honouring
//! SQLite's quoting (`"…"`, `` `…` ``, `[…]`, `'…'`) and comments.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// A bare word (keyword, name, number).
    Word(String),
    /// A quoted identifier, unquoted: never a keyword.
    Quoted(String),
    /// A string literal, unquoted.
    Str(String),
    Punct(char),
}

impl Token {
    fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    /// The name a token stands for where a name is expected (SQLite also takes a string
    /// literal there).
    fn name(&self) -> Option<&str> {
        match self {
            Token::Word(s) | Token::Quoted(s) | Token::Str(s) => Some(s),
            Token::Punct(_) => None,
        }
    }
}

pub(super) fn tokenize(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '"' || c == '`' || c == '\'' {
            let (text, next) = quoted(&chars, i, c);
            out.push(if c == '\'' {
                Token::Str(text)
            } else {
                Token::Quoted(text)
            });
            i = next;
        } else if c == '[' {
            let end = chars[i..]
                .iter()
                .position(|&x| x == ']')
                .map_or(chars.len(), |p| i + p);
            out.push(Token::Quoted(chars[i + 1..end].iter().collect()));
            i = end + 1;
        } else if c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || chars[i] == '_'
                    || chars[i] == '$'
                    || !chars[i].is_ascii())
                && !chars[i].is_whitespace()
            {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

/// A quoted run starting at `start` (the quote character `q` doubled inside stands for
/// itself); its text and the index after the closing quote.
fn quoted(chars: &[char], start: usize, q: char) -> (String, usize) {
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == q {
            if chars.get(i + 1) == Some(&q) {
                text.push(q);
                i += 2;
                continue;
            }
            return (text, i + 1);
        }
        text.push(chars[i]);
        i += 1;
    }
    (text, i)
}

/// The first parenthesised list of the statement, split at its top-level commas, and
/// the tokens after its closing parenthesis.
fn first_list(tokens: &[Token]) -> Option<(Vec<&[Token]>, &[Token])> {
    let open = tokens.iter().position(|t| *t == Token::Punct('('))?;
    let mut depth = 0usize;
    let mut terms = Vec::new();
    let mut term_start = open + 1;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    terms.push(&tokens[term_start..i]);
                    return Some((terms, &tokens[i + 1..]));
                }
            }
            Token::Punct(',') if depth == 1 => {
                terms.push(&tokens[term_start..i]);
                term_start = i + 1;
            }
            _ => {}
        }
    }
    None
}

/// Words that open a table constraint rather than a column definition.
const TABLE_CONSTRAINTS: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/// The collation declared on `column` in a `CREATE TABLE` statement, uppercased
/// (SQLite's collation names ignore case); `None` for the default, BINARY.
pub(super) fn column_collation(create_table: &str, column: &str) -> Option<String> {
    let tokens = tokenize(create_table);
    let (terms, _) = first_list(&tokens)?;
    let term = terms.into_iter().find(|term| match term.first() {
        Some(t @ Token::Word(_)) if TABLE_CONSTRAINTS.iter().any(|k| t.is_word(k)) => false,
        Some(t) => t.name().is_some_and(|n| n.eq_ignore_ascii_case(column)),
        None => false,
    })?;
    // Only at the definition's own level: a CHECK (x COLLATE NOCASE = …) inside
    // parentheses says nothing about the column.
    let mut depth = 0usize;
    for (i, t) in term.iter().enumerate() {
        match t {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth = depth.saturating_sub(1),
            _ if depth == 0 && t.is_word("COLLATE") => {
                let name = term.get(i + 1)?.name()?.to_ascii_uppercase();
                return (name != "BINARY").then_some(name);
            }
            _ => {}
        }
    }
    None
}

/// `CREATE TABLE … ) WITHOUT ROWID`: its primary key columns can never be NULL.
pub(super) fn without_rowid(create_table: &str) -> bool {
    let tokens = tokenize(create_table);
    first_list(&tokens).is_some_and(|(_, rest)| {
        rest.windows(2)
            .any(|w| w[0].is_word("WITHOUT") && w[1].is_word("ROWID"))
    })
}

/// The column an index term lowers, for each term of a `CREATE INDEX` statement in
/// order: `Some("email")` for `lower(email)` or `LOWER("email") COLLATE x DESC`.
pub(super) fn lowered_terms(create_index: &str) -> Vec<Option<String>> {
    let tokens = tokenize(create_index);
    let Some((terms, _)) = first_list(&tokens) else {
        return Vec::new();
    };
    terms.into_iter().map(lowered).collect()
}

fn lowered(term: &[Token]) -> Option<String> {
    let mut term = term;
    if term
        .last()
        .is_some_and(|t| t.is_word("ASC") || t.is_word("DESC"))
    {
        term = &term[..term.len() - 1];
    }
    if term.len() >= 2 && term[term.len() - 2].is_word("COLLATE") {
        term = &term[..term.len() - 2];
    }
    match term {
        [f, Token::Punct('('), Token::Word(c) | Token::Quoted(c), Token::Punct(')')]
            if f.is_word("lower") =>
        {
            Some(c.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"CREATE TABLE "my ""t""" (
        id INTEGER PRIMARY KEY, -- a comment, with (parens
        [e-mail] TEXT NOT NULL COLLATE nocase,
        name VARCHAR(40) CHECK (name COLLATE RTRIM <> 'x, y') /* COLLATE NOCASE */,
        "check" TEXT COLLATE RTRIM,
        code TEXT COLLATE BINARY,
        UNIQUE (name COLLATE NOCASE)
    ) WITHOUT ROWID"#;

    #[test]
    fn a_columns_collation_is_read_from_its_own_definition() {
        assert_eq!(column_collation(TABLE, "e-mail").as_deref(), Some("NOCASE"));
        assert_eq!(column_collation(TABLE, "E-MAIL").as_deref(), Some("NOCASE"));
        assert_eq!(column_collation(TABLE, "check").as_deref(), Some("RTRIM"));
        assert_eq!(column_collation(TABLE, "name"), None);
        assert_eq!(column_collation(TABLE, "code"), None);
        assert_eq!(column_collation(TABLE, "id"), None);
    }

    #[test]
    fn without_rowid_is_seen_after_the_column_list_only() {
        assert!(without_rowid(TABLE));
        assert!(!without_rowid(
            "CREATE TABLE t (\"WITHOUT ROWID\" TEXT, a INT)"
        ));
    }

    #[test]
    fn index_terms_that_lower_a_column_are_named() {
        let sql = r#"CREATE INDEX "i(x)" ON t (LOWER("E-mail") COLLATE NOCASE DESC, created, lower(trim(b)), lower(a))"#;
        assert_eq!(
            lowered_terms(sql),
            vec![
                Some("E-mail".to_string()),
                None,
                None,
                Some("a".to_string())
            ]
        );
    }
}
