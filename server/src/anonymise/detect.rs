//! Finding what to redact in one string.
//!
//! Every detector runs on the normalised text ([`NormText`]) and reports
//! byte ranges of the original; overlapping findings are merged into one
//! (the union), so no fragment of a match survives next to a token.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use ipnet::IpNet;
use regex::Regex;

use super::normalise::{normalise, NormText};
use super::profile::MemberProfile;
use super::redaction::{Action, Redaction, RuleId};
use super::{net, AnonymiseError};

/// The typed placeholder that replaces a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Token {
    Organisation,
    Email,
    Phone,
    Domain,
    Url,
    Address,
    Person,
    IpAddress,
}

impl Token {
    pub fn text(self, japanese: bool) -> &'static str {
        match (self, japanese) {
            (Token::Organisation, true) => "[組織名]",
            (Token::Organisation, false) => "[ORGANISATION]",
            (Token::Email, true) => "[メールアドレス]",
            (Token::Email, false) => "[EMAIL]",
            (Token::Phone, true) => "[電話番号]",
            (Token::Phone, false) => "[PHONE]",
            (Token::Domain, true) => "[ドメイン]",
            (Token::Domain, false) => "[DOMAIN]",
            (Token::Url, _) => "[URL]",
            (Token::Address, true) => "[住所]",
            (Token::Address, false) => "[ADDRESS]",
            (Token::Person, true) => "[氏名]",
            (Token::Person, false) => "[PERSON]",
            (Token::IpAddress, true) => "[内部アドレス]",
            (Token::IpAddress, false) => "[INTERNAL-ADDRESS]",
        }
    }
}

/// One finding, as a byte range of the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub rule: RuleId,
    pub token: Token,
}

/// Which detectors apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Free text: everything, personal data included.
    Text,
    /// An indicator value (pattern constant, observable property): only
    /// what identifies the victim. Other e-mail addresses, phone numbers or
    /// names there are the attacker's and stay.
    Value,
}

/// Company-form markers, normalised (NFKC). Matched before or after a name.
const JA_MARKERS: &[&str] = &[
    "国立研究開発法人",
    "地方独立行政法人",
    "独立行政法人",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "社会福祉法人",
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "医療法人",
    "学校法人",
    "(株)",
    "(有)",
    "(同)",
    "(財)",
    "(社)",
    "(医)",
];
///
/// A bare `Co.` counts too, so that `Co., Inc.` and `Co., Ltd.` go whole
/// (the longer alternatives come first: the regex takes the first that fits).
/// Each ends at a word boundary, so that a marker never takes the start of
/// the next word (`Co` of `could`) and makes the whole match fail. The
/// boundary is ASCII (`(?-u:\b)`): a Unicode one would keep the regex
/// engine off its fast automaton on Japanese text, and the markers are
/// ASCII anyway.
const LATIN_MARKERS: &str = r"co(?-u:\b)\.?\s*,?\s*ltd(?-u:\b)\.?|corporation(?-u:\b)|corp(?-u:\b)\.?|incorporated(?-u:\b)|inc(?-u:\b)\.?|k\.\s*k(?-u:\b)\.?|kk(?-u:\b)|ltd(?-u:\b)\.?|limited(?-u:\b)|llc(?-u:\b)|g\.\s*k(?-u:\b)\.?|company(?-u:\b)|co(?-u:\b)\.?";

/// An article that may open a Latin name (`The Hokuyo Bank, Ltd.`): matched
/// before the name, never required.
const LATIN_ARTICLE: &str = r"the\s";

/// Separators that may appear, or not, inside a name as written.
const NAME_SEPARATOR: &str = r"[\s\-._・,]*";

fn is_name_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '_' | '・' | ',')
}

fn marker_alternation() -> String {
    let ja: Vec<String> = JA_MARKERS.iter().map(|m| regex::escape(m)).collect();
    format!("{}|{LATIN_MARKERS}", ja.join("|"))
}

/// Detectors that do not depend on the member.
struct Statics {
    marker_start: Regex,
    marker_end: Regex,
    email: Regex,
    url: Regex,
    ipv4: Regex,
    ipv6: Regex,
    phone: Regex,
    addresses: Vec<Regex>,
    person_title_ja: Regex,
    person_title_kana: Regex,
    person_labelled: Regex,
    person_latin: Regex,
    person_san: Regex,
}

