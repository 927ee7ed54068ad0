//! Where the cursor stands, read from the text before it alone — a file
//! being typed rarely parses, so completion cannot wait for a syntax tree.
//! A linear scan tracks strings, comments and brackets: the blocks the
//! cursor is in (kind and label), whether it is where an attribute's name
//! or its value goes, and the word typed so far.

/// One open block around the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBlock {
    pub kind: String,
    /// The string label, if any (`service "web"` → `web`).
    pub label: Option<String>,
    /// The attributes already written in it, before the cursor.
    pub written: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// Where a block kind or an attribute name goes.
    Name,
    /// In the value of `attribute` (directly, or in a list of it).
    Value { attribute: String, in_list: bool },
    /// In the value of an object's entry (`env = { KEY = `).
    EntryValue { attribute: String },
    /// Inside a string, a comment, or something else completion has nothing for.
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The blocks around the cursor, outermost first.
    pub blocks: Vec<OpenBlock>,
    pub position: Position,
    /// The word being typed (letters, digits, `_`, `-` and `.`).
    pub prefix: String,
}

impl Context {
    pub fn kinds(&self) -> Vec<&str> {
        self.blocks.iter().map(|b| b.kind.as_str()).collect()
    }
}

/// What an open bracket is.
#[derive(Debug)]
enum Frame {
    Block(OpenBlock),
    /// `NAME = { …`: an object value.
    Object {
        attribute: String,
        key: Option<String>,
    },
    /// `NAME = [ …`
    List {
        attribute: String,
    },
}

/// The scanner's view of the tokens since the last statement ended.
#[derive(Debug, Default)]
struct Statement {
    /// Words and labels seen: `service`, `"web"`.
    words: Vec<Word>,
    /// The attribute (or entry key) whose `=` was seen.
    assigned: Option<String>,
    /// A value token came after the `=`.
    valued: bool,
}

#[derive(Debug)]
enum Word {
    Ident(String),
    Str(String),
    Int,
}

pub fn at(text: &str, offset: usize) -> Context {
    let offset = crate::span::floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let prefix: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    // The word being typed is not scanned: the cursor stands where it starts.
    let mut scanner = Scanner::default();
    let ended_inside = scanner.run(&before.as_bytes()[..before.len() - prefix.len()]);
    let blocks = scanner
        .frames
        .iter()
        .filter_map(|f| match f {
            Frame::Block(b) => Some(b.clone()),
            _ => None,
        })
        .collect();
    let position = if ended_inside {
        Position::Nothing
    } else {
        scanner.position()
    };
    Context {
        blocks,
        position,
        prefix,
    }
}

#[derive(Debug, Default)]
struct Scanner {
    frames: Vec<Frame>,
    statement: Statement,
}

impl Scanner {
    /// Scans `bytes`; true when they end inside a string or a comment.
    fn run(&mut self, bytes: &[u8]) -> bool {
        let mut at = 0;
        while at < bytes.len() {
            let b = bytes[at];
            match b {
                b'"' => {
                    let start = at + 1;
                    at += 1;
                    while at < bytes.len() && bytes[at] != b'"' && bytes[at] != b'\n' {
                        if bytes[at] == b'\\' {
                            at += 1;
                        }
                        at += 1;
                    }
                    if at >= bytes.len() {
                        return true;
                    }
                    let end = at.min(bytes.len());
                    let text = String::from_utf8_lossy(&bytes[start..end]).into_owned();
                    self.word(Word::Str(text));
                    at += 1;
                }
                b'#' => match line_end(bytes, at) {
                    end if end == bytes.len() => return true,
                    end => at = end,
                },
                b'/' if bytes.get(at + 1) == Some(&b'/') => match line_end(bytes, at) {
                    end if end == bytes.len() => return true,
                    end => at = end,
                },
                b'/' if bytes.get(at + 1) == Some(&b'*') => match find(bytes, at + 2, b"*/") {
                    Some(end) => at = end + 2,
                    None => return true,
                },
                b'\n' | b';' | b',' => {
                    self.end_statement();
                    at += 1;
                }
                b'=' => {
                    self.assign();
                    at += 1;
                }
                b'{' => {
                    self.open_brace();
                    at += 1;
                }
                b'}' => {
                    self.frames.pop();
                    self.statement = Statement::default();
                    at += 1;
                }
                b'[' => {
                    let attribute = self.statement.assigned.clone().unwrap_or_default();
                    self.frames.push(Frame::List { attribute });
                    self.statement = Statement::default();
                    at += 1;
                }
                b']' => {
                    if matches!(self.frames.last(), Some(Frame::List { .. })) {
                        self.frames.pop();
                    }
                    self.statement = Statement::default();
                    self.statement.valued = true;
                    at += 1;
                }
                _ if b.is_ascii_alphabetic() || b == b'_' => {
                    let start = at;
                    while at < bytes.len()
                        && (bytes[at].is_ascii_alphanumeric()
                            || matches!(bytes[at], b'_' | b'-' | b'.'))
                    {
                        at += 1;
                    }
                    let word = String::from_utf8_lossy(&bytes[start..at]).into_owned();
                    self.word(Word::Ident(word));
                }
                _ if b.is_ascii_digit() => {
                    while at < bytes.len() && !is_separator(bytes[at]) {
                        at += 1;
                    }
                    self.word(Word::Int);
                }
                _ => at += 1,
            }
        }
        false
    }

