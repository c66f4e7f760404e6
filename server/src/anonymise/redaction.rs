//! What was redacted, where, and by which rule: the explanation the analyst
//! reviews before publication.

use serde::{Deserialize, Serialize};

/// The rule that made a change. The snake_case names are stable: analysts'
/// tooling and audit entries refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    /// One of the member's official names (any script, with or without a
    /// company-form marker).
    MemberName,
    /// One of the member's configured aliases.
    MemberAlias,
    /// A host, URL or e-mail address under one of the member's domains.
    MemberDomain,
    /// Any other e-mail address in free text.
    EmailAddress,
    /// A telephone number.
    PhoneNumber,
    /// A person's name (recognised by honorific or title, a configured staff
    /// name, or the follow-up contact's name).
    PersonalName,
    /// A postal address or postcode.
    PostalAddress,
    /// An address in one of the member's configured ranges.
    InternalAddress,
    /// RFC 1918, carrier-grade NAT (100.64/10) or IPv6 unique-local (fc00::/7).
    PrivateAddress,
    /// 169.254/16 or fe80::/10.
    LinkLocalAddress,
    /// 127/8 or ::1.
    LoopbackAddress,
    /// A time made coarser.
    TimeCoarsened,
    /// The sector (and what implies it) generalised for k-anonymity.
    SectorGeneralised,
    /// The author replaced by the sharing body.
    AuthorReplaced,
    /// The follow-up contact removed.
    ContactRemoved,
}

impl RuleId {
    /// The stable name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::MemberName => "member_name",
            RuleId::MemberAlias => "member_alias",
            RuleId::MemberDomain => "member_domain",
            RuleId::EmailAddress => "email_address",
            RuleId::PhoneNumber => "phone_number",
            RuleId::PersonalName => "personal_name",
            RuleId::PostalAddress => "postal_address",
            RuleId::InternalAddress => "internal_address",
            RuleId::PrivateAddress => "private_address",
            RuleId::LinkLocalAddress => "link_local_address",
            RuleId::LoopbackAddress => "loopback_address",
            RuleId::TimeCoarsened => "time_coarsened",
            RuleId::SectorGeneralised => "sector_generalised",
            RuleId::AuthorReplaced => "author_replaced",
            RuleId::ContactRemoved => "contact_removed",
        }
    }

    /// Victim-side network addresses: dropped from indicators, never
    /// rewritten.
    pub fn is_address(self) -> bool {
        matches!(
            self,
            RuleId::InternalAddress
                | RuleId::PrivateAddress
                | RuleId::LinkLocalAddress
                | RuleId::LoopbackAddress
        )
    }
}

/// What happened to the matched text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Replaced in place by a typed token such as `[組織名]`.
    Replaced,
    /// Removed from its field (a field cleared, a comparison taken out of a
    /// pattern); the object stays.
    Removed,
    /// The whole object at the field's `indicators[i]` was left out of the
    /// sanitised copy because of the matched text.
    Dropped,
    /// Made less precise (times, sector).
    Generalised,
}

/// One change made to the raw report.
///
/// `original` carries the matched text itself: the list is shown only to
/// the analysts of the home server, who may read the raw report anyway, and
/// they need the text to judge the redaction. It must never be copied into
/// anything that is shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    pub rule: RuleId,
    pub action: Action,
    /// Path of the field in the raw report: `description`,
    /// `indicators[3].pattern`, `times.detected`, `follow_up_contact.email`.
    pub field: String,
    /// Character (Unicode scalar value) offsets of the match in the
    /// original field value, end exclusive; `None` when the whole field is
    /// concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
    /// The text that matched (home-server analysts only, see above).
    pub original: String,
    /// What took its place, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}