const PREFECTURES: &str = "東京都|北海道|京都府|大阪府|(?:青森|岩手|宮城|秋田|山形|福島|茨城|栃木|群馬|埼玉|千葉|神奈川|新潟|富山|石川|福井|山梨|長野|岐阜|静岡|愛知|三重|滋賀|兵庫|奈良|和歌山|鳥取|島根|岡山|広島|山口|徳島|香川|愛媛|高知|福岡|佐賀|長崎|熊本|大分|宮崎|鹿児島|沖縄)県";

/// Titles and honorifics that follow a Japanese name; longest first.
const JA_TITLES: &str = "センター長|マネージャー|リーダー|看護師長|副社長|担当者|取締役|理事長|師長|先生|教授|院長|医師|様|さま|さん|くん|氏|殿|君|部長|課長|係長|次長|室長|所長|局長|主任|主査|担当|社長|専務|常務|理事";

/// Honorifics that make a katakana word a name (`サトウ様`, `ジョン・スミス氏`).
/// Job titles are left out: `セキュリティ担当` is a role, not a person.
const KANA_HONORIFICS: &str = "様|さま|さん|氏|殿|くん|君|先生";

/// Katakana words that take an honorific but are not names (`ユーザー様`,
/// `ベンダーさん`), without their final `ー`; a candidate ending in one of
/// them is left alone.
const KANA_NOT_NAMES: &[&str] = &[
    "ユーザ",
    "メーカ",
    "ベンダ",
    "カスタマ",
    "クライアント",
    "パートナ",
    "オペレータ",
    "サポート",
    "センタ",
    "チーム",
    "メンバ",
    "ゲスト",
    "ドライバ",
    "スタッフ",
    "マネージャ",
    "リーダ",
    "ホスト",
    "サービス",
    "システム",
    "オーナ",
    "テナント",
    "エンジニア",
    "グループ",
    "キャリア",
    "プロバイダ",
    "ディーラ",
];

/// Words that end the name of a department (運輸部, 経理課, 設備保全課,
/// 情報システム部); a department written before a personal name stays.
const DEPARTMENT_UNITS: &[&str] = &[
    "本部",
    "部門",
    "支社",
    "支店",
    "営業所",
    "事業所",
    "工場",
    "病棟",
    "窓口",
    "課",
    "部",
    "室",
    "局",
    "係",
    "班",
    "科",
    "所",
    "署",
    "院",
];

/// Words that precede titles but are not names (部署, roles). A candidate
/// name is cut after the last of these it contains.
const NOT_NAMES: &[&str] = &[
    "総務",
    "営業",
    "技術",
    "情報",
    "運用",
    "開発",
    "管理",
    "経理",
    "人事",
    "広報",
    "企画",
    "保守",
    "監視",
    "設備",
    "保安",
    "品質",
    "製造",
    "調達",
    "法務",
    "財務",
    "経営",
    "業務",
    "事業",
    "本部",
    "支社",
    "支店",
    "工場",
    "現場",
    "当社",
    "弊社",
    "同社",
    "貴社",
    "御社",
    "顧客",
    "利用者",
    "担当",
    "責任者",
    "責任",
    "対応",
    "復旧",
    "調査",
    "分析",
    "統括",
    "推進",
    "戦略",
    "安全",
    "危機",
    "防災",
    "電気",
    "通信",
    "会社",
    "者",
    "各",
    "同",
    "全",
    "本件",
    "代表",
    "窓口",
    "現地",
    "客",
    "皆",
    "先方",
    "対策",
    "監査",
    "計画",
    "設計",
    "施設",
    "電力",
    "本社",
    "支部",
    "拠点",
];

fn compile(pattern: &str) -> Result<Regex, AnonymiseError> {
    Regex::new(pattern).map_err(|e| AnonymiseError::Pattern(e.to_string()))
}

