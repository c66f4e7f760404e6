//! Indicator patterns: victim-side comparisons are taken out through the
//! pattern's syntax tree, attacker comparisons stay.
//!
//! Taking a comparison out of an `OR` narrows the pattern; out of an `AND`
//! it broadens it, which is acceptable only while the rest still names an
//! attacker value. So the rewritten pattern is kept only when it still has
//! a positive comparison against a string (an "anchor"); a `FOLLOWEDBY`
//! that loses one side changes what the sequence means and is not
//! rewritten. Otherwise the whole indicator is dropped.

use std::collections::BTreeMap;

use isacx_schemas::pattern::{
    parse_pattern, Comparison, ComparisonExpression, ComparisonOperator, Constant,
    ObservationExpression, PathStep, Pattern, Qualifier,
};
use isacx_schemas::stix::pattern_string_literal;

use super::detect::{char_offset, Detector, Mode};
use super::time::coarsen_text;
use super::{RuleId, TimeGranularity};

/// One value taken out of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Removed {
    pub rule: RuleId,
    pub value: String,
    /// Character offsets in the original pattern text, when found there.
    pub span: Option<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Unchanged,
    Rewritten {
        pattern: String,
        removed: Vec<Removed>,
        /// Timestamps made coarser: (as written, as now written).
        coarsened: Vec<(String, String)>,
    },
    /// Nothing safe is left; `removed` says why (at least one entry).
    Dropped {
        removed: Vec<Removed>,
    },
}

/// Recipients of a message are the victims, whatever their address.
fn is_recipient_path(comparison: &Comparison) -> bool {
    comparison.path.object_type == "email-message"
        && matches!(comparison.path.steps.first(),
            Some(PathStep::Property(p)) if matches!(p.as_str(), "to_refs" | "cc_refs" | "bcc_refs"))
}

struct Pruner<'a> {
    detector: &'a Detector<'a>,
    removed: Vec<Removed>,
    /// A rewrite would change the pattern's meaning beyond narrowing or an
    /// anchored broadening.
    unsafe_rewrite: bool,
}

impl Pruner<'_> {
    fn victim(&self, value: &str) -> Option<RuleId> {
        let first = |text: &str| {
            self.detector
                .scan(text, Mode::Value)
                .first()
                .map(|hit| hit.rule)
        };
        // Regular expressions escape the dots of a domain.
        first(value).or_else(|| first(&value.replace('\\', "")))
    }

    fn remove(&mut self, rule: RuleId, value: &str) {
        self.removed.push(Removed {
            rule,
            value: value.to_owned(),
            span: None,
        });
    }

    fn comparison(&mut self, comparison: &Comparison) -> Option<Comparison> {
        let recipient = is_recipient_path(comparison);
        match &comparison.value {
            Constant::String(value) => {
                let rule = if recipient {
                    Some(RuleId::EmailAddress)
                } else {
                    self.victim(value)
                };
                match rule {
                    Some(rule) => {
                        self.remove(rule, value);
                        None
                    }
                    None => Some(comparison.clone()),
                }
            }
            Constant::Set(items) => {
                let mut kept = Vec::new();
                for item in items {
                    let rule = match item {
                        Constant::String(value) if recipient => Some((RuleId::EmailAddress, value)),
                        Constant::String(value) => self.victim(value).map(|rule| (rule, value)),
                        _ => None,
                    };
                    match rule {
                        Some((rule, value)) => self.remove(rule, value),
                        None => kept.push(item.clone()),
                    }
                }
                if kept.is_empty() {
                    None
                } else {
                    let mut comparison = comparison.clone();
                    comparison.value = Constant::Set(kept);
                    Some(comparison)
                }
            }
            _ => Some(comparison.clone()),
        }
    }

    fn comparisons(&mut self, expression: &ComparisonExpression) -> Option<ComparisonExpression> {
        match expression {
            ComparisonExpression::Comparison(c) => {
                self.comparison(c).map(ComparisonExpression::Comparison)
            }
            ComparisonExpression::And(left, right) | ComparisonExpression::Or(left, right) => {
                let l = self.comparisons(left);
                let r = self.comparisons(right);
                match (l, r) {
                    (Some(l), Some(r)) => {
                        Some(if matches!(expression, ComparisonExpression::And(..)) {
                            ComparisonExpression::And(Box::new(l), Box::new(r))
                        } else {
                            ComparisonExpression::Or(Box::new(l), Box::new(r))
                        })
                    }
                    (Some(one), None) | (None, Some(one)) => Some(one),
                    (None, None) => None,
                }
            }
        }
    }

    fn observations(
        &mut self,
        expression: &ObservationExpression,
    ) -> Option<ObservationExpression> {
        match expression {
            ObservationExpression::Observation(c) => {
                self.comparisons(c).map(ObservationExpression::Observation)
            }
            ObservationExpression::Qualified(inner, qualifier) => self
                .observations(inner)
                .map(|inner| ObservationExpression::Qualified(Box::new(inner), qualifier.clone())),
            ObservationExpression::And(left, right)
            | ObservationExpression::Or(left, right)
            | ObservationExpression::FollowedBy(left, right) => {
                let l = self.observations(left);
                let r = self.observations(right);
                match (l, r) {
                    (Some(l), Some(r)) => Some(match expression {
                        ObservationExpression::And(..) => {
                            ObservationExpression::And(Box::new(l), Box::new(r))
                        }
                        ObservationExpression::Or(..) => {
                            ObservationExpression::Or(Box::new(l), Box::new(r))
                        }
                        _ => ObservationExpression::FollowedBy(Box::new(l), Box::new(r)),
                    }),
                    (Some(one), None) | (None, Some(one)) => {
                        if matches!(expression, ObservationExpression::FollowedBy(..)) {
                            self.unsafe_rewrite = true;
                        }
                        Some(one)
                    }
                    (None, None) => None,
                }
            }
        }
    }
}

