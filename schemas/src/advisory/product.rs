//! Products as CPE 2.3 names (NISTIR 7695), for matching advisories to the
//! technologies members use.
//!
//! Accepted forms: the CPE 2.3 formatted string
//! (`cpe:2.3:a:fortinet:fortios:7.2.4:*:*:*:*:*:*:*`) and the shorthand
//! `vendor:product[:version]`, which stands for a CPE whose other attributes
//! are ANY. Values compare case-insensitively. `*` alone is ANY, `-` is NA
//! (not applicable); inside a value, unescaped `*` and `?` are wildcards
//! (any run of characters / one character), as the formatted-string binding
//! allows. Two names *overlap* when every attribute of one can match the
//! corresponding attribute of the other — so an advisory for
//! `fortinet:fortios` concerns a member running
//! `cpe:2.3:o:fortinet:fortios:7.2.4`, and an advisory for versions `7.2.*`
//! concerns 7.2.4 but not 7.4.1.

/// Attribute names in formatted-string order (after `cpe:2.3:`).
pub const ATTRIBUTES: [&str; 11] = [
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
];

/// One attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Any,
    NotApplicable,
    /// Lower-cased, unescaped; `wildcards` says whether unescaped `*`/`?` occur
    /// (kept in `pattern`, where escaped ones are stored as `\*`/`\?`).
    Text {
        pattern: String,
        wildcards: bool,
    },
}

/// A parsed product name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Product {
    pub values: [Value; 11],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    #[error("empty product; give a CPE 2.3 name (cpe:2.3:a:vendor:product:…) or vendor:product")]
    Empty,
    #[error("a CPE 2.3 formatted string has 13 parts separated by `:`; this one has {0}")]
    WrongLength(usize),
    #[error("part must be a (application), o (operating system), h (hardware) or *; got `{0}`")]
    BadPart(String),
    #[error("the {0} must not be empty")]
    EmptyAttribute(&'static str),
    #[error("`{0}` is not a CPE 2.3 name (cpe:2.3:…) nor vendor:product[:version]")]
    NotAProduct(String),
    #[error("the {attribute} contains `{ch}`, which CPE 2.3 allows only escaped (\\{ch})")]
    BadCharacter { attribute: &'static str, ch: char },
}

/// Splits on unescaped `:`.
fn split(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let last = parts.last_mut();
                if let Some(last) = last {
                    last.push('\\');
                    if let Some(next) = chars.next() {
                        last.push(next);
                    }
                }
            }
            ':' => parts.push(String::new()),
            c => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts
}

fn value(raw: &str, attribute: &'static str) -> Result<Value, ProductError> {
    let raw = raw.trim();
    match raw {
        "" => return Err(ProductError::EmptyAttribute(attribute)),
        "*" => return Ok(Value::Any),
        "-" => return Ok(Value::NotApplicable),
        _ => {}
    }
    let mut pattern = String::with_capacity(raw.len());
    let mut wildcards = false;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ ('*' | '?' | '\\')) => {
                    pattern.push('\\');
                    pattern.push(n);
                }
                Some(n) => pattern.extend(n.to_lowercase()),
                None => return Err(ProductError::BadCharacter { attribute, ch: '\\' }),
            },
            '*' | '?' => {
                wildcards = true;
                pattern.push(c);
            }
            ' ' => pattern.push('_'),
            c if c.is_control() => return Err(ProductError::BadCharacter { attribute, ch: c }),
            c => pattern.extend(c.to_lowercase()),
        }
    }
    Ok(Value::Text { pattern, wildcards })
}