impl Statics {
    fn new() -> Result<Self, AnonymiseError> {
        let markers = marker_alternation();
        let place = r"[\p{Han}\p{Katakana}がのヶケ々ー]";
        let num = "[0-9一二三四五六七八九十〇]+";
        let block = format!("{num}(?:(?:丁目|番地|番|号|-|の){num})*(?:丁目|番地|番|号)?");
        Ok(Self {
            marker_start: compile(&format!(r"(?i)^(?:{markers}|{LATIN_ARTICLE})[\s,]*"))?,
            marker_end: compile(&format!(r"(?i)[\s,]*(?:{markers})$"))?,
            email: compile(
                r"(?i)[a-z0-9][a-z0-9._%+\-]*@(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z](?:[a-z0-9\-]*[a-z0-9])?",
            )?,
            url: compile(
                r#"(?i)\b(?:https?|hxxps?|ftps?|sftp|wss?|ldaps?|smb)://[^\s<>"'「」『』()\[\]{}、。,]+"#,
            )?,
            ipv4: compile(r"(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?")?,
            ipv6: compile(
                r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{1,4})?(?:%[0-9a-z._\-]+)?(?:/\d{1,3})?",
            )?,
            phone: compile(
                r"\+\d{1,3}(?:[\s\-.]?\(0\))?(?:[\s\-.]?\d{1,4}){2,5}|\(0\d{1,4}\)\s?\d{1,4}[-ー]?\d{3,4}|0\d{1,4}\s?\(\d{1,4}\)\s?\d{3,4}|0\d{1,4}[-ー.]\d{1,4}[-ー.]\d{3,4}|0\d{1,4} \d{1,4} \d{3,4}|0\d{9,10}",
            )?,
            addresses: vec![
                compile(&format!(
                    r"(?:〒\s?\d{{3}}[-ー]?\d{{4}}\s*)?(?:{PREFECTURES}){place}{{0,12}}?(?:市|区|町|村|郡){place}{{0,16}}?{block}"
                ))?,
                compile(&format!(
                    r"\p{{Han}}{{1,4}}(?:市|区){place}{{0,12}}?\d{{1,4}}(?:丁目|-)\d{{1,4}}(?:(?:番地?|-)\d{{1,4}})?号?"
                ))?,
                compile(r"〒\s?\d{3}[-ー]?\d{4}")?,
                compile(
                    r"(?:\d{1,4}(?:-\d{1,4}){1,2},?\s+)?(?:[A-Z][a-z]+(?:-[a-z]+)?,?\s+)?\b[A-Z][a-z]+-(?:ku|shi|cho|machi|gun|mura)\b(?:,?\s+[A-Z][a-z]+(?:-(?:to|fu|ken))?)?(?:,?\s+\d{3}-\d{4})?",
                )?,
            ],
            person_title_ja: compile(&format!(
                r"(\p{{Han}}{{1,5}}(?: [\p{{Han}}\p{{Hiragana}}]{{1,4}})?) ?(?:{JA_TITLES})"
            ))?,
            person_title_kana: compile(&format!(
                r"([\p{{Katakana}}ー]{{2,12}}(?:・[\p{{Katakana}}ー]{{1,12}})?) ?(?:{KANA_HONORIFICS})"
            ))?,
            // `Contact: Mr. Kato`: the honorific is not the name.
            person_labelled: compile(
                r"(?:担当者|担当|連絡先|報告者|記入者|氏名|(?i:contact person|contact|reported by|reporter))\s*:\s*(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+)?(\p{Han}{1,5}(?: [\p{Han}\p{Hiragana}\p{Katakana}]{1,5})?|[A-Z][a-z]+(?: [A-Z][a-z]+){0,2})",
            )?,
            person_latin: compile(
                r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+([A-Z][A-Za-z'\-]+(?:\s+[A-Z][A-Za-z'\-]+){0,2})",
            )?,
            person_san: compile(r"\b([A-Z][a-z]+)-(?:san|sama|shi|kun)\b")?,
        })
    }
}

static STATICS: OnceLock<Result<Statics, AnonymiseError>> = OnceLock::new();

fn statics() -> Result<&'static Statics, AnonymiseError> {
    STATICS
        .get_or_init(Statics::new)
        .as_ref()
        .map_err(Clone::clone)
}

/// Strips company-form markers from both ends of a normalised name.
fn core_name(statics: &Statics, name: &str) -> String {
    let mut core = name.trim().to_owned();
    loop {
        let before = core.len();
        if let Some(m) = statics.marker_start.find(&core) {
            core = core.get(m.end()..).unwrap_or("").to_owned();
        }
        if let Some(m) = statics.marker_end.find(&core) {
            core = core.get(..m.start()).unwrap_or("").to_owned();
        }
        core = core.trim_matches(|c: char| is_name_separator(c)).to_owned();
        if core.len() == before || core.is_empty() {
            return core;
        }
    }
}

