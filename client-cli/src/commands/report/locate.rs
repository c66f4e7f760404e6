//! From a field path (`times.recovered`, `indicators[0].pattern`, or a JSON
//! pointer) back to the line of the source file where that field is, so an
//! error in a report names the line to fix.
//!
//! JSON is scanned exactly (a small structural scanner that keeps line
//! numbers); YAML by indentation, which fits the block style the template
//! uses. When a field is absent (a missing required key) the line of the
//! nearest enclosing field is given.

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// `times.recovered`, `risk_sources[1]`, `indicators[0].pattern`.
pub fn parse_dotted(path: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            let key = &rest[..open];
            if !key.is_empty() {
                segs.push(Seg::Key(key.to_owned()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else {
                    break;
                };
                if let Ok(i) = stripped[..close].parse() {
                    segs.push(Seg::Index(i));
                }
                rest = &stripped[close + 1..];
            }
        } else {
            segs.push(Seg::Key(rest.to_owned()));
        }
    }
    segs
}

/// A JSON pointer (`/times/detected`, `/indicators/0`).
pub fn parse_pointer(pointer: &str) -> Vec<Seg> {
    pointer
        .split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .map(|p| match p.parse::<usize>() {
            Ok(i) => Seg::Index(i),
            Err(_) => Seg::Key(p),
        })
        .collect()
}

/// The dotted form of a path, as reports name fields.
pub fn dotted(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

// ---------------------------------------------------------------- JSON

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    target: &'a [Seg],
    best: (usize, usize),
}

impl Scan<'_> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.i += 1;
        }
    }

    fn string(&mut self) -> String {
        let start = self.i + 1;
        self.i += 1;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\\' => self.i += 2,
                b'"' => break,
                _ => self.i += 1,
            }
        }
        let raw = self.b.get(start..self.i.min(self.b.len())).unwrap_or(&[]);
        self.i += 1;
        serde_json::from_slice::<String>(&[b"\"", raw, b"\""].concat())
            .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
    }

    fn note(&mut self, path: &[Seg], line: usize) {
        if path.len() > self.best.0 && self.target.starts_with(path) {
            self.best = (path.len(), line);
        }
    }

    fn value(&mut self, path: &mut Vec<Seg>) {
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b'}') | None => {
                            self.i += 1;
                            return;
                        }
                        Some(b',') => self.i += 1,
                        Some(b'"') => {
                            let line = self.line;
                            let key = self.string();
                            self.ws();
                            self.i += 1; // ':'
                            path.push(Seg::Key(key));
                            self.note(path, line);
                            self.value(path);
                            path.pop();
                        }
                        Some(_) => self.i += 1,
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut n = 0;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b']') | None => {
                            self.i += 1;
                            return;
                        }
                        Some(b',') => self.i += 1,
                        Some(_) => {
                            path.push(Seg::Index(n));
                            let line = self.line;
                            self.note(path, line);
                            self.value(path);
                            path.pop();
                            n += 1;
                        }
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(&c) = self.b.get(self.i) {
                    if matches!(c, b',' | b']' | b'}' | b' ' | b'\n' | b'\t' | b'\r') {
                        break;
                    }
                    self.i += 1;
                }
            }
            None => {}
        }
    }
}

/// The line (1-based) of the field in JSON text.
pub fn json_line(text: &str, target: &[Seg]) -> usize {
    let mut scan = Scan {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        target,
        best: (0, 1),
    };
    scan.value(&mut Vec::new());
    scan.best.1
}

// ---------------------------------------------------------------- YAML

struct Line<'a> {
    /// Column of the first character.
    indent: usize,
    /// Column after any leading `- ` markers, and the text from there.
    col: usize,
    text: &'a str,
    dash: bool,
}

fn lines(text: &str) -> Vec<Option<Line<'_>>> {
    text.lines()
        .map(|l| {
            let indent = l.len() - l.trim_start_matches(' ').len();
            let mut rest = &l[indent..];
            if rest.is_empty() || rest.starts_with('#') {
                return None;
            }
            let mut col = indent;
            let dash = rest.starts_with("- ") || rest == "-";
            while let Some(r) = rest.strip_prefix("- ") {
                let r2 = r.trim_start_matches(' ');
                col += rest.len() - r2.len();
                rest = r2;
            }
            Some(Line {
                indent,
                col,
                text: rest,
                dash,
            })
        })
        .collect()
}

