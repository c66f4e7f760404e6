//! What `isacx report …` and `isacx review …` say, in English and Japanese.
//!
//! The same pattern as [`crate::i18n::Msg`] (one arm yields both languages,
//! no wildcard), kept in its own catalogue so the intake commands stay in
//! their own modules.

use isacx_schemas::api::ReportState;

use crate::i18n::Lang;

#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    // --- results ---
    Submitted {
        id: String,
        revision: u32,
    },
    SubmitReplayed {
        id: String,
    },
    Amended {
        id: String,
        revision: u32,
    },
    Withdrawn {
        id: String,
    },
    Published {
        id: String,
        tlp: String,
    },
    Rejected {
        id: String,
    },
    SanitisedReplaced {
        id: String,
    },
    SanitisedSaved {
        path: String,
    },
    FollowUp {
        cmd: String,
        id: String,
    },
    NoReports,
    Listed {
        shown: usize,
        total: usize,
    },

    // --- the statutory check ---
    StatutoryYes,
    StatutoryNo,
    StatutoryHit {
        level_ja: String,
        level_en: String,
        threshold: String,
    },
    StatutoryLaws {
        laws: String,
    },
    StatutoryAssumed,
    Redactions {
        count: usize,
    },

    // --- headings and labels ---
    HeadingStatutory,
    HeadingReport,
    HeadingSideBySide,
    HeadingRedactions,
    NoRedactions,
    StateName(ReportState),
    Yes,
    No,
    Whole,
    ColId,
    ColReportId,
    ColOrganisation,
    ColState,
    ColRevision,
    ColKind,
    ColSector,
    ColTitle,
    ColTlp,
    ColStatutory,
    ColReason,
    ColCreated,
    ColUpdated,
    ColField,
    ColRaw,
    ColSanitised,
    ColChanged,
    ColRule,
    ColAction,
    ColWhere,
    ColOriginal,
    ColReplacement,
}