/// A regex for a literal (a name) that tolerates width, case, spacing and,
/// when `markers`, company-form markers before or after.
fn literal_regex(
    statics: &Statics,
    literal: &str,
    markers: bool,
) -> Result<Option<Regex>, AnonymiseError> {
    let normalised = normalise(literal);
    let core = if markers {
        core_name(statics, &normalised)
    } else {
        normalised
    };
    let chars: Vec<String> = core
        .chars()
        .filter(|c| !is_name_separator(*c))
        .map(|c| regex::escape(&c.to_string()))
        .collect();
    if chars.is_empty() {
        return Ok(None);
    }
    let body = chars.join(NAME_SEPARATOR);
    let pattern = if markers {
        let alternation = marker_alternation();
        // Markers may repeat after the name: `Co., Inc.`, `株式会社 (株)`.
        format!(
            r"(?i)(?:(?:{alternation}|{LATIN_ARTICLE})\s*)?{body}(?:\s*,?\s*(?:{alternation}))*"
        )
    } else {
        format!("(?i){body}")
    };
    compile(&pattern).map(Some)
}

/// The forms a configured organisation name is looked for in: the name
/// itself and, for a Japanese name of several space-separated parts (a
/// corporation and its facility: `医療法人清和会 清和総合病院`), each part of
/// at least three characters once its company-form markers are gone, since
/// members write either part alone.
fn name_variants(statics: &Statics, name: &str) -> Vec<String> {
    let mut variants = vec![name.to_owned()];
    let core = core_name(statics, &normalise(name));
    if core.is_ascii() {
        return variants;
    }
    let parts: Vec<&str> = core.split_whitespace().collect();
    if parts.len() > 1 {
        for part in parts {
            let part = core_name(statics, part);
            if part.chars().count() >= 3 && !variants.contains(&part) {
                variants.push(part);
            }
        }
    }
    variants
}

/// The forms a configured staff name is looked for in: as written and, for
/// a name in Latin script, with the last word first (`Kenichi Takahashi`
/// is also written `TAKAHASHI Kenichi` or `Takahashi, Kenichi`; commas are
/// name separators).
fn staff_variants(name: &str) -> Vec<String> {
    let mut variants = vec![name.to_owned()];
    let plain = normalise(name);
    let words: Vec<&str> = plain
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 1 && plain.is_ascii() {
        if let Some((last, rest)) = words.split_last() {
            variants.push(format!("{last} {}", rest.join(" ")));
        }
    }
    variants
}

/// A phone number given literally (the follow-up contact's): its digits
/// with any punctuation between them.
fn phone_literal_regex(phone: &str) -> Result<Option<Regex>, AnonymiseError> {
    let digits: Vec<String> = normalise(phone)
        .chars()
        .filter(char::is_ascii_digit)
        .map(String::from)
        .collect();
    if digits.len() < 6 {
        return Ok(None);
    }
    compile(&digits.join(r"[\s\-ー().+]{0,3}")).map(Some)
}

fn is_ascii_alnum_at(text: &str, index: usize, before: bool) -> bool {
    let c = if before {
        text.get(..index).and_then(|t| t.chars().next_back())
    } else {
        text.get(index..).and_then(|t| t.chars().next())
    };
    c.is_some_and(|c| c.is_ascii_alphanumeric())
}

fn char_before(text: &str, index: usize) -> Option<char> {
    text.get(..index).and_then(|t| t.chars().next_back())
}

fn char_after(text: &str, index: usize) -> Option<char> {
    text.get(index..).and_then(|t| t.chars().next())
}

/// Letters a department name is written in (kanji, katakana).
fn is_department_letter(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{30A1}'..='\u{30FA}' | 'ー' | '々')
}

/// Where a candidate name `start..end` really starts when a department is
/// written before it (`設備保全課 斎藤`, `経理課吉田`, `情報システム部 田中`):
/// after the last unit word (課, 部 …) that has at least two letters of a
/// department before it (in the text, which may begin before the candidate)
/// and leaves at least two characters of name after it. So `阿部`, `服部`
/// and `長谷部 誠` stay names; `日下部 太郎` loses only `太郎` (a limit).
fn after_department(text: &str, start: usize, end: usize) -> usize {
    let candidate = text.get(start..end).unwrap_or("");
    let mut cut = start;
    for unit in DEPARTMENT_UNITS {
        for (offset, _) in candidate.match_indices(unit) {
            let at = start + offset;
            let letters_before = text
                .get(..at)
                .unwrap_or("")
                .chars()
                .rev()
                .take_while(|c| is_department_letter(*c))
                .count();
            let after_unit = at + unit.len();
            let rest = text
                .get(after_unit..end)
                .unwrap_or("")
                .trim_start_matches(is_name_separator);
            if letters_before >= 2 && rest.chars().count() >= 2 {
                cut = cut.max(end - rest.len());
            }
        }
    }
    cut
}

