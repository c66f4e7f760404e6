//! What the advisory, register and technology commands say, in English and
//! Japanese. Kept beside the commands (not in `i18n.rs`) so these modules
//! merge without touching the shared catalogue; same rule: every variant
//! renders in both languages through one match.

use crate::i18n::Lang;

#[derive(Debug, Clone, PartialEq)]
pub enum AdvMsg {
    ColId,
    ColTitle,
    ColUrgency,
    ColTlp,
    ColState,
    ColVersion,
    ColPublished,
    ColDeadline,
    ColTask,
    ColSummary,
    ColActions,
    ColEntry,
    ColResource,
    ColThreatEvent,
    ColRiskSource,
    ColResidual,
    ColReasons,
    ColProduct,
    ColCpe,
    ColNote,
    NoAdvisories,
    NoTechnologies,
    NoTask,
    Overdue,
    Acknowledged {
        advisory: String,
    },
    Reassessed {
        advisory: String,
        entries: usize,
    },
    Imported {
        created: usize,
        updated: usize,
    },
    Exported {
        entries: usize,
        target: String,
    },
    TechAdded {
        cpe: String,
    },
    TechRemoved {
        cpe: String,
    },
    Drafted {
        advisory: String,
    },
    StateNow {
        advisory: String,
        state: String,
        version: u32,
    },
}

impl AdvMsg {
    pub fn text(&self, lang: Lang) -> String {
        use AdvMsg::*;
        let (en, ja) = match self {
            ColId => ("ID".to_owned(), "ID".to_owned() + "（識別子）"),
            ColTitle => ("Title".into(), "件名".into()),
            ColUrgency => ("Urgency".into(), "緊急度".into()),
            ColTlp => ("TLP".into(), "TLP（取扱区分）".into()),
            ColState => ("State".into(), "状態".into()),
            ColVersion => ("Version".into(), "版".into()),
            ColPublished => ("Published".into(), "公開日時".into()),
            ColDeadline => ("Reassess by".into(), "再評価期限".into()),
            ColTask => ("Reassessment".into(), "リスク再評価".into()),
            ColSummary => ("Summary".into(), "概要".into()),
            ColActions => ("Recommended actions".into(), "推奨対策".into()),
            ColEntry => ("Register entry".into(), "リスク登録".into()),
            ColResource => ("Resource".into(), "経営資源".into()),
            ColThreatEvent => ("Threat event".into(), "結果を生じ得る事象".into()),
            ColRiskSource => ("Risk source".into(), "リスク源".into()),
            ColResidual => ("Residual risk".into(), "残留リスク値".into()),
            ColReasons => ("Why".into(), "該当理由".into()),
            ColProduct => ("Product".into(), "製品".into()),
            ColCpe => ("CPE 2.3".into(), "CPE 2.3 名".into()),
            ColNote => ("Note".into(), "備考".into()),
            NoAdvisories => ("No advisories.".into(), "情報提供はありません。".into()),
            NoTechnologies => ("No technologies recorded; add one with `isacx profile-tech add VENDOR:PRODUCT`.".into(), "利用技術は未登録です。`isacx profile-tech add ベンダー:製品` で登録します。".into()),
            NoTask => ("No reassessment is requested of your organisation.".into(), "貴組織へのリスク再評価の依頼はありません。".into()),
            Overdue => ("overdue".into(), "期限超過".into()),
            Acknowledged { advisory } => (format!("Acknowledged the reassessment request of advisory {advisory}."), format!("情報提供 {advisory} のリスク再評価依頼を受領しました。")),
            Reassessed { advisory, entries } => (
                format!("Reassessment of advisory {advisory} recorded ({entries} register entr(y/ies) updated)."),
                format!("情報提供 {advisory} のリスク再評価を登録しました(リスク登録 {entries} 件を更新)。"),
            ),
            Imported { created, updated } => (format!("Register imported: {created} created, {updated} updated."), format!("リスク登録を取り込みました: 新規 {created} 件、更新 {updated} 件。")),
            Exported { entries, target } => (format!("Exported {entries} register entr(y/ies) to {target}."), format!("リスク登録 {entries} 件を {target} に書き出しました。")),
            TechAdded { cpe } => (format!("Added {cpe} to the technologies in use."), format!("利用技術に {cpe} を追加しました。")),
            TechRemoved { cpe } => (format!("Removed {cpe} from the technologies in use."), format!("利用技術から {cpe} を削除しました。")),
            Drafted { advisory } => (
                format!("Draft advisory {advisory} saved; publish it with `isacx advisories publish {advisory}`."),
                format!("情報提供の下書き {advisory} を保存しました。`isacx advisories publish {advisory}` で公開します。"),
            ),
            StateNow { advisory, state, version } => (format!("Advisory {advisory} is {state} (version {version})."), format!("情報提供 {advisory} の状態: {state}(第 {version} 版)。")),
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
    fn every_message_has_english_and_japanese() {
        use AdvMsg::*;
        let s = || "x".to_owned();
        let all = [
            ColId,
            ColTitle,
            ColUrgency,
            ColTlp,
            ColState,
            ColVersion,
            ColPublished,
            ColDeadline,
            ColTask,
            ColSummary,
            ColActions,
            ColEntry,
            ColResource,
            ColThreatEvent,
            ColRiskSource,
            ColResidual,
            ColReasons,
            ColProduct,
            ColCpe,
            ColNote,
            NoAdvisories,
            NoTechnologies,
            NoTask,
            Overdue,
            Acknowledged { advisory: s() },
            Reassessed {
                advisory: s(),
                entries: 1,
            },
            Imported {
                created: 1,
                updated: 2,
            },
            Exported {
                entries: 1,
                target: s(),
            },
            TechAdded { cpe: s() },
            TechRemoved { cpe: s() },
            Drafted { advisory: s() },
            StateNow {
                advisory: s(),
                state: s(),
                version: 1,
            },
        ];
        for m in &all {
            // Exhaustiveness witness: a new variant must be listed above.
            match m {
                ColId
                | ColTitle
                | ColUrgency
                | ColTlp
                | ColState
                | ColVersion
                | ColPublished
                | ColDeadline
                | ColTask
                | ColSummary
                | ColActions
                | ColEntry
                | ColResource
                | ColThreatEvent
                | ColRiskSource
                | ColResidual
                | ColReasons
                | ColProduct
                | ColCpe
                | ColNote
                | NoAdvisories
                | NoTechnologies
                | NoTask
                | Overdue
                | Acknowledged { .. }
                | Reassessed { .. }
                | Imported { .. }
                | Exported { .. }
                | TechAdded { .. }
                | TechRemoved { .. }
                | Drafted { .. }
                | StateNow { .. } => {}
            }
            let (en, ja) = (m.text(Lang::En), m.text(Lang::Ja));
            assert!(!en.is_empty() && en.is_ascii(), "{m:?}: {en}");
            assert!(!ja.is_ascii(), "{m:?} looks untranslated: {ja}");
        }
    }
}
