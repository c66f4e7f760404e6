//! Syntax tree of a STIX pattern (STIX 2.1 §9). `Display` writes a pattern
//! back in canonical spacing; parsing that text gives the same tree.

use std::fmt;

use crate::stix::pattern_string_literal;

/// A parsed STIX pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub expression: ObservationExpression,
}

/// Observation expressions combine `[ … ]` observations (§9.5).
/// Precedence, tightest first: qualifiers, AND, OR, FOLLOWEDBY.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpression {
    /// `[ comparison ]`: one observed object must satisfy the comparison.
    Observation(ComparisonExpression),
    And(Box<ObservationExpression>, Box<ObservationExpression>),
    Or(Box<ObservationExpression>, Box<ObservationExpression>),
    FollowedBy(Box<ObservationExpression>, Box<ObservationExpression>),
    Qualified(Box<ObservationExpression>, Qualifier),
}

/// Observation qualifiers (§9.6).
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`
    Within(Seconds),
    /// `REPEATS n TIMES`
    Repeats(i64),
    /// `START t'…' STOP t'…'`; timestamps as written.
    StartStop { start: String, stop: String },
}

/// The `WITHIN` duration, integer or decimal as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Seconds {
    Integer(i64),
    Float(f64),
}

/// Comparison expressions inside `[ … ]` (§9.4); AND binds tighter than OR.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpression {
    Comparison(Comparison),
    And(Box<ComparisonExpression>, Box<ComparisonExpression>),
    Or(Box<ComparisonExpression>, Box<ComparisonExpression>),
}

/// `object_path [NOT] operator value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub path: ObjectPath,
    pub negated: bool,
    pub operator: ComparisonOperator,
    pub value: Constant,
}

/// Comparison operators (§9.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOperator {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
}

impl ComparisonOperator {
    /// The operator as written in a pattern.
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOperator::Equal => "=",
            ComparisonOperator::NotEqual => "!=",
            ComparisonOperator::Less => "<",
            ComparisonOperator::LessOrEqual => "<=",
            ComparisonOperator::Greater => ">",
            ComparisonOperator::GreaterOrEqual => ">=",
            ComparisonOperator::In => "IN",
            ComparisonOperator::Like => "LIKE",
            ComparisonOperator::Matches => "MATCHES",
            ComparisonOperator::IsSubset => "ISSUBSET",
            ComparisonOperator::IsSuperset => "ISSUPERSET",
        }
    }
}

/// `type:property.sub[0].'quoted key'` (§9.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    /// At least one step; the first is always a property.
    pub steps: Vec<PathStep>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Property(String),
    Index(i64),
    /// `[*]`: any element of a list.
    AnyIndex,
}

/// Literal values (§9.3.2).
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// `b'…'`, base64 as written.
    Binary(String),
    /// `h'…'`, hex digits as written.
    Hex(String),
    /// `t'…'`, the timestamp as written.
    Timestamp(String),
    /// `( … )` after `IN`.
    Set(Vec<Constant>),
}

impl ObjectPath {
    /// The path after the colon as dotted text (`hashes.SHA-256`,
    /// `values[*].name`), for display and simple matching.
    pub fn property_path(&self) -> String {
        let mut text = String::new();
        for step in &self.steps {
            match step {
                PathStep::Property(name) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(name);
                }
                PathStep::Index(index) => text.push_str(&format!("[{index}]")),
                PathStep::AnyIndex => text.push_str("[*]"),
            }
        }
        text
    }
}

