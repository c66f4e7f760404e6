//! Every sentence `isacx` says to a person, in English and Japanese.
//!
//! A typed catalogue rather than string keys: each [`Msg`] variant renders
//! through one `match` arm that must yield both languages, so a message cannot
//! exist in only one, and a missing placeholder is a compile error, not a
//! runtime surprise. Server error codes are matched without a wildcard, so a
//! code added to `isacx-schemas` does not compile here until it is translated.
//! `--help` stays in English (clap's), like the flags it describes.

use chrono::{DateTime, Local, Utc};
use isacx_schemas::error::ErrorCode;

/// Language of messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    /// `--lang` if given, else the POSIX locale: the first non-empty of
    /// `LC_ALL`, `LC_MESSAGES`, `LANG` decides (as `setlocale` would); `ja*`
    /// means Japanese, anything else English.
    pub fn detect(flag: Option<Lang>, env: impl Fn(&str) -> Option<String>) -> Lang {
        if let Some(lang) = flag {
            return lang;
        }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(env)
            .find(|v| !v.is_empty());
        match locale {
            Some(v) if v.to_ascii_lowercase().starts_with("ja") => Lang::Ja,
            _ => Lang::En,
        }
    }
}

/// A point in time as a person reads it: local time with its offset.
pub fn fmt_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

/// One message, with what it needs to be said.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    // --- labels around an error ---
    LabelError,
    LabelHint,
    LabelWarning,
    ServerDetail {
        detail: String,
    },
    RequestId {
        id: String,
    },

    // --- the server's problem details, per code ---
    Problem {
        code: ErrorCode,
        locked_until: Option<DateTime<Utc>>,
        retry_after: Option<u64>,
    },
    ProblemHint {
        code: ErrorCode,
        cmd: String,
        api_key: bool,
        server: String,
    },

    // --- reaching the server ---
    ConnectionRefused {
        server: String,
    },
    ConnectionRefusedHint {
        server: String,
    },
    HostNotFound {
        server: String,
    },
    HostNotFoundHint,
    Timeout {
        server: String,
    },
    TimeoutHint,
    ConnectFailed {
        server: String,
        detail: String,
    },
    ConnectFailedHint,
    TlsUnknownIssuer {
        server: String,
    },
    TlsUnknownIssuerHint,
    TlsBadName {
        server: String,
    },
    TlsBadNameHint,
    TlsExpired {
        server: String,
    },
    TlsExpiredHint,
    TlsOther {
        server: String,
        detail: String,
    },
    TlsOtherHint,
    UnexpectedAnswer {
        server: String,
        status: u16,
    },
    UnexpectedAnswerHint {
        server: String,
    },
    UnreadableAnswer {
        server: String,
        detail: String,
    },
    UnreadableAnswerHint,

    // --- local state ---
    NotLoggedIn {
        profile: String,
        server: String,
    },
    CredentialsForOtherServer {
        profile: String,
        stored: String,
        server: String,
    },
    SessionExpiredLocally {
        at: DateTime<Utc>,
    },
    LoginHint {
        cmd: String,
    },
    NoServer {
        profile: String,
    },
    NoServerHint,
    ServerRequired,
    ServerRequiredHint,
    InvalidServerUrl {
        url: String,
        reason: String,
    },
    InvalidServerUrlHint,
    ProfileNotFound {
        name: String,
    },
    ProfileNotFoundHint,
    ProfileExists {
        name: String,
    },
    ProfileExistsHint,
    InvalidProfileName {
        name: String,
    },
    InvalidProfileNameHint,
    CaFileUnreadable {
        path: String,
        detail: String,
    },
    CaFileNoCerts {
        path: String,
    },
    CaFileHint,
    ConfigUnreadable {
        path: String,
        detail: String,
    },
    ConfigInvalid {
        path: String,
        detail: String,
    },
    ConfigInvalidHint,
    ConfigWriteFailed {
        path: String,
        detail: String,
    },
    ConfigWriteFailedHint,
    NoConfigDir,
    NoConfigDirHint,
    NoTerminal,
    NoTerminalHint,
    EmptyPassword,
    NoUsername,
    NoUsernameHint,
    EmptyApiKey,
    EmptyApiKeyHint,
    StdinFailed {
        detail: String,
    },
    TlsSetupFailed {
        detail: String,
    },
    Internal {
        detail: String,
    },
    InternalHint,

    // --- warnings and results ---
    CredentialsPermissionsFixed {
        path: String,
    },
    LoggedIn {
        username: String,
        server: String,
        profile: String,
        expires: DateTime<Utc>,
    },
    LoggedOut {
        profile: String,
    },
    LoggedOutAlreadyEnded {
        profile: String,
    },
    LogoutNotRevoked {
        server: String,
        reason: String,
        expires: Option<DateTime<Utc>>,
    },
    ApiKeyForgotten {
        profile: String,
    },
    NothingToLogOut {
        profile: String,
    },
    ProfileAdded {
        name: String,
    },
    ProfileReplaced {
        name: String,
    },
    ProfileIsCurrent {
        name: String,
    },
    ProfileRemoved {
        name: String,
    },
    ProfileRemovedSessionLeft,
    ApiKeySaved {
        name: String,
    },
    NoProfilesYet,

    // --- prompts ---
    PromptUsername,
    PromptPassword {
        username: String,
        server: String,
    },

    // --- table columns and values ---
    ColProfile,
    ColServer,
    ColCaFile,
    ColUsername,
    ColOutput,
    ColCredentials,
    ColCurrent,
    ColUserId,
    ColDisplayName,
    ColRole,
    ColOrganisation,
    ColAuthMethod,
    ColExpires,
    ColPeer,
    ColDirection,
    ColSchedule,
    ColLastSuccess,
    ColLag,
    ColLastError,
    ColFailures,
    ColNextAttempt,
    ColReceived,
    ColSent,
    NoPeers,
    CredNone,
    CredSession {
        until: DateTime<Utc>,
    },
    CredSessionExpired {
        at: DateTime<Utc>,
    },
    CredApiKey,
    AuthSession,
    AuthApiKey,
    SystemRootsOnly,
    NoValue,

    // --- indicators and reports ---
    InputUnreadable {
        path: String,
        detail: String,
    },
    InputUnreadableHint,
    InputInvalid {
        path: String,
        count: usize,
    },
    InputInvalidHint {
        kind: crate::error::InputKind,
    },
    OutputFailed {
        path: String,
        detail: String,
    },
    OutputFailedHint,
    PushRejected {
        failed: u64,
        total: u64,
    },
    PushRejectedHint,
    PeerNotFound {
        peer: String,
    },
    PeerNotFoundHint,
    PeerSyncFailed {
        peer: String,
        error: String,
    },
    PeerSyncFailedHint,
    PeerSynced {
        peer: String,
        received: u64,
        duplicates: u64,
        refused: u64,
        sent: u64,
        bytes: u64,
    },
    Pulled {
        objects: u64,
        written: u64,
        pages: u64,
        collection: String,
        target: String,
    },
    CursorNow {
        cursor: String,
    },
    CursorUnchanged,
    Pushed {
        success: u64,
        total: u64,
        collection: String,
    },
    PulledProgress,
    ReportTemplateWritten {
        path: String,
    },
    ReportValid {
        path: String,
    },
    StandardOutput,

    // --- watch ---
    WatchConnected {
        server: String,
    },
    WatchReconnecting {
        secs: u64,
        detail: String,
    },
    WatchEvent {
        kind: isacx_schemas::notify::EventKind,
        urgency: isacx_schemas::notify::Urgency,
    },
}