/// Whether the pattern still names an attacker value positively.
fn anchored(pattern: &Pattern) -> bool {
    pattern.comparisons().iter().any(|c| {
        !c.negated
            && matches!(
                c.operator,
                ComparisonOperator::Equal
                    | ComparisonOperator::In
                    | ComparisonOperator::Like
                    | ComparisonOperator::Matches
                    | ComparisonOperator::IsSubset
                    | ComparisonOperator::IsSuperset
            )
            && match &c.value {
                Constant::String(_) => true,
                Constant::Set(items) => items.iter().any(|i| matches!(i, Constant::String(_))),
                _ => false,
            }
    })
}

/// Coarsens one timestamp as written in a pattern; `key` says whether it
/// starts (`start`) or ends (`end`) an interval.
fn coarsen_one(
    text: &mut String,
    key: &str,
    granularity: TimeGranularity,
    out: &mut Vec<(String, String)>,
) {
    if let Some(coarse) = coarsen_text(text, key, granularity) {
        out.push((text.clone(), coarse.clone()));
        *text = coarse;
    }
}

fn coarsen_constant(
    value: &mut Constant,
    granularity: TimeGranularity,
    out: &mut Vec<(String, String)>,
) {
    match value {
        Constant::Timestamp(text) => coarsen_one(text, "start", granularity, out),
        Constant::Set(items) => {
            for item in items {
                coarsen_constant(item, granularity, out);
            }
        }
        _ => {}
    }
}

fn coarsen_comparisons(
    expression: &mut ComparisonExpression,
    granularity: TimeGranularity,
    out: &mut Vec<(String, String)>,
) {
    match expression {
        ComparisonExpression::Comparison(c) => coarsen_constant(&mut c.value, granularity, out),
        ComparisonExpression::And(l, r) | ComparisonExpression::Or(l, r) => {
            coarsen_comparisons(l, granularity, out);
            coarsen_comparisons(r, granularity, out);
        }
    }
}

/// Times written in a pattern (`START`/`STOP` qualifiers, `t'…'`
/// constants) are coarsened like every other time.
fn coarsen_observation(
    expression: &mut ObservationExpression,
    granularity: TimeGranularity,
    out: &mut Vec<(String, String)>,
) {
    if granularity == TimeGranularity::None {
        return;
    }
    match expression {
        ObservationExpression::Observation(c) => coarsen_comparisons(c, granularity, out),
        ObservationExpression::Qualified(inner, qualifier) => {
            coarsen_observation(inner, granularity, out);
            if let Qualifier::StartStop { start, stop } = qualifier {
                coarsen_one(start, "start", granularity, out);
                coarsen_one(stop, "end", granularity, out);
            }
        }
        ObservationExpression::And(l, r)
        | ObservationExpression::Or(l, r)
        | ObservationExpression::FollowedBy(l, r) => {
            coarsen_observation(l, granularity, out);
            coarsen_observation(r, granularity, out);
        }
    }
}

/// Finds where each removed value was written in the original pattern
/// (the n-th removal of a value is its n-th occurrence).
fn locate(text: &str, removed: &mut [Removed]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for entry in removed.iter_mut() {
        let literal = pattern_string_literal(&entry.value);
        let skip = seen.entry(literal.clone()).or_insert(0);
        if let Some((byte, _)) = text.match_indices(&literal).nth(*skip) {
            // Offsets of the value, inside the quotes.
            let start = char_offset(text, byte) + 1;
            let end = char_offset(text, byte + literal.len()) - 1;
            entry.span = Some((start, end));
        }
        *skip += 1;
    }
}

/// Sanitises one indicator pattern.
pub(crate) fn sanitise(
    detector: &Detector<'_>,
    text: &str,
    pattern_type: &str,
    granularity: TimeGranularity,
) -> Outcome {
    let parsed = if pattern_type == "stix" {
        parse_pattern(text).ok()
    } else {
        None
    };
    let Some(pattern) = parsed else {
        // Another pattern language, or a STIX pattern that does not parse:
        // it cannot be rewritten safely, so it goes if it names the victim.
        let hits = detector.scan(text, Mode::Value);
        return match hits.first() {
            None => Outcome::Unchanged,
            Some(hit) => Outcome::Dropped {
                removed: vec![Removed {
                    rule: hit.rule,
                    value: text.get(hit.start..hit.end).unwrap_or("").to_owned(),
                    span: Some((char_offset(text, hit.start), char_offset(text, hit.end))),
                }],
            },
        };
    };
    let mut pruner = Pruner {
        detector,
        removed: Vec::new(),
        unsafe_rewrite: false,
    };
    let pruned = pruner.observations(&pattern.expression);
    let mut removed = pruner.removed;
    if removed.is_empty() && granularity == TimeGranularity::None {
        return Outcome::Unchanged;
    }
    locate(text, &mut removed);
    let mut expression = match pruned {
        Some(expression) if !pruner.unsafe_rewrite => expression,
        _ => return Outcome::Dropped { removed },
    };
    let mut coarsened = Vec::new();
    coarsen_observation(&mut expression, granularity, &mut coarsened);
    if removed.is_empty() && coarsened.is_empty() {
        return Outcome::Unchanged;
    }
    let rewritten = Pattern { expression };
    if !removed.is_empty() && !anchored(&rewritten) {
        return Outcome::Dropped { removed };
    }
    Outcome::Rewritten {
        pattern: rewritten.to_string(),
        removed,
        coarsened,
    }
}
