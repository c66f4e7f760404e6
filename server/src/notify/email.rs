//! E-mail over SMTP with lettre, in the recipient's language.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use isacx_schemas::notify::{EventKind, Notification, Urgency};

use crate::config::{IdentitySettings, NotifySettings};

pub type Mailer = AsyncSmtpTransport<Tokio1Executor>;

/// The SMTP transport the settings describe; `None` when e-mail is switched off.
pub fn mailer(settings: &NotifySettings) -> anyhow::Result<Option<Mailer>> {
    if settings.smtp_host.trim().is_empty() {
        return Ok(None);
    }
    let host = settings.smtp_host.trim();
    let tls = |required: bool| -> anyhow::Result<Tls> {
        let params = TlsParameters::new(host.to_owned())?;
        Ok(if required {
            Tls::Wrapper(params)
        } else {
            Tls::Required(params)
        })
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(settings.smtp_port)
        .timeout(Some(Duration::from_secs(settings.smtp_timeout_secs.max(1))));
    builder = match settings.smtp_tls.as_str() {
        "tls" => builder.tls(tls(true)?),
        "none" => builder.tls(Tls::None),
        _ => builder.tls(tls(false)?),
    };
    if !settings.smtp_username.is_empty() {
        let password = settings.smtp_password()?;
        builder = builder.credentials(Credentials::new(
            settings.smtp_username.clone(),
            password.expose().to_owned(),
        ));
    }
    Ok(Some(builder.build()))
}

fn kind_label(kind: EventKind, ja: bool) -> &'static str {
    match (kind, ja) {
        (EventKind::AdvisoryPublished, false) => "New advisory",
        (EventKind::AdvisoryPublished, true) => "新しい情報提供",
        (EventKind::AdvisoryAmended, false) => "Advisory amended",
        (EventKind::AdvisoryAmended, true) => "情報提供の更新",
        (EventKind::AdvisoryWithdrawn, false) => "Advisory withdrawn",
        (EventKind::AdvisoryWithdrawn, true) => "情報提供の取り下げ",
        (EventKind::TaskReminder, false) => "Reassessment reminder",
        (EventKind::TaskReminder, true) => "リスク再評価のリマインダー",
        (EventKind::TaskEscalation, false) => "Reassessment overdue (escalation)",
        (EventKind::TaskEscalation, true) => "リスク再評価の期限超過(エスカレーション)",
        (EventKind::FollowupQuestion, false) => "Follow-up on your report",
        (EventKind::FollowupQuestion, true) => "報告への問い合わせ",
        (EventKind::FollowupAnswer, false) => "Answer to your follow-up",
        (EventKind::FollowupAnswer, true) => "問い合わせへの回答",
        (EventKind::DigestIssued, false) => "Liaison digest",
        (EventKind::DigestIssued, true) => "連絡窓口向けサマリー",
    }
}

fn urgency_label(urgency: Urgency, ja: bool) -> &'static str {
    match (urgency, ja) {
        (Urgency::Info, false) => "info",
        (Urgency::Info, true) => "情報",
        (Urgency::Warning, false) => "warning",
        (Urgency::Warning, true) => "警戒",
        (Urgency::Urgent, false) => "URGENT",
        (Urgency::Urgent, true) => "緊急",
    }
}

/// Subject and plain-text body of a notification in `locale` (`ja` or English).
pub fn render(n: &Notification, locale: &str, identity: &IdentitySettings) -> (String, String) {
    let ja = locale == "ja";
    let title = n.title.get(locale);
    let summary = n.summary.get(locale);
    let urgency = urgency_label(n.urgency, ja);
    let kind = kind_label(n.kind, ja);
    let sectors = if n.sectors.is_empty() {
        "-".to_owned()
    } else {
        n.sectors.join(", ")
    };
    let deadline = n
        .deadline
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string());
    if ja {
        let subject = format!("【isacx】【{urgency}】{kind}: {title}");
        let mut body = format!("{kind}: {title}\n緊急度: {urgency}\n分野: {sectors}\n");
        if let Some(d) = deadline {
            body.push_str(&format!("対応期限: {d}\n"));
        }
        body.push_str(&format!(
            "\n{summary}\n\n対象: {}\n\n{} (isacx) からの通知です。受け取る通知は `isacx` または /api/v1/notifications/settings で変更できます。\n",
            n.object_id, identity.name_ja
        ));
        (subject, body)
    } else {
        let subject = format!("[isacx] [{urgency}] {kind}: {title}");
        let mut body = format!("{kind}: {title}\nUrgency: {urgency}\nSectors: {sectors}\n");
        if let Some(d) = deadline {
            body.push_str(&format!("Deadline: {d}\n"));
        }
        body.push_str(&format!(
            "\n{summary}\n\nObject: {}\n\nSent by {} (isacx). Change what you receive with `isacx` or /api/v1/notifications/settings.\n",
            n.object_id, identity.name_en
        ));
        (subject, body)
    }
}

/// Build the message; its Message-ID is the delivery id, so a mail system can drop a repeat.
pub fn message(
    n: &Notification,
    to: &str,
    locale: &str,
    settings: &NotifySettings,
    identity: &IdentitySettings,
) -> Result<Message, String> {
    let from: Mailbox = settings
        .smtp_from
        .parse()
        .map_err(|e| format!("notify.smtp_from: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("recipient address: {e}"))?;
    let (subject, body) = render(n, locale, identity);
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{}@{}>", n.delivery_id, identity.server_id)))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| e.to_string())
}

/// A liaison digest as one multipart/alternative message (plain text and
/// HTML) in `locale`; its Message-ID is the delivery id, as for every mail.
pub fn digest_message(
    n: &Notification,
    digest: &isacx_schemas::digest::Digest,
    to: &str,
    locale: &str,
    settings: &NotifySettings,
    identity: &IdentitySettings,
) -> Result<Message, String> {
    use crate::digest::render;
    let from: Mailbox = settings.smtp_from.parse().map_err(|e| format!("notify.smtp_from: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("recipient address: {e}"))?;
    let lang = render::Lang::from_locale(locale);
    let body = if lang == render::Lang::Ja { &identity.name_ja } else { &identity.name_en };
    let subject = render::subject(digest, lang, body);
    let text = render::text(digest, lang, body);
    let html = render::html(digest, lang, body);
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{}@{}>", n.delivery_id, identity.server_id)))
        .multipart(lettre::message::MultiPart::alternative_plain_html(text, html))
        .map_err(|e| e.to_string())
}

pub async fn send(mailer: &Mailer, message: Message) -> Result<(), String> {
    mailer
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
