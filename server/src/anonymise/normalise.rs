//! The text the detectors look at: NFKC-normalised, with dash variants and
//! defanged separators (`[.]`, `[at]` …) made plain, and a map back to the
//! original text so that redactions land on the characters the member wrote.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;

/// One run of original text and what it became.
#[derive(Debug, Clone, Copy)]
struct Segment {
    norm_end: usize,
    orig_start: usize,
    orig_end: usize,
}

/// Normalised text plus the offset map.
#[derive(Debug, Clone)]
pub(crate) struct NormText {
    pub text: String,
    segments: Vec<Segment>,
}

/// Defanged spellings analysts use so that indicators do not become links;
/// the member's domain must be found in them too.
const DEFANGS: &[(&str, &str)] = &[
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("[@]", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
];

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}'
    )
}

/// NFKC of a cluster, with dashes unified.
fn normalise_cluster(cluster: &str) -> String {
    cluster
        .nfkc()
        .map(|c| if is_dash(c) { '-' } else { c })
        .collect()
}

/// Whether `c` attaches to the character before it under NFKC (a combining
/// mark, or a half-width voiced sound mark that becomes one).
fn attaches_to_previous(c: char) -> bool {
    let mut buf = [0u8; 4];
    let single: &str = c.encode_utf8(&mut buf);
    single
        .nfkd()
        .next()
        .is_some_and(|first| canonical_combining_class(first) != 0)
}

impl NormText {
    pub fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut segments = Vec::new();
        let mut position = 0;
        while position < original.len() {
            let rest = original.get(position..).unwrap_or("");
            if let Some((spelling, plain)) = DEFANGS.iter().find(|(spelling, _)| {
                rest.get(..spelling.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(spelling))
            }) {
                text.push_str(plain);
                segments.push(Segment {
                    norm_end: text.len(),
                    orig_start: position,
                    orig_end: position + spelling.len(),
                });
                position += spelling.len();
                continue;
            }
            let mut chars = rest.char_indices();
            let Some((_, first)) = chars.next() else {
                break;
            };
            let mut cluster_len = first.len_utf8();
            for (offset, c) in chars {
                if attaches_to_previous(c) {
                    cluster_len = offset + c.len_utf8();
                } else {
                    break;
                }
            }
            let cluster = rest.get(..cluster_len).unwrap_or("");
            text.push_str(&normalise_cluster(cluster));
            segments.push(Segment {
                norm_end: text.len(),
                orig_start: position,
                orig_end: position + cluster_len,
            });
            position += cluster_len;
        }
        Self { text, segments }
    }

    /// The original byte range that produced `start..end` of the
    /// normalised text, widened to whole clusters (never narrower, so a
    /// redaction never leaves part of a match behind).
    pub fn to_original(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        if start >= end {
            return None;
        }
        let first = self.segments.partition_point(|s| s.norm_end <= start);
        let last = self.segments.partition_point(|s| s.norm_end < end);
        let a = self.segments.get(first)?;
        let b = self.segments.get(last)?;
        Some((a.orig_start, b.orig_end))
    }
}

/// Normalises a configured string (a member name, a domain) the same way.
pub(crate) fn normalise(text: &str) -> String {
    NormText::new(text).text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_half_width_map_back() {
        let original = "株式会社ＡＣＭＥの件 ｶﾞｽ";
        let norm = NormText::new(original);
        assert_eq!(norm.text, "株式会社ACMEの件 ガス");
        let start = norm.text.find("ACME").unwrap_or(0);
        let (a, b) = norm.to_original(start, start + 4).unwrap_or((0, 0));
        assert_eq!(&original[a..b], "ＡＣＭＥ");
        let start = norm.text.find("ガ").unwrap_or(0);
        let (a, b) = norm
            .to_original(start, start + "ガ".len())
            .unwrap_or((0, 0));
        assert_eq!(&original[a..b], "ｶﾞ");
    }

    #[test]
    fn defanged_separators() {
        let original = "portal[.]member(.)example and a[at]b.example";
        let norm = NormText::new(original);
        assert_eq!(norm.text, "portal.member.example and a@b.example");
    }

    #[test]
    fn circled_company_mark() {
        assert_eq!(normalise("㈱アクメ"), "(株)アクメ");
    }
}
