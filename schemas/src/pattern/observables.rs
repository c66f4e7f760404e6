//! Extraction of plain `type:value` observables from simple patterns, for
//! consumers that only take lists (firewalls, DNS sinkholes).

use super::ast::*;

/// One observable a simple pattern matches, e.g. `ipv4-addr` / `value` /
/// `198.51.100.3`, or `file` / `hashes.SHA-256` / `…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SimpleObservable {
    pub object_type: String,
    /// Dotted property path (`value`, `hashes.SHA-256`).
    pub property: String,
    pub value: String,
}

impl Pattern {
    /// The observables of a pattern that is only a disjunction of string
    /// equalities (`=` or `IN (…)`), such as
    /// `[ipv4-addr:value = '198.51.100.3' OR ipv4-addr:value = '203.0.113.1']`.
    ///
    /// `None` when the pattern is anything more (AND, FOLLOWEDBY, qualifiers,
    /// negation, other operators, list indexes): its values alone do not
    /// match what it describes, so putting them on a block list would be wrong.
    pub fn simple_observables(&self) -> Option<Vec<SimpleObservable>> {
        let mut found = Vec::new();
        collect_observation(&self.expression, &mut found)?;
        Some(found)
    }
}

fn collect_observation(
    expression: &ObservationExpression,
    found: &mut Vec<SimpleObservable>,
) -> Option<()> {
    match expression {
        ObservationExpression::Observation(comparison) => collect_comparison(comparison, found),
        ObservationExpression::Or(left, right) => {
            collect_observation(left, found)?;
            collect_observation(right, found)
        }
        _ => None,
    }
}

fn collect_comparison(
    expression: &ComparisonExpression,
    found: &mut Vec<SimpleObservable>,
) -> Option<()> {
    match expression {
        ComparisonExpression::Or(left, right) => {
            collect_comparison(left, found)?;
            collect_comparison(right, found)
        }
        ComparisonExpression::And(..) => None,
        ComparisonExpression::Comparison(comparison) => {
            if comparison.negated
                || !comparison
                    .path
                    .steps
                    .iter()
                    .all(|step| matches!(step, PathStep::Property(_)))
            {
                return None;
            }
            let values: Vec<&str> = match (&comparison.operator, &comparison.value) {
                (ComparisonOperator::Equal, Constant::String(value)) => vec![value.as_str()],
                (ComparisonOperator::In, Constant::Set(items)) => items
                    .iter()
                    .map(|item| match item {
                        Constant::String(value) => Some(value.as_str()),
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
                _ => return None,
            };
            let property = comparison.path.property_path();
            found.extend(values.into_iter().map(|value| SimpleObservable {
                object_type: comparison.path.object_type.clone(),
                property: property.clone(),
                value: value.to_owned(),
            }));
            Some(())
        }
    }
}

impl Pattern {
    /// Every comparison in the pattern, in order, wherever it sits.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        let mut found = Vec::new();
        walk_observation(&self.expression, &mut found);
        found
    }
}

fn walk_observation<'a>(expression: &'a ObservationExpression, found: &mut Vec<&'a Comparison>) {
    match expression {
        ObservationExpression::Observation(comparison) => walk_comparison(comparison, found),
        ObservationExpression::And(left, right)
        | ObservationExpression::Or(left, right)
        | ObservationExpression::FollowedBy(left, right) => {
            walk_observation(left, found);
            walk_observation(right, found);
        }
        ObservationExpression::Qualified(inner, _) => walk_observation(inner, found),
    }
}

fn walk_comparison<'a>(expression: &'a ComparisonExpression, found: &mut Vec<&'a Comparison>) {
    match expression {
        ComparisonExpression::Comparison(comparison) => found.push(comparison),
        ComparisonExpression::And(left, right) | ComparisonExpression::Or(left, right) => {
            walk_comparison(left, found);
            walk_comparison(right, found);
        }
    }
}