    fn word(&mut self, word: Word) {
        if self.statement.assigned.is_some() {
            self.statement.valued = true;
        } else {
            self.statement.words.push(word);
        }
    }

    fn assign(&mut self) {
        let name = match self.statement.words.last() {
            Some(Word::Ident(name) | Word::Str(name)) => name.clone(),
            _ => String::new(),
        };
        if let Some(Frame::Block(block)) = self.frames.last_mut() {
            block.written.push(name.clone());
        }
        if let Some(Frame::Object { key, .. }) = self.frames.last_mut() {
            *key = Some(name.clone());
        }
        self.statement.assigned = Some(name);
        self.statement.valued = false;
        self.statement.words.clear();
    }

    fn open_brace(&mut self) {
        let statement = std::mem::take(&mut self.statement);
        if let Some(attribute) = statement.assigned {
            self.frames.push(Frame::Object {
                attribute,
                key: None,
            });
            return;
        }
        let mut words = statement.words.into_iter();
        let kind = match words.next() {
            Some(Word::Ident(kind)) => kind,
            _ => String::new(),
        };
        let label = match words.next() {
            Some(Word::Str(label)) => Some(label),
            _ => None,
        };
        self.frames.push(Frame::Block(OpenBlock {
            kind,
            label,
            written: Vec::new(),
        }));
    }

    fn end_statement(&mut self) {
        // A newline inside a list or an object keeps the value going.
        if matches!(self.frames.last(), Some(Frame::List { .. })) {
            return;
        }
        self.statement = Statement::default();
    }

    /// Where the scan ended.
    fn position(&self) -> Position {
        let statement = &self.statement;
        match self.frames.last() {
            Some(Frame::List { attribute }) => {
                if attribute.is_empty() {
                    Position::Nothing
                } else {
                    Position::Value {
                        attribute: attribute.clone(),
                        in_list: true,
                    }
                }
            }
            Some(Frame::Object { attribute, key }) => match (&statement.assigned, key) {
                (Some(_), Some(_)) if !statement.valued => Position::EntryValue {
                    attribute: attribute.clone(),
                },
                _ => Position::Nothing,
            },
            _ => match &statement.assigned {
                Some(attribute) if !statement.valued => Position::Value {
                    attribute: attribute.clone(),
                    in_list: false,
                },
                None if statement.words.len() <= 1 => Position::Name,
                _ => Position::Nothing,
            },
        }
    }
}

fn is_separator(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b',' | b';' | b'}' | b']' | b'=' | b'{' | b'[')
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(text_with_cursor: &str) -> Context {
        let offset = text_with_cursor.find('|').unwrap();
        let text = text_with_cursor.replace('|', "");
        at(&text, offset)
    }

    #[test]
    fn names_inside_nested_blocks() {
        let c = context("service \"web\" {\n  memory = 1GiB\n  volume \"d\" {\n    si|");
        assert_eq!(c.kinds(), ["service", "volume"]);
        assert_eq!(c.blocks[0].label.as_deref(), Some("web"));
        assert_eq!(c.blocks[0].written, ["memory"]);
        assert_eq!(c.position, Position::Name);
        assert_eq!(c.prefix, "si");
    }

    #[test]
    fn values_lists_and_entries() {
        let c = context("service \"web\" {\n  runtime = no|");
        assert_eq!(
            c.position,
            Position::Value {
                attribute: "runtime".into(),
                in_list: false
            }
        );
        assert_eq!(c.prefix, "no");
        let c = context("service \"web\" {\n  on = [hv1, |");
        assert_eq!(
            c.position,
            Position::Value {
                attribute: "on".into(),
                in_list: true
            }
        );
        let c = context("service \"web\" {\n  env = { DB = pg.|");
        assert_eq!(
            c.position,
            Position::EntryValue {
                attribute: "env".into()
            }
        );
        assert_eq!(c.prefix, "pg.");
    }

    #[test]
    fn strings_comments_and_closed_blocks() {
        assert_eq!(context("host \"a|").position, Position::Nothing);
        assert_eq!(context("// service {|").position, Position::Nothing);
        let c = context("host \"a\" { memory = 1GiB }\n|");
        assert!(c.blocks.is_empty());
        assert_eq!(c.position, Position::Name);
        let c = context("host \"a\" { disk \"b\" { size = 1GiB } |");
        assert_eq!(c.kinds(), ["host"]);
        assert_eq!(c.position, Position::Name);
    }
}