/// Latin words must match whole: `acme` is not in `acmetric`.
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let joined_before = alnum(char_after(text, start)) && alnum(char_before(text, start));
    let joined_after = alnum(char_before(text, end)) && alnum(char_after(text, end));
    !joined_before && !joined_after
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// A literal the member is known by, and what it means.
struct Literal {
    regex: Regex,
    rule: RuleId,
    token: Token,
    /// Applies to indicator values too.
    in_values: bool,
}

/// The detectors of one member profile: its names and aliases (with their
/// variants), staff names, domains and ranges. Compiling them is most of
/// the cost of anonymising a short report, so the server builds them once
/// per profile ([`super::CompiledProfile`]).
pub(crate) struct ProfilePatterns {
    literals: Vec<Literal>,
    domains: Vec<Regex>,
    ranges: Vec<IpNet>,
}

impl std::fmt::Debug for ProfilePatterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfilePatterns")
            .field("literals", &self.literals.len())
            .field("domains", &self.domains.len())
            .field("ranges", &self.ranges)
            .finish()
    }
}

fn organisation_literals(
    statics: &Statics,
    names: &[(&String, RuleId)],
    literals: &mut Vec<Literal>,
) -> Result<(), AnonymiseError> {
    for (name, rule) in names {
        for variant in name_variants(statics, name) {
            if let Some(regex) = literal_regex(statics, &variant, true)? {
                literals.push(Literal {
                    regex,
                    rule: *rule,
                    token: Token::Organisation,
                    in_values: true,
                });
            }
        }
    }
    Ok(())
}

fn staff_literals(
    statics: &Statics,
    staff: &[String],
    literals: &mut Vec<Literal>,
) -> Result<(), AnonymiseError> {
    for name in staff {
        for variant in staff_variants(name) {
            if let Some(regex) = literal_regex(statics, &variant, false)? {
                literals.push(Literal {
                    regex,
                    rule: RuleId::PersonalName,
                    token: Token::Person,
                    in_values: true,
                });
            }
        }
    }
    Ok(())
}

impl ProfilePatterns {
    pub fn new(profile: &MemberProfile) -> Result<Self, AnonymiseError> {
        let statics = statics()?;
        let mut literals = Vec::new();
        let named: Vec<(&String, RuleId)> = profile
            .names
            .iter()
            .map(|n| (n, RuleId::MemberName))
            .chain(profile.aliases.iter().map(|a| (a, RuleId::MemberAlias)))
            .collect();
        organisation_literals(statics, &named, &mut literals)?;
        staff_literals(statics, &profile.staff_names, &mut literals)?;
        let mut forms = BTreeSet::new();
        for domain in &profile.domains {
            let plain = normalise(domain)
                .trim()
                .trim_end_matches('.')
                .to_lowercase();
            if plain.is_empty() || !plain.contains('.') {
                continue;
            }
            if let Ok(ascii) = idna::domain_to_ascii(&plain) {
                if !ascii.is_empty() {
                    forms.insert(ascii);
                }
            }
            let (unicode, _) = idna::domain_to_unicode(&plain);
            if !unicode.is_empty() {
                forms.insert(unicode);
            }
            forms.insert(plain);
        }
        let domains = forms
            .iter()
            .map(|form| compile(&format!("(?i){}", regex::escape(form))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            literals,
            domains,
            ranges: profile.internal_ranges.clone(),
        })
    }
}

/// The detectors for one report: the member's compiled patterns plus what
/// the report itself says about its submitter.
pub(crate) struct Detector<'p> {
    statics: &'static Statics,
    profile: &'p ProfilePatterns,
    /// From the report's follow-up contact.
    extra: Vec<Literal>,
    /// `named` attribution: the member's names stay.
    keep_names: bool,
    /// E-mail addresses the report's own indicators name as the attacker's
    /// (normalised, lower case); they stay in free text.
    attacker_emails: BTreeSet<String>,
}

