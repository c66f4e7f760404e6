//! Recursive-descent parser for the STIX patterning grammar (STIX 2.1 §9,
//! OASIS `STIXPattern.g4`). Left-recursive grammar rules become loops.

use super::ast::*;
use super::lexer::{tokenize, Keyword, Token, TokenKind};
use super::PatternError;

/// Deep nesting is legal but pathological; the limit keeps a hostile
/// pattern from overflowing the stack.
const MAX_NESTING: usize = 128;

pub(crate) fn parse(input: &str) -> Result<Pattern, PatternError> {
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        input,
        tokens,
        position: 0,
        depth: 0,
    };
    let expression = parser.observation_expressions()?;
    parser.expect_end()?;
    Ok(Pattern { expression })
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    position: usize,
    depth: usize,
}

/// Which qualifier kinds were applied directly to one bracketed observation,
/// to reject repeats as the OASIS validator does.
#[derive(Default)]
struct QualifiersSeen {
    within: bool,
    repeats: bool,
    start_stop: bool,
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::LBracket => "`[`".into(),
        TokenKind::RBracket => "`]`".into(),
        TokenKind::LParen => "`(`".into(),
        TokenKind::RParen => "`)`".into(),
        TokenKind::Colon => "`:`".into(),
        TokenKind::Dot => "`.`".into(),
        TokenKind::Comma => "`,`".into(),
        TokenKind::Asterisk => "`*`".into(),
        TokenKind::Eq => "`=`".into(),
        TokenKind::Neq => "`!=`".into(),
        TokenKind::Lt => "`<`".into(),
        TokenKind::Le => "`<=`".into(),
        TokenKind::Gt => "`>`".into(),
        TokenKind::Ge => "`>=`".into(),
        TokenKind::Keyword(keyword) => format!("`{}`", keyword.as_str()),
        TokenKind::Bool(value) => format!("`{value}`"),
        TokenKind::Identifier { name, .. } => format!("identifier `{name}`"),
        TokenKind::Str(_) => "a string".into(),
        TokenKind::Int(_) => "an integer".into(),
        TokenKind::Float(_) => "a float".into(),
        TokenKind::Hex(_) => "a hex literal".into(),
        TokenKind::Binary(_) => "a binary literal".into(),
        TokenKind::Timestamp(_) => "a timestamp literal".into(),
        TokenKind::Eof => "end of pattern".into(),
    }
}