impl Text {
    pub fn text(&self, lang: Lang) -> String {
        let (en, ja) = self.both();
        match lang {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }

    fn both(&self) -> (String, String) {
        use Text::*;
        let s = |en: &str, ja: &str| (en.to_owned(), ja.to_owned());
        match self {
            Submitted { id, revision } => (
                format!("Report received: {id} (revision {revision})."),
                format!("報告を受け付けました: {id}(版 {revision})。"),
            ),
            SubmitReplayed { id } => (
                format!("The server already had this report: {id} (nothing was sent twice)."),
                format!("この報告は受付済みです: {id}(二重には登録されていません)。"),
            ),
            Amended { id, revision } => (
                format!("Report {id} amended: revision {revision}, back in the review queue."),
                format!("報告 {id} を修正しました: 版 {revision}。再びレビュー待ちになります。"),
            ),
            Withdrawn { id } => (
                format!("Report {id} withdrawn."),
                format!("報告 {id} を取り下げました。"),
            ),
            Published { id, tlp } => (
                format!("Report {id} published at {tlp}; members in scope receive it now."),
                format!("報告 {id} を {tlp} で公開しました。対象の会員に配信されます。"),
            ),
            Rejected { id } => (
                format!("Report {id} rejected; the submitter sees the reason."),
                format!("報告 {id} を差し戻しました。理由は報告者に表示されます。"),
            ),
            SanitisedReplaced { id } => (
                format!("The sanitised copy of report {id} was replaced."),
                format!("報告 {id} の匿名化済みの写しを置き換えました。"),
            ),
            SanitisedSaved { path } => (
                format!("Sanitised copy written to {path}; edit it, then run `isacx review edit`."),
                format!("匿名化済みの写しを {path} に書き出しました。編集後に `isacx review edit` を実行してください。"),
            ),
            FollowUp { cmd, id } => (
                format!("Follow it with `{cmd} report show {id}`."),
                format!("状況は `{cmd} report show {id}` で確認できます。"),
            ),
            NoReports => s("No reports.", "報告はありません。"),
            Listed { shown, total } => (
                format!("{shown} of {total} report(s) shown."),
                format!("{total} 件中 {shown} 件の報告を表示しました。"),
            ),

            StatutoryYes => s(
                "Statutory reportable: YES (a serious incident to report to the competent ministry)",
                "法令上の報告対象: はい(所管省庁への報告を要する重大な事故)",
            ),
            StatutoryNo => s(
                "Statutory reportable: no (no statutory threshold is crossed)",
                "法令上の報告対象: いいえ(報告基準に該当しません)",
            ),
            StatutoryHit { level_ja, level_en, threshold } => (
                format!("  - {level_en} ({level_ja}), threshold {threshold}"),
                format!("  - {level_ja}({level_en})、基準 {threshold}"),
            ),
            StatutoryLaws { laws } => (format!("    law: {laws}"), format!("    根拠法令: {laws}")),
            StatutoryAssumed => s(
                "    (assumed: the report names no service or facility this threshold could exclude)",
                "    (推定: 報告に基準を除外できるサービスや設備の記載がありません)",
            ),
            Redactions { count } => (
                format!("Redactions in the anonymised preview: {count}"),
                format!("匿名化プレビューでの秘匿箇所: {count} 件"),
            ),

            HeadingStatutory => s("Statutory check:", "法令上の報告基準:"),
            HeadingReport => s("Report as submitted:", "提出された報告:"),
            HeadingSideBySide => s(
                "Raw and sanitised, field by field (* = changed):",
                "原文と匿名化後の比較(* = 変更あり):",
            ),
            HeadingRedactions => s("Redactions (what, where, which rule):", "秘匿の一覧(内容・箇所・規則):"),
            NoRedactions => s("No redactions.", "秘匿箇所はありません。"),
            StateName(state) => match state {
                ReportState::Received => s("received", "受付済み"),
                ReportState::InReview => s("in review", "レビュー中"),
                ReportState::Published => s("published", "公開済み"),
                ReportState::Rejected => s("rejected", "差し戻し"),
                ReportState::Withdrawn => s("withdrawn", "取り下げ"),
            },
            Yes => s("yes", "はい"),
            No => s("no", "いいえ"),
            Whole => s("(whole field)", "(項目全体)"),
            ColId => s("ID", "ID"),
            ColReportId => s("Report id (submitter's)", "報告 ID(報告者側)"),
            ColOrganisation => s("Organisation", "組織"),
            ColState => s("State", "状態"),
            ColRevision => s("Rev.", "版"),
            ColKind => s("Kind", "種別"),
            ColSector => s("Sector", "分野"),
            ColTitle => s("Title", "件名"),
            ColTlp => s("TLP", "TLP"),
            ColStatutory => s("Statutory", "法令報告"),
            ColReason => s("Reason", "理由"),
            ColCreated => s("Created", "作成日時"),
            ColUpdated => s("Updated", "更新日時"),
            ColField => s("Field", "項目"),
            ColRaw => s("Raw (private)", "原文(非公開)"),
            ColSanitised => s("Sanitised (shared)", "匿名化後(共有)"),
            ColChanged => s("", ""),
            ColRule => s("Rule", "規則"),
            ColAction => s("Action", "処理"),
            ColWhere => s("Where", "箇所"),
            ColOriginal => s("Original", "元の内容"),
            ColReplacement => s("Replacement", "置換後"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Text> {
        use Text::*;
        let st = || "x".to_owned();
        let mut all = vec![
            Submitted {
                id: st(),
                revision: 1,
            },
            SubmitReplayed { id: st() },
            Amended {
                id: st(),
                revision: 2,
            },
            Withdrawn { id: st() },
            Published {
                id: st(),
                tlp: st(),
            },
            Rejected { id: st() },
            SanitisedReplaced { id: st() },
            SanitisedSaved { path: st() },
            FollowUp {
                cmd: st(),
                id: st(),
            },
            NoReports,
            Listed { shown: 1, total: 2 },
            StatutoryYes,
            StatutoryNo,
            StatutoryHit {
                level_ja: st(),
                level_en: st(),
                threshold: st(),
            },
            StatutoryLaws { laws: st() },
            StatutoryAssumed,
            Redactions { count: 3 },
            HeadingStatutory,
            HeadingReport,
            HeadingSideBySide,
            HeadingRedactions,
            NoRedactions,
            Yes,
            No,
            Whole,
            ColReportId,
            ColOrganisation,
            ColState,
            ColRevision,
            ColKind,
            ColSector,
            ColTitle,
            ColStatutory,
            ColReason,
            ColCreated,
            ColUpdated,
            ColField,
            ColRaw,
            ColSanitised,
            ColRule,
            ColAction,
            ColWhere,
            ColOriginal,
            ColReplacement,
        ];
        for state in [
            ReportState::Received,
            ReportState::InReview,
            ReportState::Published,
            ReportState::Rejected,
            ReportState::Withdrawn,
        ] {
            all.push(StateName(state));
        }
        // Exhaustiveness witness: a new variant does not compile until it is
        // placed here, and so gets checked below.
        for t in &all {
            match t {
                Submitted { .. }
                | SubmitReplayed { .. }
                | Amended { .. }
                | Withdrawn { .. }
                | Published { .. }
                | Rejected { .. }
                | SanitisedReplaced { .. }
                | SanitisedSaved { .. }
                | FollowUp { .. }
                | NoReports
                | Listed { .. }
                | StatutoryYes
                | StatutoryNo
                | StatutoryHit { .. }
                | StatutoryLaws { .. }
                | StatutoryAssumed
                | Redactions { .. }
                | HeadingStatutory
                | HeadingReport
                | HeadingSideBySide
                | HeadingRedactions
                | NoRedactions
                | StateName(_)
                | Yes
                | No
                | Whole
                | ColReportId
                | ColOrganisation
                | ColState
                | ColRevision
                | ColKind
                | ColSector
                | ColTitle
                | ColStatutory
                | ColReason
                | ColCreated
                | ColUpdated
                | ColField
                | ColRaw
                | ColSanitised
                | ColRule
                | ColAction
                | ColWhere
                | ColOriginal
                | ColReplacement => {}
                // The same in both languages (an acronym, or an empty marker column).
                ColId | ColTlp | ColChanged => {}
            }
        }
        all
    }

    #[test]
    fn every_text_has_english_and_japanese() {
        for t in samples() {
            let (en, ja) = (t.text(Lang::En), t.text(Lang::Ja));
            assert!(!en.trim().is_empty() && !ja.trim().is_empty(), "{t:?}");
            assert!(en.is_ascii(), "{t:?}: English has non-ASCII: {en}");
            assert!(!ja.is_ascii(), "{t:?}: Japanese looks untranslated: {ja}");
            assert!(!en.contains("{}") && !ja.contains("{}"), "{t:?}");
        }
        for t in [Text::ColId, Text::ColTlp, Text::ColChanged] {
            assert_eq!(t.text(Lang::En), t.text(Lang::Ja));
        }
    }
}