/// What the detector is built from besides the profile: the report's own
/// contact details, which are personal data wherever they reappear.
pub(crate) struct Known {
    pub staff: Vec<String>,
    pub organisations: Vec<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// `named` attribution: the member's names stay.
    pub keep_names: bool,
}

impl<'p> Detector<'p> {
    pub fn new(profile: &'p ProfilePatterns, known: &Known) -> Result<Self, AnonymiseError> {
        let statics = statics()?;
        let mut extra = Vec::new();
        if !known.keep_names {
            let named: Vec<(&String, RuleId)> = known
                .organisations
                .iter()
                .map(|n| (n, RuleId::MemberName))
                .collect();
            organisation_literals(statics, &named, &mut extra)?;
        }
        staff_literals(statics, &known.staff, &mut extra)?;
        for email in &known.emails {
            if let Some(regex) = literal_regex(statics, email, false)? {
                extra.push(Literal {
                    regex,
                    rule: RuleId::EmailAddress,
                    token: Token::Email,
                    in_values: true,
                });
            }
        }
        for phone in &known.phones {
            if let Some(regex) = phone_literal_regex(phone)? {
                extra.push(Literal {
                    regex,
                    rule: RuleId::PhoneNumber,
                    token: Token::Phone,
                    in_values: true,
                });
            }
        }
        Ok(Self {
            statics,
            profile,
            extra,
            keep_names: known.keep_names,
            attacker_emails: BTreeSet::new(),
        })
    }

    /// Keeps these e-mail addresses in free text (the attacker's, as the
    /// report's indicators name them; the caller has checked that none is
    /// the member's or its people's).
    pub fn keep_emails(&mut self, emails: BTreeSet<String>) {
        self.attacker_emails = emails;
    }

