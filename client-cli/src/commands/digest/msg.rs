//! What the digest commands say, in English and Japanese (every variant in
//! both languages through one match).

use crate::i18n::Lang;

#[derive(Debug, Clone, PartialEq)]
pub enum DigestMsg {
    ColId,
    ColPeriod,
    ColFrom,
    ColTo,
    ColScope,
    ColReports,
    ColStatutory,
    ColAdvisories,
    ColReassessed,
    ColIndicators,
    NoDigests,
    NoneArchived { period: String },
    Written { target: String },
}

impl DigestMsg {
    pub fn text(&self, lang: Lang) -> String {
        use DigestMsg::*;
        let (en, ja): (String, String) = match self {
            ColId => ("ID".into(), "ID".into()),
            ColPeriod => ("Period".into(), "期間種別".into()),
            ColFrom => ("From".into(), "開始".into()),
            ColTo => ("To".into(), "終了".into()),
            ColScope => ("Sectors".into(), "対象分野".into()),
            ColReports => ("Reports".into(), "情報連絡".into()),
            ColStatutory => ("Statutory".into(), "重大な事故".into()),
            ColAdvisories => ("Advisories".into(), "情報提供".into()),
            ColReassessed => ("Reassessed / requested".into(), "再評価 完了/要請".into()),
            ColIndicators => ("Indicators".into(), "指標".into()),
            NoDigests => ("No digests in the archive.".into(), "保存されたサマリーはありません。".into()),
            NoneArchived { period } => (
                format!("no {period} digest is in the archive yet"),
                format!("{period} のサマリーはまだ保存されていません"),
            ),
            Written { target } => (format!("Digest written to {target}."), format!("サマリーを {target} に書き出しました。")),
        };
        match lang {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_in_both_languages() {
        for m in [
            DigestMsg::ColId,
            DigestMsg::ColPeriod,
            DigestMsg::ColFrom,
            DigestMsg::ColTo,
            DigestMsg::ColScope,
            DigestMsg::ColReports,
            DigestMsg::ColStatutory,
            DigestMsg::ColAdvisories,
            DigestMsg::ColReassessed,
            DigestMsg::ColIndicators,
            DigestMsg::NoDigests,
            DigestMsg::NoneArchived { period: "daily".into() },
            DigestMsg::Written { target: "d.csv".into() },
        ] {
            assert!(!m.text(Lang::En).is_empty() && !m.text(Lang::Ja).is_empty(), "{m:?}");
        }
        assert!(DigestMsg::NoDigests.text(Lang::Ja).contains("サマリー"));
    }
}