impl Parser<'_> {
    fn current(&self) -> &Token {
        // The token list always ends with Eof and we never advance past it.
        &self.tokens[self.position.min(self.tokens.len() - 1)]
    }

    fn kind(&self) -> &TokenKind {
        &self.current().kind
    }

    fn advance(&mut self) -> Token {
        let token = self.current().clone();
        if self.position < self.tokens.len() - 1 {
            self.position += 1;
        }
        token
    }

    fn error_here(&self, expected: &str) -> PatternError {
        let token = self.current();
        PatternError::at(
            self.input,
            token.start,
            format!("expected {expected}, found {}", describe(&token.kind)),
        )
    }

    fn at_keyword(&self, keyword: Keyword) -> bool {
        self.kind() == &TokenKind::Keyword(keyword)
    }

    fn expect(&mut self, kind: TokenKind, expected: &str) -> Result<Token, PatternError> {
        if self.kind() == &kind {
            Ok(self.advance())
        } else {
            Err(self.error_here(expected))
        }
    }

    fn expect_end(&self) -> Result<(), PatternError> {
        if self.kind() == &TokenKind::Eof {
            Ok(())
        } else {
            Err(self.error_here("AND, OR, FOLLOWEDBY, a qualifier or end of pattern"))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(PatternError::at(
                self.input,
                self.current().start,
                format!("pattern nested more than {MAX_NESTING} levels deep"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // observationExpressions: ... FOLLOWEDBY ...
    fn observation_expressions(&mut self) -> Result<ObservationExpression, PatternError> {
        self.enter()?;
        let mut left = self.observation_or()?;
        while self.at_keyword(Keyword::FollowedBy) {
            self.advance();
            let right = self.observation_or()?;
            left = ObservationExpression::FollowedBy(Box::new(left), Box::new(right));
        }
        self.leave();
        Ok(left)
    }

    fn observation_or(&mut self) -> Result<ObservationExpression, PatternError> {
        let mut left = self.observation_and()?;
        while self.at_keyword(Keyword::Or) {
            self.advance();
            let right = self.observation_and()?;
            left = ObservationExpression::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn observation_and(&mut self) -> Result<ObservationExpression, PatternError> {
        let mut left = self.observation_qualified()?;
        while self.at_keyword(Keyword::And) {
            self.advance();
            let right = self.observation_qualified()?;
            left = ObservationExpression::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    // observationExpression: '[' comparison ']' | '(' observationExpressions ')', then qualifiers.
    fn observation_qualified(&mut self) -> Result<ObservationExpression, PatternError> {
        let (mut expression, bare) = match self.kind() {
            TokenKind::LBracket => {
                self.advance();
                let comparison = self.comparison_or()?;
                self.expect(TokenKind::RBracket, "`]`, AND or OR")?;
                (ObservationExpression::Observation(comparison), true)
            }
            TokenKind::LParen => {
                self.advance();
                let inner = self.observation_expressions()?;
                self.expect(TokenKind::RParen, "`)`")?;
                (inner, false)
            }
            _ if self.position == 0 && matches!(self.kind(), TokenKind::Identifier { .. }) => {
                return Err(self.error_here("`[` (observations go in square brackets)"))
            }
            _ => return Err(self.error_here("`[` or `(`")),
        };
        let mut seen = QualifiersSeen::default();
        loop {
            let start = self.current().start;
            let (qualifier, already) = match self.kind() {
                TokenKind::Keyword(Keyword::Within) => {
                    let q = self.within()?;
                    (q, std::mem::replace(&mut seen.within, true))
                }
                TokenKind::Keyword(Keyword::Repeats) => {
                    let q = self.repeats()?;
                    (q, std::mem::replace(&mut seen.repeats, true))
                }
                TokenKind::Keyword(Keyword::Start) => {
                    let q = self.start_stop()?;
                    (q, std::mem::replace(&mut seen.start_stop, true))
                }
                _ => break,
            };
            if bare && already {
                return Err(PatternError::at(
                    self.input,
                    start,
                    "the same qualifier type is applied twice to one observation",
                ));
            }
            expression = ObservationExpression::Qualified(Box::new(expression), qualifier);
        }
        Ok(expression)
    }

    fn within(&mut self) -> Result<Qualifier, PatternError> {
        self.advance();
        let token = self.current().clone();
        let seconds = match token.kind {
            TokenKind::Int(value) if !token.negative => Seconds::Integer(value),
            TokenKind::Float(value) if !token.negative => Seconds::Float(value),
            _ => return Err(self.error_here("a positive number of seconds")),
        };
        self.advance();
        if !self.at_keyword(Keyword::Seconds) {
            return Err(self.error_here("SECONDS"));
        }
        self.advance();
        Ok(Qualifier::Within(seconds))
    }

    fn repeats(&mut self) -> Result<Qualifier, PatternError> {
        self.advance();
        let token = self.current().clone();
        let TokenKind::Int(times) = token.kind else {
            return Err(self.error_here("a positive integer"));
        };
        if token.negative {
            return Err(self.error_here("a positive integer"));
        }
        self.advance();
        if !self.at_keyword(Keyword::Times) {
            return Err(self.error_here("TIMES"));
        }
        self.advance();
        Ok(Qualifier::Repeats(times))
    }

    fn start_stop(&mut self) -> Result<Qualifier, PatternError> {
        self.advance();
        let TokenKind::Timestamp(start) = self.kind().clone() else {
            return Err(self.error_here("a timestamp literal t'…'"));
        };
        self.advance();
        if !self.at_keyword(Keyword::Stop) {
            return Err(self.error_here("STOP"));
        }
        self.advance();
        let TokenKind::Timestamp(stop) = self.kind().clone() else {
            return Err(self.error_here("a timestamp literal t'…'"));
        };
        self.advance();
        Ok(Qualifier::StartStop { start, stop })
    }

    fn comparison_or(&mut self) -> Result<ComparisonExpression, PatternError> {
        self.enter()?;
        let mut left = self.comparison_and()?;
        while self.at_keyword(Keyword::Or) {
            self.advance();
            let right = self.comparison_and()?;
            left = ComparisonExpression::Or(Box::new(left), Box::new(right));
        }
        self.leave();
        Ok(left)
    }

    fn comparison_and(&mut self) -> Result<ComparisonExpression, PatternError> {
        let mut left = self.property_test()?;
        while self.at_keyword(Keyword::And) {
            self.advance();
            let right = self.property_test()?;
            left = ComparisonExpression::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    // propTest: objectPath NOT? operator literal | '(' comparisonExpression ')'
    fn property_test(&mut self) -> Result<ComparisonExpression, PatternError> {
        if self.kind() == &TokenKind::LParen {
            self.advance();
            let inner = self.comparison_or()?;
            self.expect(TokenKind::RParen, "`)`, AND or OR")?;
            return Ok(inner);
        }
        let path = self.object_path()?;
        let negated = self.at_keyword(Keyword::Not);
        if negated {
            self.advance();
        }
        let operator = match self.kind() {
            TokenKind::Eq => ComparisonOperator::Equal,
            TokenKind::Neq => ComparisonOperator::NotEqual,
            TokenKind::Lt => ComparisonOperator::Less,
            TokenKind::Le => ComparisonOperator::LessOrEqual,
            TokenKind::Gt => ComparisonOperator::Greater,
            TokenKind::Ge => ComparisonOperator::GreaterOrEqual,
            TokenKind::Keyword(Keyword::In) => ComparisonOperator::In,
            TokenKind::Keyword(Keyword::Like) => ComparisonOperator::Like,
            TokenKind::Keyword(Keyword::Matches) => ComparisonOperator::Matches,
            TokenKind::Keyword(Keyword::IsSubset) => ComparisonOperator::IsSubset,
            TokenKind::Keyword(Keyword::IsSuperset) => ComparisonOperator::IsSuperset,
            _ => return Err(self.error_here("a comparison operator")),
        };
        self.advance();
        let value = match operator {
            ComparisonOperator::Equal | ComparisonOperator::NotEqual => {
                self.literal(true, "a value")?
            }
            ComparisonOperator::Less
            | ComparisonOperator::LessOrEqual
            | ComparisonOperator::Greater
            | ComparisonOperator::GreaterOrEqual => {
                self.literal(false, "an orderable value (not a boolean)")?
            }
            ComparisonOperator::In => self.set_literal()?,
            ComparisonOperator::Like
            | ComparisonOperator::Matches
            | ComparisonOperator::IsSubset
            | ComparisonOperator::IsSuperset => match self.kind().clone() {
                TokenKind::Str(text) => {
                    self.advance();
                    Constant::String(text)
                }
                _ => return Err(self.error_here("a string literal")),
            },
        };
        Ok(ComparisonExpression::Comparison(Comparison {
            path,
            negated,
            operator,
            value,
        }))
    }

    fn literal(&mut self, allow_bool: bool, expected: &str) -> Result<Constant, PatternError> {
        let constant = match self.kind().clone() {
            TokenKind::Str(text) => Constant::String(text),
            TokenKind::Int(value) => Constant::Integer(value),
            TokenKind::Float(value) => Constant::Float(value),
            TokenKind::Bool(value) if allow_bool => Constant::Boolean(value),
            TokenKind::Hex(text) => Constant::Hex(text),
            TokenKind::Binary(text) => Constant::Binary(text),
            TokenKind::Timestamp(text) => Constant::Timestamp(text),
            _ => return Err(self.error_here(expected)),
        };
        self.advance();
        Ok(constant)
    }

    fn set_literal(&mut self) -> Result<Constant, PatternError> {
        self.expect(TokenKind::LParen, "`(` starting a set")?;
        let mut items = Vec::new();
        if self.kind() == &TokenKind::RParen {
            self.advance();
            return Ok(Constant::Set(items));
        }
        loop {
            items.push(self.literal(true, "a value")?);
            match self.kind() {
                TokenKind::Comma => {
                    self.advance();
                }
                TokenKind::RParen => {
                    self.advance();
                    return Ok(Constant::Set(items));
                }
                _ => return Err(self.error_here("`,` or `)`")),
            }
        }
    }

    // objectPath: objectType ':' firstPathComponent objectPathComponent*
    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let TokenKind::Identifier {
            name: object_type, ..
        } = self.kind().clone()
        else {
            return Err(self.error_here("an object path such as `ipv4-addr:value`"));
        };
        self.advance();
        self.expect(TokenKind::Colon, "`:` after the object type")?;
        let mut steps = vec![PathStep::Property(self.property_name()?)];
        loop {
            match self.kind() {
                TokenKind::Dot => {
                    self.advance();
                    steps.push(PathStep::Property(self.property_name()?));
                }
                TokenKind::LBracket => {
                    self.advance();
                    let step = match self.kind() {
                        TokenKind::Int(index) => PathStep::Index(*index),
                        TokenKind::Asterisk => PathStep::AnyIndex,
                        _ => return Err(self.error_here("a list index or `*`")),
                    };
                    self.advance();
                    self.expect(TokenKind::RBracket, "`]` closing the list index")?;
                    steps.push(step);
                }
                _ => return Ok(ObjectPath { object_type, steps }),
            }
        }
    }

    /// Property names: identifiers without hyphens, or quoted strings.
    fn property_name(&mut self) -> Result<String, PatternError> {
        let name = match self.kind() {
            TokenKind::Identifier {
                name,
                has_hyphen: false,
            } => name.clone(),
            TokenKind::Str(text) => text.clone(),
            TokenKind::Identifier {
                has_hyphen: true, ..
            } => {
                return Err(self.error_here(
                    "a property name (names with hyphens must be quoted, e.g. 'SHA-256')",
                ))
            }
            _ => return Err(self.error_here("a property name")),
        };
        self.advance();
        Ok(name)
    }
}