    /// Byte ranges in `text` (normalised) of the member's hosts, widened to
    /// the whole host name.
    fn member_hosts(&self, text: &str) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        for regex in &self.profile.domains {
            for m in regex.find_iter(text) {
                let (mut start, mut end) = (m.start(), m.end());
                if is_ascii_alnum_at(text, start, true) || is_ascii_alnum_at(text, end, false) {
                    continue;
                }
                while let Some(c) = char_before(text, start).filter(|c| is_host_char(*c)) {
                    start -= c.len_utf8();
                }
                while let Some(c) = char_after(text, end).filter(|c| is_host_char(*c)) {
                    end += c.len_utf8();
                }
                while let Some(c) = char_before(text, end).filter(|c| matches!(c, '.' | '-')) {
                    end -= c.len_utf8();
                }
                while let Some(c) = char_after(text, start).filter(|c| matches!(c, '.' | '-')) {
                    start += c.len_utf8();
                }
                if start < end {
                    found.push((start, end));
                }
            }
        }
        found
    }

    /// The member's own address ranges.
    pub fn ranges(&self) -> &[IpNet] {
        &self.profile.ranges
    }

    fn is_member_host(&self, host: &str) -> bool {
        !self.member_hosts(host).is_empty()
    }

    /// Everything to redact in `original`, merged and in order.
    pub fn scan(&self, original: &str, mode: Mode) -> Vec<Hit> {
        let norm = NormText::new(original);
        let text = norm.text.as_str();
        let mut raw: Vec<(usize, usize, RuleId, Token)> = Vec::new();

        for literal in self.profile.literals.iter().chain(&self.extra) {
            if mode == Mode::Value && !literal.in_values {
                continue;
            }
            if self.keep_names && literal.token == Token::Organisation {
                continue;
            }
            let mut at = 0;
            while let Some(m) = literal.regex.find_at(text, at) {
                if whole_word(text, m.start(), m.end()) {
                    raw.push((m.start(), m.end(), literal.rule, literal.token));
                    // Non-empty (a literal has at least one character).
                    at = m
                        .end()
                        .max(m.start() + char_after(text, m.start()).map_or(1, char::len_utf8));
                } else {
                    at = m.start() + char_after(text, m.start()).map_or(1, char::len_utf8);
                }
                if at > text.len() {
                    break;
                }
            }
        }
        for (start, end) in self.member_hosts(text) {
            raw.push((start, end, RuleId::MemberDomain, Token::Domain));
        }
        for m in self.statics.url.find_iter(text) {
            // A sentence may end right after a URL.
            let url = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
            let end = m.start() + url.len();
            let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
            let authority = after_scheme
                .split(['/', '?', '#'])
                .next()
                .unwrap_or(after_scheme);
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = if let Some(rest) = host_port.strip_prefix('[') {
                rest.split(']').next().unwrap_or(rest)
            } else {
                host_port.split(':').next().unwrap_or(host_port)
            };
            if self.is_member_host(host) {
                raw.push((m.start(), end, RuleId::MemberDomain, Token::Url));
            } else if let Some(rule) =
                net::parse_net(host).and_then(|n| net::classify(n, &self.profile.ranges))
            {
                raw.push((m.start(), end, rule, Token::Url));
            }
        }
        self.addresses(text, &mut raw);
        if mode == Mode::Text {
            self.personal(text, &mut raw);
        }

        let mut hits: Vec<Hit> = raw
            .into_iter()
            .filter_map(|(s, e, rule, token)| {
                norm.to_original(s, e).map(|(start, end)| Hit {
                    start,
                    end,
                    rule,
                    token,
                })
            })
            .collect();
        hits.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then(b.end.cmp(&a.end))
                .then(a.rule.cmp(&b.rule))
                .then(a.token.cmp(&b.token))
        });
        let mut merged: Vec<Hit> = Vec::new();
        for hit in hits {
            match merged.last_mut() {
                Some(last) if hit.start < last.end => last.end = last.end.max(hit.end),
                _ => merged.push(hit),
            }
        }
        merged
    }

    fn addresses(&self, text: &str, raw: &mut Vec<(usize, usize, RuleId, Token)>) {
        for m in self.statics.ipv4.find_iter(text) {
            let before = char_before(text, m.start());
            let after = text.get(m.end()..).unwrap_or("");
            if before.is_some_and(|c| c.is_ascii_digit() || c == '.')
                || after.starts_with(|c: char| c.is_ascii_digit())
                || (after.starts_with('.') && after[1..].starts_with(|c: char| c.is_ascii_digit()))
            {
                continue;
            }
            if let Some(rule) =
                net::parse_net(m.as_str()).and_then(|n| net::classify(n, &self.profile.ranges))
            {
                raw.push((m.start(), m.end(), rule, Token::IpAddress));
            }
        }
        for m in self.statics.ipv6.find_iter(text) {
            if char_before(text, m.start()).is_some_and(|c| c.is_ascii_hexdigit() || c == ':') {
                continue;
            }
            let mut candidate = m.as_str();
            let mut parsed = net::parse_net(candidate);
            while parsed.is_none() && candidate.ends_with(':') {
                candidate = &candidate[..candidate.len() - 1];
                parsed = net::parse_net(candidate);
            }
            if let Some(rule) = parsed.and_then(|n| net::classify(n, &self.profile.ranges)) {
                raw.push((
                    m.start(),
                    m.start() + candidate.len(),
                    rule,
                    Token::IpAddress,
                ));
            }
        }
    }

    fn personal(&self, text: &str, raw: &mut Vec<(usize, usize, RuleId, Token)>) {
        let s = self.statics;
        for m in s.email.find_iter(text) {
            let domain = m.as_str().rsplit_once('@').map_or("", |(_, d)| d);
            let rule = if self.is_member_host(domain) {
                RuleId::MemberDomain
            } else if self.attacker_emails.contains(&m.as_str().to_lowercase()) {
                continue;
            } else {
                RuleId::EmailAddress
            };
            raw.push((m.start(), m.end(), rule, Token::Email));
        }
        let mut at = 0;
        while let Some(m) = s.phone.find_at(text, at) {
            let before = char_before(text, m.start());
            let after = char_after(text, m.end());
            let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
            let ok = !before
                .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | '/'))
                && !after.is_some_and(|c| c.is_ascii_alphanumeric())
                && (9..=15).contains(&digits);
            if ok {
                raw.push((m.start(), m.end(), RuleId::PhoneNumber, Token::Phone));
                at = m.end();
            } else {
                at = m.start() + 1;
            }
            while at < text.len() && !text.is_char_boundary(at) {
                at += 1;
            }
            if at >= text.len() {
                break;
            }
        }
        for regex in &s.addresses {
            for m in regex.find_iter(text) {
                raw.push((m.start(), m.end(), RuleId::PostalAddress, Token::Address));
            }
        }
        for caps in s.person_title_ja.captures_iter(text) {
            if let Some(name) = caps.get(1) {
                let mut start = name.start();
                let candidate = name.as_str();
                let mut cut = 0;
                for word in NOT_NAMES {
                    if let Some(position) = candidate.rfind(word) {
                        cut = cut.max(position + word.len());
                    }
                }
                start += cut;
                start = after_department(text, start, name.end());
                // The space between a role and the name stays.
                while let Some(c) = char_after(text, start).filter(|c| c.is_whitespace()) {
                    start += c.len_utf8();
                }
                let rest = text.get(start..name.end()).unwrap_or("").trim();
                if !rest.is_empty() && start < name.end() {
                    raw.push((start, name.end(), RuleId::PersonalName, Token::Person));
                }
            }
        }
        for caps in s.person_title_kana.captures_iter(text) {
            if let Some(name) = caps.get(1) {
                let bare = name.as_str().trim_end_matches('ー');
                if KANA_NOT_NAMES.iter().any(|word| bare.ends_with(word)) {
                    continue;
                }
                raw.push((
                    name.start(),
                    name.end(),
                    RuleId::PersonalName,
                    Token::Person,
                ));
            }
        }
        for regex in [&s.person_labelled, &s.person_latin, &s.person_san] {
            for caps in regex.captures_iter(text) {
                if let Some(name) = caps.get(1) {
                    if NOT_NAMES.contains(&name.as_str()) {
                        continue;
                    }
                    let start = after_department(text, name.start(), name.end());
                    raw.push((start, name.end(), RuleId::PersonalName, Token::Person));
                }
            }
        }
    }

    /// Redacts `original`, appending one [`Redaction`] per replaced span.
    pub fn redact(
        &self,
        original: &str,
        mode: Mode,
        field: &str,
        japanese: bool,
        out: &mut Vec<Redaction>,
    ) -> String {
        let hits = self.scan(original, mode);
        if hits.is_empty() {
            return original.to_owned();
        }
        let mut result = String::with_capacity(original.len());
        let mut copied = 0;
        for hit in hits {
            let token = hit.token.text(japanese);
            result.push_str(original.get(copied..hit.start).unwrap_or(""));
            result.push_str(token);
            copied = hit.end;
            out.push(Redaction {
                rule: hit.rule,
                action: Action::Replaced,
                field: field.to_owned(),
                start: Some(char_offset(original, hit.start)),
                end: Some(char_offset(original, hit.end)),
                original: original.get(hit.start..hit.end).unwrap_or("").to_owned(),
                replacement: Some(token.to_owned()),
            });
        }
        result.push_str(original.get(copied..).unwrap_or(""));
        result
    }
}

