//! STIX patterning language (STIX 2.1 §9): a real parser for indicator
//! patterns, so invalid patterns are rejected at intake with the position of
//! the error, and simple patterns can be turned into plain block lists.

mod ast;
mod lexer;
mod observables;
mod parser;

use std::fmt;
use std::str::FromStr;

pub use ast::{
    Comparison, ComparisonExpression, ComparisonOperator, Constant, ObjectPath,
    ObservationExpression, PathStep, Pattern, Qualifier, Seconds,
};
pub use observables::SimpleObservable;

/// Why a pattern does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct PatternError {
    /// Byte offset of the error in the pattern text (0-based).
    pub offset: usize,
    /// Line of the error (1-based).
    pub line: usize,
    /// Column of the error in characters (1-based).
    pub column: usize,
    /// What was expected or is wrong.
    pub message: String,
}

impl PatternError {
    pub(crate) fn at(input: &str, offset: usize, message: impl Into<String>) -> Self {
        let offset = offset.min(input.len());
        let before = input.get(..offset).unwrap_or(input);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before
            .get(line_start..)
            .map_or(0, |text| text.chars().count())
            + 1;
        Self {
            offset,
            line,
            column,
            message: message.into(),
        }
    }
}

/// Parses a STIX 2.1 pattern.
pub fn parse_pattern(input: &str) -> Result<Pattern, PatternError> {
    parser::parse(input)
}

impl FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_pattern(s)
    }
}

/// Words that are keywords in patterns and so cannot be bare property names.
pub(crate) fn is_reserved_word(word: &str) -> bool {
    matches!(
        word,
        "AND"
            | "OR"
            | "NOT"
            | "FOLLOWEDBY"
            | "LIKE"
            | "MATCHES"
            | "ISSUPERSET"
            | "ISSUBSET"
            | "LAST"
            | "IN"
            | "START"
            | "STOP"
            | "SECONDS"
            | "WITHIN"
            | "REPEATS"
            | "TIMES"
            | "true"
            | "false"
    )
}

impl fmt::Display for SimpleObservable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}={}", self.object_type, self.property, self.value)
    }
}