fn is_plain_property(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !super::is_reserved_word(name)
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (position, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Property(name) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    if is_plain_property(name) {
                        f.write_str(name)?;
                    } else {
                        f.write_str(&pattern_string_literal(name))?;
                    }
                }
                PathStep::Index(index) => write!(f, "[{index}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

fn write_float(f: &mut fmt::Formatter<'_>, value: f64) -> fmt::Result {
    let text = format!("{value}");
    if text.contains('.') {
        f.write_str(&text)
    } else {
        write!(f, "{text}.0")
    }
}

impl fmt::Display for Constant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constant::String(text) => f.write_str(&pattern_string_literal(text)),
            Constant::Integer(value) => write!(f, "{value}"),
            Constant::Float(value) => write_float(f, *value),
            Constant::Boolean(value) => write!(f, "{value}"),
            Constant::Binary(text) => write!(f, "b'{text}'"),
            Constant::Hex(text) => write!(f, "h'{text}'"),
            Constant::Timestamp(text) => write!(f, "t'{text}'"),
            Constant::Set(items) => {
                f.write_str("(")?;
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = if self.negated { "NOT " } else { "" };
        write!(
            f,
            "{} {not}{} {}",
            self.path,
            self.operator.as_str(),
            self.value
        )
    }
}

impl ComparisonExpression {
    fn precedence(&self) -> u8 {
        match self {
            ComparisonExpression::Or(..) => 1,
            ComparisonExpression::And(..) => 2,
            ComparisonExpression::Comparison(_) => 3,
        }
    }

    /// Writes `child`, parenthesised when it would otherwise bind differently
    /// (operators are left-associative, so a right child of equal precedence
    /// needs parentheses to keep the same tree).
    fn write_child(&self, f: &mut fmt::Formatter<'_>, child: &Self, right: bool) -> fmt::Result {
        let needs_parens = child.precedence() < self.precedence()
            || (right && child.precedence() == self.precedence());
        if needs_parens {
            write!(f, "({child})")
        } else {
            write!(f, "{child}")
        }
    }
}

impl fmt::Display for ComparisonExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComparisonExpression::Comparison(comparison) => write!(f, "{comparison}"),
            ComparisonExpression::And(left, right) | ComparisonExpression::Or(left, right) => {
                let keyword = if matches!(self, ComparisonExpression::And(..)) {
                    "AND"
                } else {
                    "OR"
                };
                self.write_child(f, left, false)?;
                write!(f, " {keyword} ")?;
                self.write_child(f, right, true)
            }
        }
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within(Seconds::Integer(seconds)) => write!(f, "WITHIN {seconds} SECONDS"),
            Qualifier::Within(Seconds::Float(seconds)) => {
                f.write_str("WITHIN ")?;
                write_float(f, *seconds)?;
                f.write_str(" SECONDS")
            }
            Qualifier::Repeats(times) => write!(f, "REPEATS {times} TIMES"),
            Qualifier::StartStop { start, stop } => write!(f, "START t'{start}' STOP t'{stop}'"),
        }
    }
}

impl ObservationExpression {
    fn precedence(&self) -> u8 {
        match self {
            ObservationExpression::FollowedBy(..) => 1,
            ObservationExpression::Or(..) => 2,
            ObservationExpression::And(..) => 3,
            ObservationExpression::Qualified(..) => 4,
            ObservationExpression::Observation(_) => 5,
        }
    }

    fn write_child(&self, f: &mut fmt::Formatter<'_>, child: &Self, right: bool) -> fmt::Result {
        let needs_parens = child.precedence() < self.precedence()
            || (right && child.precedence() == self.precedence());
        if needs_parens {
            write!(f, "({child})")
        } else {
            write!(f, "{child}")
        }
    }
}

impl fmt::Display for ObservationExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObservationExpression::Observation(comparison) => write!(f, "[{comparison}]"),
            ObservationExpression::Qualified(inner, qualifier) => {
                // A qualifier on a qualified expression is always written
                // with parentheses: the OASIS validator rejects a repeated
                // qualifier type on one bare observation.
                if matches!(**inner, ObservationExpression::Observation(_)) {
                    write!(f, "{inner} {qualifier}")
                } else {
                    write!(f, "({inner}) {qualifier}")
                }
            }
            ObservationExpression::And(left, right)
            | ObservationExpression::Or(left, right)
            | ObservationExpression::FollowedBy(left, right) => {
                let keyword = match self {
                    ObservationExpression::And(..) => "AND",
                    ObservationExpression::Or(..) => "OR",
                    _ => "FOLLOWEDBY",
                };
                self.write_child(f, left, false)?;
                write!(f, " {keyword} ")?;
                self.write_child(f, right, true)
            }
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expression)
    }
}
