//! The STIX pattern parser accepts the specification's examples, rejects
//! malformed patterns at the right position, and never panics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use isacx_schemas::pattern::{
    parse_pattern, Comparison, ComparisonExpression, ComparisonOperator, Constant, ObjectPath,
    ObservationExpression, PathStep, Pattern, Qualifier, Seconds, SimpleObservable,
};
use proptest::prelude::*;

const VALID: &str = include_str!("fixtures/stix/patterns/valid.txt");
const INVALID: &str = include_str!("fixtures/stix/patterns/invalid.txt");

fn fixture_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|line| !line.starts_with('#'))
}

#[test]
fn accepts_spec_examples_and_reprints_them_stably() {
    let mut count = 0;
    for line in fixture_lines(VALID) {
        let pattern = parse_pattern(line).unwrap_or_else(|e| panic!("{line}\n{e}"));
        let printed = pattern.to_string();
        let reparsed = parse_pattern(&printed).unwrap_or_else(|e| panic!("{printed}\n{e}"));
        assert_eq!(reparsed, pattern, "{line}\nprinted as\n{printed}");
        count += 1;
    }
    assert!(count >= 30, "only {count} valid patterns");
}

#[test]
fn rejects_malformed_patterns_at_the_right_offset() {
    let mut failures = Vec::new();
    for line in fixture_lines(INVALID) {
        let (offset, pattern) = line.split_once('\t').unwrap();
        let expected: usize = offset.parse().unwrap();
        match parse_pattern(pattern) {
            Ok(parsed) => failures.push(format!("accepted {pattern:?} as {parsed:?}")),
            Err(error) if error.offset != expected => failures.push(format!(
                "{pattern:?}: error at {} (expected {expected}): {error}",
                error.offset
            )),
            Err(error) => {
                assert_eq!(error.line, 1);
                assert_eq!(error.column, pattern[..expected].chars().count() + 1);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_position_counts_lines_and_characters() {
    let error = parse_pattern("[file:name = 'é']\nAND [file:size = ]").unwrap_err();
    assert_eq!((error.line, error.column), (2, 18));
    assert_eq!(error.offset, "[file:name = 'é']\nAND [file:size = ".len());
    assert!(error.to_string().contains("line 2, column 18"), "{error}");
}

#[test]
fn builds_the_expected_tree() {
    let pattern = parse_pattern(
        "[a:x = 1 OR a:y = 'q' AND a:z NOT LIKE 'w%'] AND [b:v[*].'k-1' IN (true, h'00')] \
         FOLLOWEDBY [c:d = t'2020-01-01T00:00:00Z'] REPEATS 2 TIMES WITHIN 1.5 SECONDS",
    )
    .unwrap();
    let ObservationExpression::FollowedBy(left, right) = &pattern.expression else {
        panic!("{pattern:?}")
    };
    let ObservationExpression::And(first, second) = &**left else {
        panic!("{left:?}")
    };
    let ObservationExpression::Observation(ComparisonExpression::Or(_, and)) = &**first else {
        panic!("{first:?}")
    };
    let ComparisonExpression::And(_, like) = &**and else {
        panic!("{and:?}")
    };
    assert_eq!(
        **like,
        ComparisonExpression::Comparison(Comparison {
            path: ObjectPath {
                object_type: "a".into(),
                steps: vec![PathStep::Property("z".into())]
            },
            negated: true,
            operator: ComparisonOperator::Like,
            value: Constant::String("w%".into()),
        })
    );
    let ObservationExpression::Observation(ComparisonExpression::Comparison(set)) = &**second
    else {
        panic!("{second:?}")
    };
    assert_eq!(
        set.path.steps,
        vec![
            PathStep::Property("v".into()),
            PathStep::AnyIndex,
            PathStep::Property("k-1".into())
        ]
    );
    assert_eq!(
        set.value,
        Constant::Set(vec![Constant::Boolean(true), Constant::Hex("00".into())])
    );
    let ObservationExpression::Qualified(inner, Qualifier::Within(Seconds::Float(seconds))) =
        &**right
    else {
        panic!("{right:?}")
    };
    assert_eq!(*seconds, 1.5);
    assert!(matches!(
        &**inner,
        ObservationExpression::Qualified(_, Qualifier::Repeats(2))
    ));
}

#[test]
fn extracts_simple_observables_only_from_simple_patterns() {
    let observables = |text: &str| parse_pattern(text).unwrap().simple_observables();
    let item = |t: &str, p: &str, v: &str| SimpleObservable {
        object_type: t.into(),
        property: p.into(),
        value: v.into(),
    };
    assert_eq!(
        observables("[ipv4-addr:value = '198.51.100.3']"),
        Some(vec![item("ipv4-addr", "value", "198.51.100.3")])
    );
    assert_eq!(
        observables(
            "[domain-name:value = 'a.example' OR domain-name:value IN ('b.example', 'c.example')] \
             OR [file:hashes.'SHA-256' = 'ab']"
        ),
        Some(vec![
            item("domain-name", "value", "a.example"),
            item("domain-name", "value", "b.example"),
            item("domain-name", "value", "c.example"),
            item("file", "hashes.SHA-256", "ab"),
        ])
    );
    for not_simple in [
        "[ipv4-addr:value = '198.51.100.3' AND ipv4-addr:value = '198.51.100.4']",
        "[ipv4-addr:value = '198.51.100.3'] AND [domain-name:value = 'x']",
        "[ipv4-addr:value = '198.51.100.3'] WITHIN 5 SECONDS",
        "[ipv4-addr:value != '198.51.100.3']",
        "[ipv4-addr:value NOT = '198.51.100.3']",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        "[domain-name:resolves_to_refs[*].value = '198.51.100.1']",
        "[file:size = 5]",
    ] {
        assert_eq!(observables(not_simple), None, "{not_simple}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}[a:b = 1]{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse_pattern(&deep).is_err());
    let deep = format!("[{}a:b = 1{}]", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse_pattern(&deep).is_err());
    let fine = format!("{}[a:b = 1]{}", "(".repeat(50), ")".repeat(50));
    assert!(parse_pattern(&fine).is_ok());
}

// ---- randomized tests -------------------------------------------------

fn identifier() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,8}".prop_filter("keyword", |s| !matches!(s.as_str(), "true" | "false"))
}

fn object_path() -> impl Strategy<Value = ObjectPath> {
    let step = prop_oneof![
        identifier().prop_map(PathStep::Property),
        "[ -~]{1,6}".prop_map(PathStep::Property),
        (-5i64..50).prop_map(PathStep::Index),
        Just(PathStep::AnyIndex),
    ];
    (
        "[a-z][a-z0-9-]{0,8}[a-z0-9]",
        identifier(),
        prop::collection::vec(step, 0..3),
    )
        .prop_map(|(object_type, first, rest)| {
            let mut steps = vec![PathStep::Property(first)];
            steps.extend(rest);
            ObjectPath { object_type, steps }
        })
}

fn constant() -> impl Strategy<Value = Constant> {
    prop_oneof![
        "\\PC{0,12}".prop_map(Constant::String),
        any::<i64>().prop_map(Constant::Integer),
        (-1.0e9f64..1.0e9).prop_map(Constant::Float),
        any::<bool>().prop_map(Constant::Boolean),
        "([A-Za-z0-9+/]{4}){1,3}".prop_map(Constant::Binary),
        "([0-9a-f]{2}){0,4}".prop_map(Constant::Hex),
        Just(Constant::Timestamp("2016-06-01T01:30:00.123Z".into())),
    ]
}

fn comparison() -> impl Strategy<Value = Comparison> {
    (
        object_path(),
        any::<bool>(),
        0usize..11,
        constant(),
        "\\PC{0,8}",
    )
        .prop_map(|(path, negated, operator_index, value, text)| {
            use ComparisonOperator::*;
            let operator = [
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
            ][operator_index];
            let value = match operator {
                Equal | NotEqual => value,
                Less | LessOrEqual | Greater | GreaterOrEqual => match value {
                    Constant::Boolean(_) => Constant::Integer(1),
                    other => other,
                },
                In => Constant::Set(vec![value, Constant::String(text)]),
                _ => Constant::String(text),
            };
            Comparison {
                path,
                negated,
                operator,
                value,
            }
        })
}

fn comparison_expression() -> impl Strategy<Value = ComparisonExpression> {
    comparison()
        .prop_map(ComparisonExpression::Comparison)
        .prop_recursive(3, 8, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| ComparisonExpression::And(Box::new(l), Box::new(r))),
                (inner.clone(), inner)
                    .prop_map(|(l, r)| ComparisonExpression::Or(Box::new(l), Box::new(r))),
            ]
        })
}

fn pattern() -> impl Strategy<Value = Pattern> {
    let qualifier = prop_oneof![
        (0i64..10_000).prop_map(|s| Qualifier::Within(Seconds::Integer(s))),
        (0.0f64..100.0).prop_map(|s| Qualifier::Within(Seconds::Float(s))),
        (0i64..100).prop_map(Qualifier::Repeats),
        Just(Qualifier::StartStop {
            start: "2016-06-01T01:30:00Z".into(),
            stop: "2016-06-01T02:20:00.5Z".into()
        }),
    ];
    comparison_expression()
        .prop_map(ObservationExpression::Observation)
        .prop_recursive(3, 8, 2, move |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| ObservationExpression::And(Box::new(l), Box::new(r))),
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| ObservationExpression::Or(Box::new(l), Box::new(r))),
                (inner.clone(), inner.clone()).prop_map(|(l, r)| {
                    ObservationExpression::FollowedBy(Box::new(l), Box::new(r))
                }),
                (inner, qualifier.clone())
                    .prop_map(|(e, q)| ObservationExpression::Qualified(Box::new(e), q)),
            ]
        })
        .prop_map(|expression| Pattern { expression })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any tree, printed and parsed again, is the same tree.
    #[test]
    fn printed_trees_parse_back(pattern in pattern()) {
        let text = pattern.to_string();
        let reparsed = parse_pattern(&text);
        prop_assert_eq!(reparsed.as_ref().ok(), Some(&pattern), "{} -> {:?}", text, reparsed);
    }

    /// Arbitrary text never panics; errors point inside the input.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        if let Err(error) = parse_pattern(&text) {
            prop_assert!(error.offset <= text.len());
        }
    }

    /// Spec examples with a random edit (insert, delete or replace a
    /// character) never panic.
    #[test]
    fn mutated_spec_examples_never_panic(
        index in 0usize..38,
        position in any::<prop::sample::Index>(),
        replacement in prop::sample::select(vec!["", "[", "]", "(", ")", "'", "\\", ".", ":", " ", "AND ", "-", "t'", "h'", "b'", "*", "é", "=", "9"]),
        delete in any::<bool>(),
    ) {
        let lines: Vec<&str> = fixture_lines(VALID).collect();
        let line = lines[index % lines.len()];
        let mut cut = position.index(line.len() + 1);
        while !line.is_char_boundary(cut) { cut -= 1; }
        let rest_start = if delete { line[cut..].chars().next().map_or(cut, |c| cut + c.len_utf8()) } else { cut };
        let mutated = format!("{}{}{}", &line[..cut], replacement, &line[rest_start..]);
        if let Err(error) = parse_pattern(&mutated) {
            prop_assert!(error.offset <= mutated.len());
        }
    }
}
