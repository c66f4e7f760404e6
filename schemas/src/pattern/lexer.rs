//! Tokeniser for STIX patterns, following the lexer rules of the OASIS
//! `STIXPattern.g4` grammar (longest match, keywords before identifiers).

use super::PatternError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    LBracket,
    RBracket,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Asterisk,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Keyword(Keyword),
    Bool(bool),
    /// `[a-zA-Z_][a-zA-Z0-9_-]*`; property names may not contain hyphens,
    /// object types may.
    Identifier {
        name: String,
        has_hyphen: bool,
    },
    Str(String),
    Int(i64),
    /// A float and whether it had a sign, as `WITHIN` takes positive literals only.
    Float(f64),
    Hex(String),
    Binary(String),
    Timestamp(String),
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

impl Keyword {
    fn from_word(word: &str) -> Option<Keyword> {
        Some(match word {
            "AND" => Keyword::And,
            "OR" => Keyword::Or,
            "NOT" => Keyword::Not,
            "FOLLOWEDBY" => Keyword::FollowedBy,
            "LIKE" => Keyword::Like,
            "MATCHES" => Keyword::Matches,
            "ISSUPERSET" => Keyword::IsSuperset,
            "ISSUBSET" => Keyword::IsSubset,
            "LAST" => Keyword::Last,
            "IN" => Keyword::In,
            "START" => Keyword::Start,
            "STOP" => Keyword::Stop,
            "SECONDS" => Keyword::Seconds,
            "WITHIN" => Keyword::Within,
            "REPEATS" => Keyword::Repeats,
            "TIMES" => Keyword::Times,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Keyword::And => "AND",
            Keyword::Or => "OR",
            Keyword::Not => "NOT",
            Keyword::FollowedBy => "FOLLOWEDBY",
            Keyword::Like => "LIKE",
            Keyword::Matches => "MATCHES",
            Keyword::IsSuperset => "ISSUPERSET",
            Keyword::IsSubset => "ISSUBSET",
            Keyword::Last => "LAST",
            Keyword::In => "IN",
            Keyword::Start => "START",
            Keyword::Stop => "STOP",
            Keyword::Seconds => "SECONDS",
            Keyword::Within => "WITHIN",
            Keyword::Repeats => "REPEATS",
            Keyword::Times => "TIMES",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// Byte offset of the token's first character.
    pub start: usize,
    /// Whether a number was written with `-` (`WITHIN -0 SECONDS` is not
    /// allowed although its value is not negative).
    pub negative: bool,
}

/// Whitespace as the grammar's WS rule lists it.
fn is_pattern_whitespace(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\r'
            | '\n'
            | '\u{000B}'
            | '\u{000C}'
            | '\u{0085}'
            | '\u{00a0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, PatternError> {
    Lexer { input, pos: 0 }.run()
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_at(&self, skip_bytes: usize) -> Option<char> {
        self.input.get(self.pos + skip_bytes..)?.chars().next()
    }

    fn error(&self, at: usize, message: impl Into<String>) -> PatternError {
        PatternError::at(self.input, at, message)
    }

    fn run(mut self) -> Result<Vec<Token>, PatternError> {
        let mut tokens = Vec::new();
        loop {
            self.skip_trivia()?;
            let start = self.pos;
            let Some(c) = self.peek() else {
                tokens.push(Token {
                    kind: TokenKind::Eof,
                    start,
                    negative: false,
                });
                return Ok(tokens);
            };
            let mut negative = false;
            let kind = match c {
                '[' => self.single(TokenKind::LBracket),
                ']' => self.single(TokenKind::RBracket),
                '(' => self.single(TokenKind::LParen),
                ')' => self.single(TokenKind::RParen),
                ':' => self.single(TokenKind::Colon),
                ',' => self.single(TokenKind::Comma),
                '*' => self.single(TokenKind::Asterisk),
                '=' => {
                    self.pos += if self.rest().starts_with("==") { 2 } else { 1 };
                    TokenKind::Eq
                }
                '!' if self.rest().starts_with("!=") => {
                    self.pos += 2;
                    TokenKind::Neq
                }
                '<' if self.rest().starts_with("<>") => {
                    self.pos += 2;
                    TokenKind::Neq
                }
                '<' if self.rest().starts_with("<=") => {
                    self.pos += 2;
                    TokenKind::Le
                }
                '<' => self.single(TokenKind::Lt),
                '>' if self.rest().starts_with(">=") => {
                    self.pos += 2;
                    TokenKind::Ge
                }
                '>' => self.single(TokenKind::Gt),
                '\'' => TokenKind::Str(self.string_literal()?),
                'h' | 'b' | 't' if self.peek_at(1) == Some('\'') => self.prefixed_literal(c)?,
                'a'..='z' | 'A'..='Z' | '_' => self.word(),
                '.' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => self.number()?,
                '.' => self.single(TokenKind::Dot),
                '0'..='9' | '+' | '-' => {
                    negative = c == '-';
                    self.number()?
                }
                other => return Err(self.error(start, format!("unexpected character {other:?}"))),
            };
            tokens.push(Token {
                kind,
                start,
                negative,
            });
        }
    }

    fn single(&mut self, kind: TokenKind) -> TokenKind {
        self.pos += 1;
        kind
    }

    fn skip_trivia(&mut self) -> Result<(), PatternError> {
        loop {
            let rest = self.rest();
            if let Some(c) = rest.chars().next().filter(|c| is_pattern_whitespace(*c)) {
                self.pos += c.len_utf8();
            } else if let Some(comment) = rest.strip_prefix("/*") {
                let end = comment
                    .find("*/")
                    .ok_or_else(|| self.error(self.pos, "unterminated /* comment"))?;
                self.pos += 2 + end + 2;
            } else if rest.starts_with("//") {
                let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
                self.pos += end;
            } else {
                return Ok(());
            }
        }
    }

    fn word(&mut self) -> TokenKind {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        let word = &rest[..len];
        self.pos += len;
        if let Some(keyword) = Keyword::from_word(word) {
            return TokenKind::Keyword(keyword);
        }
        match word {
            "true" => TokenKind::Bool(true),
            "false" => TokenKind::Bool(false),
            _ => TokenKind::Identifier {
                name: word.to_owned(),
                has_hyphen: word.contains('-'),
            },
        }
    }

    /// `'…'` with `\'` and `\\` as the only escapes (STIX 2.1 §9.3.2).
    fn string_literal(&mut self) -> Result<String, PatternError> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error(start, "unterminated string literal"));
            };
            match c {
                '\'' => {
                    self.pos += 1;
                    return Ok(value);
                }
                '\\' => match self.peek_at(1) {
                    Some(escaped @ ('\'' | '\\')) => {
                        value.push(escaped);
                        self.pos += 2;
                    }
                    _ => {
                        return Err(self.error(
                            self.pos,
                            "invalid escape in string literal (only \\' and \\\\ are allowed)",
                        ))
                    }
                },
                other => {
                    value.push(other);
                    self.pos += other.len_utf8();
                }
            }
        }
    }

    /// `h'…'` hex, `b'…'` base64 and `t'…'` timestamp literals.
    fn prefixed_literal(&mut self, prefix: char) -> Result<TokenKind, PatternError> {
        let start = self.pos;
        let body_start = self.pos + 2;
        let body_len = self
            .input
            .get(body_start..)
            .and_then(|body| body.find('\''))
            .ok_or_else(|| self.error(start, "unterminated literal"))?;
        let body = &self.input[body_start..body_start + body_len];
        self.pos = body_start + body_len + 1;
        match prefix {
            'h' if body.len().is_multiple_of(2) && body.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(TokenKind::Hex(body.to_owned()))
            }
            'h' => Err(self.error(
                start,
                "malformed hex literal (pairs of hex digits expected)",
            )),
            'b' if is_base64(body) => Ok(TokenKind::Binary(body.to_owned())),
            'b' => Err(self.error(start, "malformed binary literal (base64 expected)")),
            _ if is_pattern_timestamp(body) => Ok(TokenKind::Timestamp(body.to_owned())),
            _ => Err(self.error(
                start,
                "malformed timestamp literal (YYYY-MM-DDTHH:MM:SS[.s+]Z expected)",
            )),
        }
    }

    /// Integers and floats: `[+-]?('0'|[1-9][0-9]*)` and `[+-]?[0-9]*'.'[0-9]+`.
    fn number(&mut self) -> Result<TokenKind, PatternError> {
        let start = self.pos;
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut end = 0;
        if matches!(bytes.first(), Some(b'+' | b'-')) {
            end = 1;
        }
        let int_start = end;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let int_digits = end - int_start;
        let is_float =
            bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
        if is_float {
            end += 1;
            while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            let text = &rest[..end];
            self.pos += end;
            return match text.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(TokenKind::Float(value)),
                _ => Err(self.error(start, "float literal out of range")),
            };
        }
        if int_digits == 0 {
            return Err(self.error(start, "a sign must be followed by a number"));
        }
        if int_digits > 1 && bytes[int_start] == b'0' {
            return Err(self.error(start, "leading zeros are not allowed in integers"));
        }
        let text = &rest[..end];
        self.pos += end;
        text.parse::<i64>()
            .map(TokenKind::Int)
            .map_err(|_| self.error(start, "integer literal out of range"))
    }
}

fn is_base64(body: &str) -> bool {
    let bytes = body.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return false;
    }
    let padding = bytes.iter().rev().take_while(|b| **b == b'=').count();
    padding <= 2
        && bytes[..bytes.len() - padding]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// The grammar's TimestampLiteral body: syntax only (so `02-30` passes, as
/// in the OASIS implementation), month 01–12, day 01–31, hour 00–23,
/// minute 00–59, second 00–60.
fn is_pattern_timestamp(body: &str) -> bool {
    let b = body.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let two = |i: usize| -> Option<u32> {
        (digit(i) && digit(i + 1)).then(|| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0'))
    };
    let shape = b.len() >= 20
        && (0..4).all(digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':';
    if !shape {
        return false;
    }
    let ranges_ok = matches!(two(5), Some(1..=12))
        && matches!(two(8), Some(1..=31))
        && matches!(two(11), Some(0..=23))
        && matches!(two(14), Some(0..=59))
        && matches!(two(17), Some(0..=60));
    if !ranges_ok {
        return false;
    }
    match &b[19..] {
        b"Z" => true,
        [b'.', fraction @ .., b'Z'] => {
            !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}