/// Character offset of a byte offset.
pub(crate) fn char_offset(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |t| t.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persons(text: &str) -> Vec<&str> {
        let known = Known {
            staff: Vec::new(),
            organisations: Vec::new(),
            emails: Vec::new(),
            phones: Vec::new(),
            keep_names: false,
        };
        let profile = ProfilePatterns::new(&MemberProfile::default()).unwrap();
        Detector::new(&profile, &known)
            .unwrap()
            .scan(text, Mode::Text)
            .into_iter()
            .filter(|hit| hit.rule == RuleId::PersonalName)
            .map(|hit| &text[hit.start..hit.end])
            .collect()
    }

    #[test]
    fn surnames_with_unit_words_stay_names() {
        assert_eq!(persons("阿部さんと服部課長が確認"), vec!["阿部", "服部"]);
        assert_eq!(persons("長谷部 誠様に連絡"), vec!["長谷部 誠"]);
    }

    #[test]
    fn departments_before_names_stay() {
        assert_eq!(persons("総務部 田中様"), vec!["田中"]);
        assert_eq!(persons("経理課吉田係長"), vec!["吉田"]);
        assert_eq!(persons("情報システム部 山本主任"), vec!["山本"]);
        assert_eq!(persons("担当: 市民課 鈴木"), vec!["鈴木"]);
    }

    #[test]
    fn katakana_names_need_an_honorific_and_not_a_role() {
        assert_eq!(persons("受付のサトウ様"), vec!["サトウ"]);
        assert_eq!(persons("ジョン・スミス氏"), vec!["ジョン・スミス"]);
        assert!(persons("ユーザー様とセキュリティベンダーさん、サーバ担当").is_empty());
    }
}