fn key_of(text: &str) -> Option<String> {
    let t = text.trim_start();
    let (k, _) = if let Some(q) = t.strip_prefix('"') {
        let end = q.find('"')?;
        return q[end + 1..]
            .trim_start()
            .starts_with(':')
            .then(|| q[..end].to_owned());
    } else if let Some(q) = t.strip_prefix('\'') {
        let end = q.find('\'')?;
        return q[end + 1..]
            .trim_start()
            .starts_with(':')
            .then(|| q[..end].to_owned());
    } else {
        t.split_once(':')?
    };
    Some(k.trim().to_owned())
}

/// The line (1-based) of the field in block-style YAML text.
pub fn yaml_line(text: &str, target: &[Seg]) -> usize {
    let ls = lines(text);
    let (mut start, mut end) = (0usize, ls.len());
    let mut best = 1;
    for seg in target {
        let block = || (start..end).filter_map(|i| ls[i].as_ref().map(|l| (i, l)));
        let found = match seg {
            Seg::Key(k) => block().map(|(_, l)| l.col).min().and_then(|col| {
                block()
                    .find(|(_, l)| l.col == col && key_of(l.text).as_deref() == Some(k.as_str()))
                    .map(|(i, l)| (i, l.col))
            }),
            Seg::Index(n) => block()
                .filter(|(_, l)| l.dash)
                .map(|(_, l)| l.indent)
                .min()
                .and_then(|col| {
                    block()
                        .filter(|(_, l)| l.dash && l.indent == col)
                        .nth(*n)
                        .map(|(i, l)| (i, l.indent))
                }),
        };
        let Some((i, own)) = found else { break };
        best = i + 1;
        let block_end = (i + 1..end)
            .find(|&j| ls[j].as_ref().is_some_and(|l| l.indent <= own))
            .unwrap_or(end);
        // A list item's first key sits on the item's own line.
        start = if matches!(seg, Seg::Index(_)) {
            i
        } else {
            i + 1
        };
        end = block_end;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_dotted("indicators[0].pattern"),
            [
                Seg::Key("indicators".into()),
                Seg::Index(0),
                Seg::Key("pattern".into())
            ]
        );
        assert_eq!(
            parse_pointer("/times/detected"),
            parse_dotted("times.detected")
        );
        assert_eq!(dotted(&parse_pointer("/risk_sources/1")), "risk_sources[1]");
    }

    #[test]
    fn json_lines() {
        let text = "{\n  \"a\": 1,\n  \"times\": {\n    \"occurred\": \"x\",\n    \"detected\": \"y\"\n  },\n  \"list\": [\n    {\"k\": 1},\n    {\n      \"k\": 2\n    }\n  ]\n}\n";
        assert_eq!(json_line(text, &parse_dotted("times.detected")), 5);
        assert_eq!(json_line(text, &parse_dotted("list[1].k")), 10);
        assert_eq!(json_line(text, &parse_dotted("list[0]")), 8);
        assert_eq!(json_line(text, &parse_dotted("times.missing")), 3);
        assert_eq!(json_line(text, &[]), 1);
    }

    #[test]
    fn yaml_lines() {
        let text = "# c\nid: 1\ntimes:\n  occurred: x\n  # note\n  detected: y\nrisk_sources:\n  - a\n  - b\nindicators:\n  - type: indicator\n    pattern: p\n  - type: indicator\n    pattern: q\ndetected: top\n";
        assert_eq!(yaml_line(text, &parse_dotted("times.detected")), 6);
        assert_eq!(yaml_line(text, &parse_dotted("detected")), 15);
        assert_eq!(yaml_line(text, &parse_dotted("risk_sources[1]")), 9);
        assert_eq!(yaml_line(text, &parse_dotted("indicators[1].pattern")), 14);
        assert_eq!(yaml_line(text, &parse_dotted("indicators[0].type")), 11);
        assert_eq!(yaml_line(text, &parse_dotted("times.recovered")), 3);
    }
}