impl Msg {
    pub fn text(&self, lang: Lang) -> String {
        let (en, ja) = self.both();
        match lang {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }

    /// Both languages at once: one arm per message keeps them side by side.
    fn both(&self) -> (String, String) {
        use Msg::*;
        let s = |en: &str, ja: &str| (en.to_owned(), ja.to_owned());
        match self {
            LabelError => s("error", "エラー"),
            LabelHint => s("hint", "対処"),
            LabelWarning => s("warning", "警告"),
            ServerDetail { detail } => {
                (format!("The server said: {detail}"), format!("サーバーからの詳細: {detail}"))
            }
            RequestId { id } => (
                format!("Request id {id} (give it to the server's administrator)."),
                format!("リクエスト ID {id}(サーバー管理者にお伝えください)。"),
            ),

            Problem { code, locked_until, retry_after } => problem(*code, *locked_until, *retry_after),
            ProblemHint { code, cmd, api_key, server } => problem_hint(*code, cmd, *api_key, server),

            ConnectionRefused { server } => (
                format!("Could not connect to {server}: the connection was refused."),
                format!("{server} に接続できません: 接続が拒否されました。"),
            ),
            ConnectionRefusedHint { server } => (
                format!("Is the server running at {server}? Check the address and port (--server or the profile)."),
                format!("{server} でサーバーは起動していますか? アドレスとポート(--server またはプロファイル)を確認してください。"),
            ),
            HostNotFound { server } => (
                format!("Could not find the host of {server}."),
                format!("{server} のホストが見つかりません。"),
            ),
            HostNotFoundHint => s(
                "Check the host name in --server or the profile, and this machine's DNS.",
                "--server またはプロファイルのホスト名と、この端末の DNS 設定を確認してください。",
            ),
            Timeout { server } => (
                format!("{server} did not answer in time."),
                format!("{server} から時間内に応答がありません。"),
            ),
            TimeoutHint => s(
                "Check the network and firewall between this machine and the server, then try again.",
                "この端末とサーバーの間のネットワークとファイアウォールを確認し、再度お試しください。",
            ),
            ConnectFailed { server, detail } => (
                format!("Could not connect to {server}: {detail}"),
                format!("{server} に接続できません: {detail}"),
            ),
            ConnectFailedHint => s(
                "Check the server address and the network, then try again.",
                "サーバーのアドレスとネットワークを確認し、再度お試しください。",
            ),
            TlsUnknownIssuer { server } => (
                format!("The certificate of {server} is not signed by a CA this machine trusts."),
                format!("{server} の証明書は、この端末が信頼する認証局(CA)の署名ではありません。"),
            ),
            TlsUnknownIssuerHint => s(
                "Pass --ca-file with the server's CA certificate (a server with a self-generated CA keeps it at <server data dir>/tls/ca.pem), or save it in the profile: `isacx profile add NAME --server URL --ca-file PATH --force`.",
                "サーバーの CA 証明書を --ca-file で指定してください(自己生成 CA のサーバーでは <サーバーのデータディレクトリ>/tls/ca.pem にあります)。プロファイルに保存する場合: `isacx profile add 名前 --server URL --ca-file パス --force`。",
            ),
            TlsBadName { server } => (
                format!("The certificate of {server} is not valid for this host name."),
                format!("{server} の証明書は、このホスト名に対して有効ではありません。"),
            ),
            TlsBadNameHint => s(
                "Use the host name the server's certificate was issued for in --server or the profile.",
                "--server またはプロファイルには、サーバー証明書の発行対象のホスト名を使ってください。",
            ),
            TlsExpired { server } => (
                format!("The certificate of {server} has expired or is not yet valid."),
                format!("{server} の証明書は有効期限切れか、まだ有効になっていません。"),
            ),
            TlsExpiredHint => s(
                "Check this machine's clock; if it is right, ask the server's administrator to renew the certificate.",
                "この端末の時計を確認してください。正しければ、サーバー管理者に証明書の更新を依頼してください。",
            ),
            TlsOther { server, detail } => (
                format!("The secure connection to {server} failed: {detail}"),
                format!("{server} との暗号化通信に失敗しました: {detail}"),
            ),
            TlsOtherHint => s(
                "Check that the address is the isacx server's HTTPS port; if it is, give this message to the server's administrator.",
                "アドレスが isacx サーバーの HTTPS ポートか確認してください。正しければ、このメッセージをサーバー管理者にお伝えください。",
            ),
            UnexpectedAnswer { server, status } => (
                format!("{server} answered with HTTP status {status} and no isacx error details."),
                format!("{server} が HTTP ステータス {status} を返しました(isacx のエラー詳細はありません)。"),
            ),
            UnexpectedAnswerHint { server } => (
                format!("Check that {server} is an isacx server and not a proxy or another service."),
                format!("{server} がプロキシや別のサービスではなく isacx サーバーか確認してください。"),
            ),
            UnreadableAnswer { server, detail } => (
                format!("Could not read the answer of {server}: {detail}"),
                format!("{server} の応答を読み取れません: {detail}"),
            ),
            UnreadableAnswerHint => s(
                "The server may be a different version than this client; update the client or ask the administrator.",
                "サーバーとこのクライアントのバージョンが異なる可能性があります。クライアントを更新するか、管理者にお問い合わせください。",
            ),

            NotLoggedIn { profile, server } => (
                format!("You are not logged in to {server} (profile `{profile}`)."),
                format!("{server} にログインしていません(プロファイル `{profile}`)。"),
            ),
            CredentialsForOtherServer { profile, stored, server } => (
                format!("Profile `{profile}` holds credentials for {stored}, not for {server}; they are not sent elsewhere."),
                format!("プロファイル `{profile}` の認証情報は {server} ではなく {stored} 用のため、送信しません。"),
            ),
            SessionExpiredLocally { at } => (
                format!("Your session expired at {}.", fmt_time(*at)),
                format!("セッションの有効期限({})が切れています。", fmt_time(*at)),
            ),
            LoginHint { cmd } => (
                format!("Run `{cmd} login` to log in."),
                format!("`{cmd} login` を実行してログインしてください。"),
            ),
            NoServer { profile } => (
                format!("No server is configured for profile `{profile}`."),
                format!("プロファイル `{profile}` にサーバーが設定されていません。"),
            ),
            NoServerHint => s(
                "Pass --server URL (and --ca-file PATH), or add a profile: `isacx profile add NAME --server URL`.",
                "--server URL(必要なら --ca-file パス)を指定するか、プロファイルを追加してください: `isacx profile add 名前 --server URL`。",
            ),
            ServerRequired => s(
                "A profile needs a server address.",
                "プロファイルにはサーバーのアドレスが必要です。",
            ),
            ServerRequiredHint => s(
                "Pass it with --server, e.g. `isacx profile add prod --server https://isac.example.jp:8443`.",
                "--server で指定してください。例: `isacx profile add prod --server https://isac.example.jp:8443`。",
            ),
            InvalidServerUrl { url, reason } => (
                format!("`{url}` is not a usable server address: {reason}"),
                format!("`{url}` はサーバーのアドレスとして使えません: {reason}"),
            ),
            InvalidServerUrlHint => s(
                "Use https://HOST[:PORT]; isacx only talks HTTPS.",
                "https://ホスト[:ポート] の形式で指定してください。isacx は HTTPS のみ使います。",
            ),
            ProfileNotFound { name } => (
                format!("There is no profile `{name}`."),
                format!("プロファイル `{name}` はありません。"),
            ),
            ProfileNotFoundHint => s(
                "See the profiles with `isacx profile list`, or add one with `isacx profile add NAME --server URL`.",
                "`isacx profile list` で一覧を確認するか、`isacx profile add 名前 --server URL` で追加してください。",
            ),
            ProfileExists { name } => (
                format!("Profile `{name}` already exists."),
                format!("プロファイル `{name}` は既に存在します。"),
            ),
            ProfileExistsHint => s(
                "Pass --force to replace its settings, or choose another name.",
                "設定を置き換えるには --force を指定するか、別の名前を選んでください。",
            ),
            InvalidProfileName { name } => (
                format!("`{name}` is not a valid profile name."),
                format!("`{name}` はプロファイル名として使えません。"),
            ),
            InvalidProfileNameHint => s(
                "Use 1 to 64 letters, digits, `-`, `_` or `.`.",
                "英数字と `-`、`_`、`.` を 1〜64 文字で使ってください。",
            ),
            CaFileUnreadable { path, detail } => (
                format!("Cannot read the CA file {path}: {detail}"),
                format!("CA ファイル {path} を読み込めません: {detail}"),
            ),
            CaFileNoCerts { path } => (
                format!("The CA file {path} holds no PEM certificate."),
                format!("CA ファイル {path} に PEM 形式の証明書がありません。"),
            ),
            CaFileHint => s(
                "Pass the server's CA certificate in PEM form (-----BEGIN CERTIFICATE-----); a server with a self-generated CA keeps it at <server data dir>/tls/ca.pem.",
                "サーバーの CA 証明書を PEM 形式(-----BEGIN CERTIFICATE-----)で指定してください。自己生成 CA のサーバーでは <サーバーのデータディレクトリ>/tls/ca.pem にあります。",
            ),
            ConfigUnreadable { path, detail } => (
                format!("Cannot read {path}: {detail}"),
                format!("{path} を読み込めません: {detail}"),
            ),
            ConfigInvalid { path, detail } => (
                format!("{path} is not a valid isacx file: {detail}"),
                format!("{path} は isacx の設定ファイルとして正しくありません: {detail}"),
            ),
            ConfigInvalidHint => s(
                "Fix the file, or pass --config to use another one.",
                "ファイルを修正するか、--config で別のファイルを指定してください。",
            ),
            ConfigWriteFailed { path, detail } => (
                format!("Cannot write {path}: {detail}"),
                format!("{path} に書き込めません: {detail}"),
            ),
            ConfigWriteFailedHint => s(
                "Check the permissions of the directory and the free space.",
                "ディレクトリの権限と空き容量を確認してください。",
            ),
            NoConfigDir => s(
                "This system has no configuration directory for isacx.",
                "このシステムには isacx の設定ディレクトリがありません。",
            ),
            NoConfigDirHint => s(
                "Pass --config PATH or set ISACX_CONFIG.",
                "--config パス を指定するか、ISACX_CONFIG を設定してください。",
            ),
            NoTerminal => s(
                "Cannot ask for the password: there is no terminal.",
                "端末がないため、パスワードを入力できません。",
            ),
            NoTerminalHint => s(
                "In scripts, pass --password-stdin and pipe the password in.",
                "スクリプトでは --password-stdin を指定し、パスワードを標準入力から渡してください。",
            ),
            EmptyPassword => s("The password is empty.", "パスワードが空です。"),
            NoUsername => s("No user name was given.", "ユーザー名が指定されていません。"),
            NoUsernameHint => s(
                "Pass --username NAME (the profile remembers it after the first login).",
                "--username 名前 を指定してください(初回ログイン後はプロファイルに保存されます)。",
            ),
            EmptyApiKey => s("No API key was read from standard input.", "標準入力から API キーを読み取れませんでした。"),
            EmptyApiKeyHint => s(
                "Pipe the key in, e.g. `printf '%s' \"$KEY\" | isacx profile add NAME --server URL --api-key-stdin`.",
                "キーをパイプで渡してください。例: `printf '%s' \"$KEY\" | isacx profile add 名前 --server URL --api-key-stdin`。",
            ),
            StdinFailed { detail } => (
                format!("Cannot read standard input: {detail}"),
                format!("標準入力を読み込めません: {detail}"),
            ),
            TlsSetupFailed { detail } => (
                format!("Cannot set up TLS: {detail}"),
                format!("TLS を設定できません: {detail}"),
            ),
            Internal { detail } => (
                format!("Something went wrong inside isacx: {detail}"),
                format!("isacx の内部でエラーが発生しました: {detail}"),
            ),
            InternalHint => s(
                "Please report this to the isacx maintainers with the command you ran.",
                "実行したコマンドを添えて isacx の開発者に報告してください。",
            ),

            CredentialsPermissionsFixed { path } => (
                format!("{path} could be read by other users; its permissions were reset to 0600."),
                format!("{path} が他のユーザーから読める状態だったため、権限を 0600 に戻しました。"),
            ),
            LoggedIn { username, server, profile, expires } => (
                format!(
                    "Logged in to {server} as {username} (profile `{profile}`). The session is valid until {}.",
                    fmt_time(*expires)
                ),
                format!(
                    "{username} として {server} にログインしました(プロファイル `{profile}`)。セッションの有効期限は {} です。",
                    fmt_time(*expires)
                ),
            ),
            LoggedOut { profile } => (
                format!("Logged out (profile `{profile}`)."),
                format!("ログアウトしました(プロファイル `{profile}`)。"),
            ),
            LoggedOutAlreadyEnded { profile } => (
                format!("Logged out (profile `{profile}`); the session had already ended on the server."),
                format!("ログアウトしました(プロファイル `{profile}`)。サーバー上のセッションは既に終了していました。"),
            ),
            LogoutNotRevoked { server, reason, expires } => {
                let (until_en, until_ja) = match expires {
                    Some(at) => (format!("until {}", fmt_time(*at)), format!("{} まで", fmt_time(*at))),
                    None => ("until it expires".to_owned(), "有効期限まで".to_owned()),
                };
                (
                    format!(
                        "Could not end the session on {server} ({reason}). The token was removed from this machine, but the session stays valid on the server {until_en}."
                    ),
                    format!(
                        "{server} 上のセッションを終了できませんでした({reason})。トークンはこの端末から削除しましたが、サーバー上のセッションは{until_ja}有効なままです。"
                    ),
                )
            }
            ApiKeyForgotten { profile } => (
                format!("The API key was removed from profile `{profile}`. The key itself stays valid until an administrator revokes it."),
                format!("プロファイル `{profile}` から API キーを削除しました。キー自体は管理者が失効させるまで有効です。"),
            ),
            NothingToLogOut { profile } => (
                format!("Not logged in (profile `{profile}`); nothing to do."),
                format!("ログインしていません(プロファイル `{profile}`)。何もしませんでした。"),
            ),
            ProfileAdded { name } => (format!("Added profile `{name}`."), format!("プロファイル `{name}` を追加しました。")),
            ProfileReplaced { name } => (
                format!("Replaced the settings of profile `{name}`."),
                format!("プロファイル `{name}` の設定を置き換えました。"),
            ),
            ProfileIsCurrent { name } => (
                format!("Profile `{name}` is now the current profile."),
                format!("現在のプロファイルを `{name}` にしました。"),
            ),
            ProfileRemoved { name } => (format!("Removed profile `{name}`."), format!("プロファイル `{name}` を削除しました。")),
            ProfileRemovedSessionLeft => s(
                "Its session token was deleted but not ended on the server; next time run `isacx logout` first.",
                "セッションのトークンは削除しましたが、サーバー上では終了していません。次回は先に `isacx logout` を実行してください。",
            ),
            ApiKeySaved { name } => (
                format!("Saved the API key for profile `{name}`."),
                format!("プロファイル `{name}` に API キーを保存しました。"),
            ),
            NoProfilesYet => s(
                "No profiles yet. Add one with `isacx profile add NAME --server URL`.",
                "プロファイルはまだありません。`isacx profile add 名前 --server URL` で追加してください。",
            ),

            PromptUsername => s("Username: ", "ユーザー名: "),
            PromptPassword { username, server } => (
                format!("Password for {username} at {server}: "),
                format!("{server} の {username} のパスワード: "),
            ),

            ColProfile => s("Profile", "プロファイル"),
            ColServer => s("Server", "サーバー"),
            ColCaFile => s("CA file", "CA ファイル"),
            ColUsername => s("Username", "ユーザー名"),
            ColPeer => s("Peer", "ピア"),
            ColDirection => s("Direction", "方向"),
            ColSchedule => s("Schedule", "スケジュール"),
            ColLastSuccess => s("Last success", "最終成功"),
            ColLag => s("Lag", "遅延"),
            ColLastError => s("Last error", "最新のエラー"),
            ColFailures => s("Failures", "連続失敗"),
            ColNextAttempt => s("Next attempt", "次回再試行"),
            ColReceived => s("Received", "受信"),
            ColSent => s("Sent", "送信"),
            NoPeers => s("No peers are configured.", "ピアは設定されていません。"),
            ColOutput => s("Output", "出力形式"),
            ColCredentials => s("Credentials", "認証情報"),
            ColCurrent => s("Current", "現在"),
            ColUserId => s("User id", "ユーザー ID"),
            ColDisplayName => s("Display name", "表示名"),
            ColRole => s("Role", "ロール"),
            ColOrganisation => s("Organisation", "組織"),
            ColAuthMethod => s("Authenticated by", "認証方式"),
            ColExpires => s("Expires", "有効期限"),
            CredNone => s("not logged in", "未ログイン"),
            CredSession { until } => (
                format!("session until {}", fmt_time(*until)),
                format!("セッション({} まで)", fmt_time(*until)),
            ),
            CredSessionExpired { at } => (
                format!("session expired at {}", fmt_time(*at)),
                format!("セッション期限切れ({})", fmt_time(*at)),
            ),
            CredApiKey => s("API key", "API キー"),
            AuthSession => s("session (password login)", "セッション(パスワードログイン)"),
            AuthApiKey => s("API key", "API キー"),
            SystemRootsOnly => s("(system CAs only)", "(システムの CA のみ)"),
            NoValue => s("-", "-"),

            InputUnreadable { path, detail } => (
                format!("Could not read {path}: {detail}"),
                format!("{path} を読み込めません: {detail}"),
            ),
            InputUnreadableHint => s(
                "Check the file name and that you may read it.",
                "ファイル名と読み取り権限を確認してください。",
            ),
            InputInvalid { path, count } => (
                format!("{path} is not valid ({count} problem(s)):"),
                format!("{path} は正しくありません({count} 件の問題):"),
            ),
            InputInvalidHint { kind } => match kind {
                crate::error::InputKind::IndicatorsCsv => s(
                    "Each row is type,value[,tlp]; types: ipv4, ipv6, domain, url, email, md5, sha1, sha256, sha512; TLP: clear, green, amber, amber+strict, red. Nothing was sent.",
                    "各行は type,value[,tlp] です。type: ipv4, ipv6, domain, url, email, md5, sha1, sha256, sha512。TLP: clear, green, amber, amber+strict, red。何も送信していません。",
                ),
                crate::error::InputKind::StixBundle => s(
                    "Give a STIX 2.1 bundle ({\"type\": \"bundle\", \"objects\": [...]}) or a CSV file (type,value[,tlp]). Nothing was sent.",
                    "STIX 2.1 バンドル({\"type\": \"bundle\", \"objects\": [...]})または CSV ファイル(type,value[,tlp])を指定してください。何も送信していません。",
                ),
                crate::error::InputKind::Report => s(
                    "Fix the fields named above; `isacx report new` writes a template that lists the allowed values.",
                    "上記の項目を修正してください。`isacx report new` で、使える値を記したテンプレートを出力できます。",
                ),
            },
            OutputFailed { path, detail } => (
                format!("Could not write {path}: {detail}"),
                format!("{path} に書き込めません: {detail}"),
            ),
            OutputFailedHint => s(
                "Check the directory exists, that you may write to it and that the disk has room; the cursor was not advanced.",
                "ディレクトリの存在、書き込み権限、ディスクの空きを確認してください。カーソルは進めていません。",
            ),
            PushRejected { failed, total } => (
                format!("The server rejected {failed} of {total} object(s):"),
                format!("サーバーは {total} 件中 {failed} 件を受け付けませんでした:"),
            ),
            PushRejectedHint => s(
                "The other objects were stored. Fix the rejected ones and push them again (pushing the same object twice does no harm).",
                "それ以外は登録されました。拒否されたものを修正して再送してください(同じオブジェクトの再送は問題ありません)。",
            ),
            PeerNotFound { peer } => (
                format!("No peer is named `{peer}`."),
                format!("`{peer}` という名前のピアはありません。"),
            ),
            PeerNotFoundHint => s(
                "`isacx peers status` lists the peers by name; an id works too.",
                "`isacx peers status` でピアの名前を確認してください。ID でも指定できます。",
            ),
            PeerSyncFailed { peer, error } => (
                format!("The sync with `{peer}` failed: {error}"),
                format!("`{peer}` との同期に失敗しました: {error}"),
            ),
            PeerSyncFailedHint => s(
                "What was stored before the failure stays stored and the next sync resumes from there; the server retries on its schedule with backoff.",
                "失敗までに保存した分は残り、次回の同期はそこから再開します。サーバーはスケジュールに従い間隔を空けて再試行します。",
            ),
            PeerSynced { peer, received, duplicates, refused, sent, bytes } => (
                format!("Synced with `{peer}`: received {received} new, {duplicates} already stored, {refused} refused; sent {sent}; read {bytes} bytes."),
                format!("`{peer}` と同期しました: 新規受信 {received} 件、保存済み {duplicates} 件、拒否 {refused} 件、送信 {sent} 件、受信 {bytes} バイト。"),
            ),
            Pulled { objects, written, pages, collection, target } => (
                format!("Pulled {objects} object(s) in {pages} page(s) from `{collection}`; wrote {written} record(s) to {target}."),
                format!("`{collection}` から {pages} ページで {objects} 件を取得し、{target} に {written} 件を書き出しました。"),
            ),
            CursorNow { cursor } => (
                format!("Next pull starts after {cursor}."),
                format!("次回は {cursor} より後から取得します。"),
            ),
            CursorUnchanged => s(
                "Nothing new; the cursor is unchanged.",
                "新しいものはありません。カーソルは変更していません。",
            ),
            Pushed { success, total, collection } => (
                format!("Pushed {success} of {total} object(s) to `{collection}`."),
                format!("`{collection}` に {total} 件中 {success} 件を登録しました。"),
            ),
            PulledProgress => s("objects", "件"),
            ReportTemplateWritten { path } => (
                format!("Wrote a report template to {path}; fill it in, then run `isacx report validate {path}`."),
                format!("報告テンプレートを {path} に書き出しました。記入後、`isacx report validate {path}` で確認してください。"),
            ),
            ReportValid { path } => (
                format!("{path} is a valid report."),
                format!("{path} は有効な報告です。"),
            ),
            StandardOutput => s("standard output", "標準出力"),
            WatchConnected { server } => (
                format!("Watching notifications from {server} (Ctrl-C to stop)."),
                format!("{server} からの通知を待っています(Ctrl-C で終了)。"),
            ),
            WatchReconnecting { secs, detail } => (
                format!("The stream was interrupted ({detail}); reconnecting in {secs} s without losing events."),
                format!("ストリームが中断しました({detail})。{secs} 秒後に再接続します(通知は失われません)。"),
            ),
            WatchEvent { kind, urgency } => {
                use isacx_schemas::notify::{EventKind as K, Urgency as U};
                let (ken, kja) = match kind {
                    K::AdvisoryPublished => ("New advisory", "新しい情報提供"),
                    K::AdvisoryAmended => ("Advisory amended", "情報提供の更新"),
                    K::AdvisoryWithdrawn => ("Advisory withdrawn", "情報提供の取り下げ"),
                    K::TaskReminder => ("Reassessment reminder", "リスク再評価のリマインダー"),
                    K::TaskEscalation => ("Reassessment overdue", "リスク再評価の期限超過"),
                    K::FollowupQuestion => ("Follow-up on your report", "報告への問い合わせ"),
                    K::FollowupAnswer => ("Answer to your follow-up", "問い合わせへの回答"),
                    K::DigestIssued => ("Liaison digest", "連絡窓口向けサマリー"),
                };
                let (uen, uja) = match urgency {
                    U::Info => ("info", "情報"),
                    U::Warning => ("warning", "警戒"),
                    U::Urgent => ("URGENT", "緊急"),
                };
                (format!("[{uen}] {ken}"), format!("【{uja}】{kja}"))
            }
        }
    }
}

/// What went wrong, per server error code.
fn problem(
    code: ErrorCode,
    locked_until: Option<DateTime<Utc>>,
    retry_after: Option<u64>,
) -> (String, String) {
    let s = |en: &str, ja: &str| (en.to_owned(), ja.to_owned());
    match code {
        ErrorCode::MalformedRequest => s(
            "The server could not understand the request.",
            "サーバーがリクエストを解釈できませんでした。",
        ),
        ErrorCode::ValidationFailed => s(
            "The server rejected some fields:",
            "サーバーが一部の項目を受け付けませんでした:",
        ),
        ErrorCode::PayloadTooLarge => s(
            "The request is larger than the server accepts.",
            "リクエストがサーバーの上限を超えています。",
        ),
        ErrorCode::UnsupportedMediaType => s(
            "The server does not accept this kind of content.",
            "サーバーはこの形式のデータを受け付けません。",
        ),
        ErrorCode::Unauthenticated => s("You are not logged in.", "ログインしていません。"),
        ErrorCode::InvalidCredentials => s(
            "Wrong user name or password.",
            "ユーザー名またはパスワードが正しくありません。",
        ),
        ErrorCode::InvalidToken => s(
            "The server did not accept the stored credentials.",
            "保存されている認証情報をサーバーが受け付けませんでした。",
        ),
        ErrorCode::TokenExpired => s(
            "Your session has expired.",
            "セッションの有効期限が切れました。",
        ),
        ErrorCode::TokenRevoked => s(
            "Your session has ended (logged out or revoked).",
            "セッションは終了しています(ログアウト済みまたは失効)。",
        ),
        ErrorCode::AccountLocked => match locked_until {
            Some(at) => (
                format!(
                    "Your account is locked after too many failed logins, until {}.",
                    fmt_time(at)
                ),
                format!(
                    "ログインの失敗が続いたため、アカウントは {} までロックされています。",
                    fmt_time(at)
                ),
            ),
            None => s(
                "Your account is locked after too many failed logins.",
                "ログインの失敗が続いたため、アカウントはロックされています。",
            ),
        },
        ErrorCode::AccountDisabled => s(
            "Your account is disabled.",
            "アカウントは無効化されています。",
        ),
        ErrorCode::RateLimited => match retry_after {
            Some(secs) => (
                format!("Too many requests; the server asks to wait {secs} seconds."),
                format!("リクエストが多すぎます。サーバーは {secs} 秒待つよう求めています。"),
            ),
            None => s("Too many requests.", "リクエストが多すぎます。"),
        },
        ErrorCode::Forbidden => s(
            "Your role does not allow this.",
            "あなたのロールではこの操作は許可されていません。",
        ),
        ErrorCode::NotFound => s(
            "Not found (or not visible to you).",
            "見つかりません(または閲覧権限がありません)。",
        ),
        ErrorCode::Conflict => s(
            "This conflicts with what the server already has.",
            "サーバー上の既存のデータと競合します。",
        ),
        ErrorCode::ServiceUnavailable => s(
            "The server is temporarily unavailable.",
            "サーバーは一時的に利用できません。",
        ),
        ErrorCode::Internal => s(
            "The server failed while handling the request.",
            "サーバーでリクエストの処理中に障害が発生しました。",
        ),
    }
}

/// What to do next, per server error code.
fn problem_hint(code: ErrorCode, cmd: &str, api_key: bool, server: &str) -> (String, String) {
    let login = || {
        (
            format!("Run `{cmd} login` again."),
            format!("`{cmd} login` を再度実行してください。"),
        )
    };
    let new_key = || {
        (
            "Ask an administrator for a new API key and store it with `isacx profile add NAME --server URL --api-key-stdin --force`.".to_owned(),
            "管理者に新しい API キーを発行してもらい、`isacx profile add 名前 --server URL --api-key-stdin --force` で保存してください。".to_owned(),
        )
    };
    let s = |en: &str, ja: &str| (en.to_owned(), ja.to_owned());
    match code {
        ErrorCode::MalformedRequest | ErrorCode::UnsupportedMediaType => s(
            "This client may not match the server's version; update isacx or ask the administrator.",
            "クライアントとサーバーのバージョンが合っていない可能性があります。isacx を更新するか、管理者にお問い合わせください。",
        ),
        ErrorCode::ValidationFailed => s("Correct the fields above and try again.", "上記の項目を修正して再度お試しください。"),
        ErrorCode::PayloadTooLarge => s("Send less at once (split the input).", "一度に送る量を減らしてください(入力を分割してください)。"),
        ErrorCode::Unauthenticated | ErrorCode::InvalidToken | ErrorCode::TokenExpired | ErrorCode::TokenRevoked => {
            if api_key {
                new_key()
            } else {
                login()
            }
        }
        ErrorCode::InvalidCredentials => s(
            "Check the user name and password and try again; repeated failures lock the account.",
            "ユーザー名とパスワードを確認して再度お試しください。失敗が続くとアカウントがロックされます。",
        ),
        ErrorCode::AccountLocked => s(
            "Wait until then, or ask an administrator to unlock the account.",
            "それまでお待ちいただくか、管理者にロックの解除を依頼してください。",
        ),
        ErrorCode::AccountDisabled => s(
            "Ask an administrator of the sharing body to enable it.",
            "情報共有組織の管理者に有効化を依頼してください。",
        ),
        ErrorCode::RateLimited => s("Wait a moment, then try again.", "しばらく待ってから再度お試しください。"),
        ErrorCode::Forbidden => s(
            "See your role with `isacx whoami`; ask an administrator if you need a role that allows this (operator, analyst, liaison or admin).",
            "`isacx whoami` でロールを確認し、この操作が許可されるロール(operator、analyst、liaison、admin)が必要なら管理者に依頼してください。",
        ),
        ErrorCode::NotFound => s("Check the name or id, and that you are using the right profile.", "名前や ID と、使っているプロファイルが正しいか確認してください。"),
        ErrorCode::Conflict => s("Reload the current state, then try again.", "現在の状態を確認してから再度お試しください。"),
        ErrorCode::ServiceUnavailable => (
            format!("Try again in a few minutes; if it lasts, tell the administrator of {server}."),
            format!("数分後に再度お試しください。続く場合は {server} の管理者にお知らせください。"),
        ),
        ErrorCode::Internal => (
            format!("Tell the administrator of {server}, with the request id."),
            format!("リクエスト ID を添えて {server} の管理者にお知らせください。"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 30, 0)
            .single()
            .unwrap_or_default()
    }

    /// One of each message. The match below has no wildcard, so a new variant
    /// does not compile until it is listed here too, and so gets checked.
    fn samples() -> Vec<Msg> {
        use Msg::*;
        let t = at();
        let st = || "x".to_owned();
        let mut all = vec![
            LabelError,
            LabelHint,
            LabelWarning,
            ServerDetail { detail: st() },
            RequestId { id: st() },
            ConnectionRefused { server: st() },
            ConnectionRefusedHint { server: st() },
            HostNotFound { server: st() },
            HostNotFoundHint,
            Timeout { server: st() },
            TimeoutHint,
            ConnectFailed {
                server: st(),
                detail: st(),
            },
            ConnectFailedHint,
            TlsUnknownIssuer { server: st() },
            TlsUnknownIssuerHint,
            TlsBadName { server: st() },
            TlsBadNameHint,
            TlsExpired { server: st() },
            TlsExpiredHint,
            TlsOther {
                server: st(),
                detail: st(),
            },
            TlsOtherHint,
            UnexpectedAnswer {
                server: st(),
                status: 502,
            },
            UnexpectedAnswerHint { server: st() },
            UnreadableAnswer {
                server: st(),
                detail: st(),
            },
            UnreadableAnswerHint,
            NotLoggedIn {
                profile: st(),
                server: st(),
            },
            CredentialsForOtherServer {
                profile: st(),
                stored: st(),
                server: st(),
            },
            SessionExpiredLocally { at: t },
            LoginHint { cmd: st() },
            NoServer { profile: st() },
            NoServerHint,
            ServerRequired,
            ServerRequiredHint,
            InvalidServerUrl {
                url: st(),
                reason: st(),
            },
            InvalidServerUrlHint,
            ProfileNotFound { name: st() },
            ProfileNotFoundHint,
            ProfileExists { name: st() },
            ProfileExistsHint,
            InvalidProfileName { name: st() },
            InvalidProfileNameHint,
            CaFileUnreadable {
                path: st(),
                detail: st(),
            },
            CaFileNoCerts { path: st() },
            CaFileHint,
            ConfigUnreadable {
                path: st(),
                detail: st(),
            },
            ConfigInvalid {
                path: st(),
                detail: st(),
            },
            ConfigInvalidHint,
            ConfigWriteFailed {
                path: st(),
                detail: st(),
            },
            ConfigWriteFailedHint,
            NoConfigDir,
            NoConfigDirHint,
            NoTerminal,
            NoTerminalHint,
            EmptyPassword,
            NoUsername,
            NoUsernameHint,
            EmptyApiKey,
            EmptyApiKeyHint,
            StdinFailed { detail: st() },
            TlsSetupFailed { detail: st() },
            Internal { detail: st() },
            InternalHint,
            CredentialsPermissionsFixed { path: st() },
            LoggedIn {
                username: st(),
                server: st(),
                profile: st(),
                expires: t,
            },
            LoggedOut { profile: st() },
            LoggedOutAlreadyEnded { profile: st() },
            LogoutNotRevoked {
                server: st(),
                reason: st(),
                expires: Some(t),
            },
            LogoutNotRevoked {
                server: st(),
                reason: st(),
                expires: None,
            },
            ApiKeyForgotten { profile: st() },
            NothingToLogOut { profile: st() },
            ProfileAdded { name: st() },
            ProfileReplaced { name: st() },
            ProfileIsCurrent { name: st() },
            ProfileRemoved { name: st() },
            ProfileRemovedSessionLeft,
            ApiKeySaved { name: st() },
            NoProfilesYet,
            PromptUsername,
            PromptPassword {
                username: st(),
                server: st(),
            },
            ColProfile,
            ColServer,
            ColCaFile,
            ColUsername,
            ColOutput,
            ColCredentials,
            ColCurrent,
            ColUserId,
            ColDisplayName,
            ColRole,
            ColOrganisation,
            ColAuthMethod,
            ColExpires,
            ColPeer,
            ColDirection,
            ColSchedule,
            ColLastSuccess,
            ColLag,
            ColLastError,
            ColFailures,
            ColNextAttempt,
            ColReceived,
            ColSent,
            NoPeers,
            CredNone,
            CredSession { until: t },
            CredSessionExpired { at: t },
            CredApiKey,
            AuthSession,
            AuthApiKey,
            SystemRootsOnly,
            InputUnreadable {
                path: st(),
                detail: st(),
            },
            InputUnreadableHint,
            InputInvalid {
                path: st(),
                count: 2,
            },
            InputInvalidHint {
                kind: crate::error::InputKind::IndicatorsCsv,
            },
            InputInvalidHint {
                kind: crate::error::InputKind::StixBundle,
            },
            InputInvalidHint {
                kind: crate::error::InputKind::Report,
            },
            OutputFailed {
                path: st(),
                detail: st(),
            },
            OutputFailedHint,
            PushRejected {
                failed: 1,
                total: 2,
            },
            PushRejectedHint,
            PeerNotFound { peer: st() },
            PeerNotFoundHint,
            PeerSyncFailed { peer: st(), error: st() },
            PeerSyncFailedHint,
            PeerSynced { peer: st(), received: 1, duplicates: 2, refused: 3, sent: 4, bytes: 5 },
            Pulled {
                objects: 3,
                written: 2,
                pages: 1,
                collection: st(),
                target: st(),
            },
            CursorNow { cursor: st() },
            CursorUnchanged,
            Pushed {
                success: 1,
                total: 2,
                collection: st(),
            },
            PulledProgress,
            ReportTemplateWritten { path: st() },
            ReportValid { path: st() },
            StandardOutput,
            WatchConnected { server: st() },
            WatchReconnecting {
                secs: 2,
                detail: st(),
            },
        ];
        for kind in isacx_schemas::notify::EventKind::ALL {
            for urgency in isacx_schemas::notify::Urgency::ALL {
                all.push(WatchEvent { kind, urgency });
            }
        }
        for code in ErrorCode::ALL {
            for (locked_until, retry_after) in [(None, None), (Some(t), Some(30))] {
                all.push(Problem {
                    code: *code,
                    locked_until,
                    retry_after,
                });
            }
            for api_key in [false, true] {
                all.push(ProblemHint {
                    code: *code,
                    cmd: st(),
                    api_key,
                    server: st(),
                });
            }
        }
        // Exhaustiveness witness: adding a variant breaks this until listed above.
        for m in &all {
            match m {
                LabelError
                | LabelHint
                | LabelWarning
                | ServerDetail { .. }
                | RequestId { .. }
                | Problem { .. }
                | ProblemHint { .. }
                | ConnectionRefused { .. }
                | ConnectionRefusedHint { .. }
                | HostNotFound { .. }
                | HostNotFoundHint
                | Timeout { .. }
                | TimeoutHint
                | ConnectFailed { .. }
                | ConnectFailedHint
                | TlsUnknownIssuer { .. }
                | TlsUnknownIssuerHint
                | TlsBadName { .. }
                | TlsBadNameHint
                | TlsExpired { .. }
                | TlsExpiredHint
                | TlsOther { .. }
                | TlsOtherHint
                | UnexpectedAnswer { .. }
                | UnexpectedAnswerHint { .. }
                | UnreadableAnswer { .. }
                | UnreadableAnswerHint
                | NotLoggedIn { .. }
                | CredentialsForOtherServer { .. }
                | SessionExpiredLocally { .. }
                | LoginHint { .. }
                | NoServer { .. }
                | NoServerHint
                | ServerRequired
                | ServerRequiredHint
                | InvalidServerUrl { .. }
                | InvalidServerUrlHint
                | ProfileNotFound { .. }
                | ProfileNotFoundHint
                | ProfileExists { .. }
                | ProfileExistsHint
                | InvalidProfileName { .. }
                | InvalidProfileNameHint
                | CaFileUnreadable { .. }
                | CaFileNoCerts { .. }
                | CaFileHint
                | ConfigUnreadable { .. }
                | ConfigInvalid { .. }
                | ConfigInvalidHint
                | ConfigWriteFailed { .. }
                | ConfigWriteFailedHint
                | NoConfigDir
                | NoConfigDirHint
                | NoTerminal
                | NoTerminalHint
                | EmptyPassword
                | NoUsername
                | NoUsernameHint
                | EmptyApiKey
                | EmptyApiKeyHint
                | StdinFailed { .. }
                | TlsSetupFailed { .. }
                | Internal { .. }
                | InternalHint
                | CredentialsPermissionsFixed { .. }
                | LoggedIn { .. }
                | LoggedOut { .. }
                | LoggedOutAlreadyEnded { .. }
                | LogoutNotRevoked { .. }
                | ApiKeyForgotten { .. }
                | NothingToLogOut { .. }
                | ProfileAdded { .. }
                | ProfileReplaced { .. }
                | ProfileIsCurrent { .. }
                | ProfileRemoved { .. }
                | ProfileRemovedSessionLeft
                | ApiKeySaved { .. }
                | NoProfilesYet
                | PromptUsername
                | PromptPassword { .. }
                | ColProfile
                | ColServer
                | ColCaFile
                | ColUsername
                | ColOutput
                | ColCredentials
                | ColCurrent
                | ColUserId
                | ColDisplayName
                | ColRole
                | ColOrganisation
                | ColAuthMethod
                | ColExpires
                | ColPeer
                | ColDirection
                | ColSchedule
                | ColLastSuccess
                | ColLag
                | ColLastError
                | ColFailures
                | ColNextAttempt
                | ColReceived
                | ColSent
                | NoPeers
                | CredNone
                | CredSession { .. }
                | CredSessionExpired { .. }
                | CredApiKey
                | AuthSession
                | AuthApiKey
                | SystemRootsOnly
                | InputUnreadable { .. }
                | InputUnreadableHint
                | InputInvalid { .. }
                | InputInvalidHint { .. }
                | OutputFailed { .. }
                | OutputFailedHint
                | PushRejected { .. }
                | PushRejectedHint
                | PeerNotFound { .. }
                | PeerNotFoundHint
                | PeerSyncFailed { .. }
                | PeerSyncFailedHint
                | PeerSynced { .. }
                | Pulled { .. }
                | CursorNow { .. }
                | CursorUnchanged
                | Pushed { .. }
                | PulledProgress
                | ReportTemplateWritten { .. }
                | ReportValid { .. }
                | StandardOutput
                | WatchConnected { .. }
                | WatchReconnecting { .. }
                | WatchEvent { .. } => {}
                // `-` reads the same in both languages; it is the one exception below.
                NoValue => {}
            }
        }
        all
    }

    #[test]
    fn every_message_has_english_and_japanese() {
        for m in samples() {
            let en = m.text(Lang::En);
            let ja = m.text(Lang::Ja);
            assert!(!en.trim().is_empty(), "{m:?} has no English");
            assert!(!ja.trim().is_empty(), "{m:?} has no Japanese");
            assert!(
                en.is_ascii() || en.contains('…'),
                "{m:?}: English has non-ASCII: {en}"
            );
            assert!(
                !ja.is_ascii(),
                "{m:?}: Japanese text looks untranslated: {ja}"
            );
            assert_ne!(en, ja, "{m:?}");
        }
        assert_eq!(Msg::NoValue.text(Lang::En), Msg::NoValue.text(Lang::Ja));
    }

    #[test]
    fn placeholders_are_filled() {
        for m in samples() {
            for lang in [Lang::En, Lang::Ja] {
                let t = m.text(lang);
                assert!(
                    !t.contains("{}") && !t.contains("{server}") && !t.contains("{cmd}"),
                    "{m:?}: {t}"
                );
            }
        }
    }

    #[test]
    fn locale_selection() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(Lang::detect(None, env(&[])), Lang::En);
        assert_eq!(
            Lang::detect(None, env(&[("LANG", "ja_JP.UTF-8")])),
            Lang::Ja
        );
        assert_eq!(Lang::detect(None, env(&[("LANG", "ja")])), Lang::Ja);
        assert_eq!(
            Lang::detect(None, env(&[("LANG", "en_US.UTF-8")])),
            Lang::En
        );
        assert_eq!(Lang::detect(None, env(&[("LANG", "C")])), Lang::En);
        // LC_MESSAGES beats LANG, LC_ALL beats both.
        assert_eq!(
            Lang::detect(
                None,
                env(&[("LANG", "en_US.UTF-8"), ("LC_MESSAGES", "ja_JP.UTF-8")])
            ),
            Lang::Ja
        );
        assert_eq!(
            Lang::detect(
                None,
                env(&[
                    ("LC_ALL", "C.UTF-8"),
                    ("LC_MESSAGES", "ja_JP.UTF-8"),
                    ("LANG", "ja_JP")
                ])
            ),
            Lang::En
        );
        // An empty variable is skipped, as setlocale does.
        assert_eq!(
            Lang::detect(None, env(&[("LC_ALL", ""), ("LANG", "ja_JP.eucJP")])),
            Lang::Ja
        );
        // The flag wins over everything.
        assert_eq!(
            Lang::detect(Some(Lang::En), env(&[("LC_ALL", "ja_JP.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::detect(Some(Lang::Ja), env(&[("LANG", "en_GB.UTF-8")])),
            Lang::Ja
        );
    }
}
