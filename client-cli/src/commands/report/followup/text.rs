//! What `isacx report followup …` says, in English and Japanese (one arm
//! yields both languages, no wildcard, as in [`crate::i18n::Msg`]).

use isacx_schemas::followup::{FollowupKind, FollowupSide};

use crate::i18n::Lang;

#[derive(Debug, Clone, PartialEq)]
pub enum FText {
    Sent { thread: String, pseudonym: String },
    Answered { thread: String },
    SharedAs,
    NoThreads,
    Next { cmd: String, thread: String },
    YouAre(FollowupSide),
    Kind(FollowupKind),
    From { from: String },
    Seen { count: String, first: String, last: String },
    Observed { values: String },
    ObservedNone,
    Removed { count: usize },
    LabelThread,
    LabelReport,
    LabelTitle,
    LabelYou,
    LabelAsker,
    LabelSubmitter,
    LabelYourReport,
    LabelRawReport,
    ColThread,
    ColTitle,
    ColSide,
    ColCounterpart,
    ColMessages,
}

impl FText {
    pub fn text(&self, lang: Lang) -> String {
        let (en, ja) = self.both();
        match lang {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }

    fn both(&self) -> (String, String) {
        use FText::*;
        let s = |en: &str, ja: &str| (en.to_owned(), ja.to_owned());
        match self {
            Sent { thread, pseudonym } => (
                format!("Sent to the submitter (thread {thread}); the submitter sees you as {pseudonym}, never your name."),
                format!("報告者に送りました(スレッド {thread})。報告者にはあなたの組織名ではなく {pseudonym} として表示されます。"),
            ),
            Answered { thread } => (
                format!("Answer sent (thread {thread}); the member sees you only as the submitter."),
                format!("回答を送りました(スレッド {thread})。相手には「報告者」としてのみ表示されます。"),
            ),
            SharedAs => s("What the other side sees (anonymised):", "相手に表示される内容(匿名化後):"),
            NoThreads => s("No follow-up threads.", "問い合わせのスレッドはありません。"),
            Next { cmd, thread } => (
                format!("Read the thread with `{cmd} report followup show {thread}`."),
                format!("スレッドは `{cmd} report followup show {thread}` で確認できます。"),
            ),
            YouAre(side) => match side {
                FollowupSide::Asker => s("asker", "問い合わせ側"),
                FollowupSide::Submitter => s("submitter", "報告者"),
            },
            Kind(kind) => match kind {
                FollowupKind::Question => s("question", "質問"),
                FollowupKind::Sighting => s("sighting", "観測情報"),
                FollowupKind::Answer => s("answer", "回答"),
            },
            From { from } => {
                if from == "you" {
                    s("you", "あなた")
                } else if from == "submitter" {
                    s("submitter", "報告者")
                } else {
                    (from.clone(), format!("{from}(会員)"))
                }
            }
            Seen { count, first, last } => (
                format!("  seen {count} time(s), from {first} to {last}"),
                format!("  観測 {count} 回({first} 〜 {last})"),
            ),
            Observed { values } => (format!("  observed: {values}"), format!("  観測値: {values}")),
            ObservedNone => s("  observed: (none shared)", "  観測値: (共有なし)"),
            Removed { count } => (
                format!("  {count} item(s) redacted or left out before sharing"),
                format!("  共有前に {count} 件を秘匿または除外しました"),
            ),
            LabelThread => s("Thread", "スレッド"),
            LabelReport => s("Report (shared id)", "報告(共有 ID)"),
            LabelTitle => s("Title", "件名"),
            LabelYou => s("You are", "あなたの立場"),
            LabelAsker => s("Asker", "問い合わせ側"),
            LabelSubmitter => s("Submitter", "報告者"),
            LabelYourReport => s("Your report id", "自組織の報告 ID"),
            LabelRawReport => s("Report id (submitter's, private)", "報告 ID(報告者側・非公開)"),
            ColThread => s("Thread", "スレッド"),
            ColTitle => s("Title", "件名"),
            ColSide => s("You are", "立場"),
            ColCounterpart => s("Other side", "相手"),
            ColMessages => s("Messages", "件数"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<FText> {
        use FText::*;
        let st = || "x".to_owned();
        let mut all = vec![
            Sent { thread: st(), pseudonym: st() },
            Answered { thread: st() },
            SharedAs,
            NoThreads,
            Next { cmd: st(), thread: st() },
            From { from: "you".into() },
            From { from: "submitter".into() },
            From { from: "member-1234abcd".into() },
            Seen { count: st(), first: st(), last: st() },
            Observed { values: st() },
            ObservedNone,
            Removed { count: 2 },
            LabelThread,
            LabelReport,
            LabelTitle,
            LabelYou,
            LabelAsker,
            LabelSubmitter,
            LabelYourReport,
            LabelRawReport,
            ColThread,
            ColTitle,
            ColSide,
            ColCounterpart,
            ColMessages,
        ];
        all.extend([FollowupSide::Asker, FollowupSide::Submitter].map(YouAre));
        all.extend(FollowupKind::ALL.map(Kind));
        // Exhaustiveness witness: a new variant does not compile until it is placed here.
        for t in &all {
            match t {
                Sent { .. } | Answered { .. } | SharedAs | NoThreads | Next { .. } | YouAre(_) | Kind(_) | From { .. } | Seen { .. } | Observed { .. }
                | ObservedNone | Removed { .. } | LabelThread | LabelReport | LabelTitle | LabelYou | LabelAsker | LabelSubmitter
                | LabelYourReport | LabelRawReport | ColThread | ColTitle | ColSide | ColCounterpart | ColMessages => {}
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
        }
    }
}