impl Product {
    pub fn parse(text: &str) -> Result<Product, ProductError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ProductError::Empty);
        }
        let parts = split(text);
        let mut values: [Value; 11] = std::array::from_fn(|_| Value::Any);
        if parts.len() >= 2 && parts[0].eq_ignore_ascii_case("cpe") && parts[1] == "2.3" {
            if parts.len() != 13 {
                return Err(ProductError::WrongLength(parts.len()));
            }
            for (i, raw) in parts[2..].iter().enumerate() {
                values[i] = value(raw, ATTRIBUTES[i])?;
            }
            match &values[0] {
                Value::Any => {}
                Value::Text { pattern, wildcards: false } if matches!(pattern.as_str(), "a" | "o" | "h") => {}
                _ => return Err(ProductError::BadPart(parts[2].clone())),
            }
        } else if parts[0].eq_ignore_ascii_case("cpe") || text.starts_with("cpe:/") {
            return Err(ProductError::NotAProduct(text.to_owned()));
        } else {
            if !(2..=3).contains(&parts.len()) {
                return Err(ProductError::NotAProduct(text.to_owned()));
            }
            values[1] = value(&parts[0], "vendor")?;
            values[2] = value(&parts[1], "product")?;
            if let Some(version) = parts.get(2) {
                values[3] = value(version, "version")?;
            }
        }
        Ok(Product { values })
    }

    /// The CPE 2.3 formatted string.
    pub fn to_cpe(&self) -> String {
        let mut out = String::from("cpe:2.3");
        for v in &self.values {
            out.push(':');
            match v {
                Value::Any => out.push('*'),
                Value::NotApplicable => out.push('-'),
                Value::Text { pattern, .. } => {
                    for c in pattern.chars() {
                        // Escape what the binding reserves; `\*` and `\?` are already escaped.
                        if matches!(
                            c,
                            ':' | '!'
                                | '"'
                                | '#'
                                | '$'
                                | '%'
                                | '&'
                                | '\''
                                | '('
                                | ')'
                                | '+'
                                | ','
                                | '/'
                                | ';'
                                | '<'
                                | '='
                                | '>'
                                | '@'
                                | '['
                                | ']'
                                | '^'
                                | '`'
                                | '{'
                                | '|'
                                | '}'
                                | '~'
                        ) {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                }
            }
        }
        out
    }

    /// The vendor as matching keys it (lower case), unless it is ANY or a pattern.
    pub fn vendor_key(&self) -> Option<&str> {
        match &self.values[1] {
            Value::Text { pattern, wildcards: false } => Some(pattern),
            _ => None,
        }
    }

    /// Whether some product could be named by both.
    pub fn overlaps(&self, other: &Product) -> bool {
        self.values.iter().zip(other.values.iter()).all(|(a, b)| values_overlap(a, b))
    }
}

fn values_overlap(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Any, _) | (_, Value::Any) => true,
        (Value::NotApplicable, Value::NotApplicable) => true,
        (Value::NotApplicable, _) | (_, Value::NotApplicable) => false,
        (Value::Text { pattern: pa, wildcards: wa }, Value::Text { pattern: pb, wildcards: wb }) => match (wa, wb) {
            (false, false) => pa == pb,
            (true, false) => glob(pa, &unescape(pb)),
            (false, true) => glob(pb, &unescape(pa)),
            // Two patterns: overlap if either matches the other read literally.
            (true, true) => glob(pa, &unescape(pb)) || glob(pb, &unescape(pa)) || pa == pb,
        },
    }
}

fn unescape(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Lit(char),
    One,
    Many,
}

/// `*` any run, `?` one character; `\x` is a literal x.
fn glob(pattern: &str, text: &str) -> bool {
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '\\' => Tok::Lit(chars.next().unwrap_or('\\')),
            '*' => Tok::Many,
            '?' => Tok::One,
            c => Tok::Lit(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // Iterative matcher with backtracking to the last `*`.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Lit(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Many) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|t| *t == Tok::Many)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Product {
        Product::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_both_forms() {
        assert_eq!(p("Fortinet:FortiOS").to_cpe(), "cpe:2.3:*:fortinet:fortios:*:*:*:*:*:*:*:*");
        assert_eq!(p("fortinet:fortios:7.2.4").to_cpe(), "cpe:2.3:*:fortinet:fortios:7.2.4:*:*:*:*:*:*:*");
        assert_eq!(
            p("cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*").to_cpe(),
            "cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"
        );
        assert_eq!(p("cpe:2.3:a:microsoft:exchange\\:server:2019:-:*:*:*:*:*:*").vendor_key(), Some("microsoft"));
        assert_eq!(p("Ivanti:Connect Secure").to_cpe(), "cpe:2.3:*:ivanti:connect_secure:*:*:*:*:*:*:*:*");
    }

    #[test]
    fn refuses_what_is_not_a_product() {
        assert_eq!(Product::parse(""), Err(ProductError::Empty));
        assert_eq!(Product::parse("fortios"), Err(ProductError::NotAProduct("fortios".into())));
        assert_eq!(Product::parse("cpe:2.3:a:x:y"), Err(ProductError::WrongLength(5)));
        assert!(matches!(Product::parse("cpe:2.3:q:x:y:*:*:*:*:*:*:*:*"), Err(ProductError::BadPart(_))));
        assert_eq!(Product::parse("x::1"), Err(ProductError::EmptyAttribute("product")));
        assert!(Product::parse("cpe:/a:x:y").is_err());
    }

    #[test]
    fn overlap_rules() {
        let installed = p("cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*");
        assert!(p("fortinet:fortios").overlaps(&installed));
        assert!(installed.overlaps(&p("fortinet:fortios")), "overlap is symmetric");
        assert!(p("fortinet:fortios:7.2.*").overlaps(&installed));
        assert!(!p("fortinet:fortios:7.4.*").overlaps(&installed));
        assert!(!p("fortinet:fortiproxy").overlaps(&installed));
        assert!(
            !p("cpe:2.3:a:fortinet:fortios:*:*:*:*:*:*:*:*").overlaps(&installed),
            "application vs operating system"
        );
        assert!(p("*:fortios").overlaps(&installed));
        assert!(p("fort?net:forti*").overlaps(&installed));
        assert!(
            !p("cpe:2.3:o:fortinet:fortios:7.2.4:-:*:*:*:*:*:*").overlaps(&p("cpe:2.3:o:fortinet:fortios:7.2.4:beta:*:*:*:*:*:*")),
            "NA matches only NA or ANY"
        );
        assert!(p("cpe:2.3:o:fortinet:fortios:7.2.4:-:*:*:*:*:*:*").overlaps(&installed));
        assert!(p("a:7.*").overlaps(&p("a:7.2*")));
    }

    #[test]
    fn glob_matching() {
        assert!(glob("7.2.*", "7.2.14"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("v?", "v1"));
        assert!(!glob("v?", "v12"));
        assert!(glob("\\*x", "*x"));
        assert!(!glob("\\*x", "ax"));
    }
}
