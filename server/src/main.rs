//! `isacx-server`: run the exchange, migrate its database, administer it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use isacx_schemas::api::{self, Role};
use isacx_server::app::AppState;
use isacx_server::audit::{self, Actor, Verification};
use isacx_server::config::Settings;
use isacx_server::db::Database;
use isacx_server::members;

/// glibc's allocator spent a fifth of TAXII ingest in malloc/free
/// (bench/README.md); mimalloc keeps per-thread free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "isacx-server", version, about = "The isacx information-sharing exchange server")]
struct Cli {
    /// Configuration file (TOML). Without it: built-in defaults plus ISACX_SERVER_* variables.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the default configuration, with every key documented.
    PrintDefaultConfig,
    /// Print the OpenAPI 3.1 document of the REST API.
    PrintOpenapi,
    /// Manage members and access.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator (the first one bootstraps the server). The password is read from stdin.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// Register a member organisation.
    CreateOrganisation {
        /// Name in Japanese.
        #[arg(long)]
        name_ja: String,
        /// Name in Latin script.
        #[arg(long)]
        name_en: String,
        /// Another name the member is known by (repeatable).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        /// A DNS domain the member owns (repeatable).
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// A sector id (repeatable).
        #[arg(long = "sector")]
        sectors: Vec<String>,
        /// An internal address range in CIDR form (repeatable).
        #[arg(long = "internal-range")]
        internal_ranges: Vec<String>,
    },
    /// List member organisations.
    ListOrganisations,
    /// Create a user. The password is read from stdin.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Organisation id (required for operators).
        #[arg(long)]
        organisation: Option<uuid::Uuid>,
        #[arg(long)]
        email: Option<String>,
        /// ja or en.
        #[arg(long)]
        locale: Option<String>,
    },
    /// List users.
    ListUsers,
    /// Create an API key for a user; the secret is printed once.
    CreateApiKey {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        label: String,
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Revoke an API key.
    RevokeApiKey { id: uuid::Uuid },
    /// Lift a login lockout.
    Unlock { username: String },
    /// Publish an organisation's submissions of one kind without review when the anonymiser found nothing in them.
    CreateAutoPublishRule {
        /// Organisation id.
        #[arg(long)]
        organisation: uuid::Uuid,
        /// Report kind: incident, precursor or near_miss.
        #[arg(long)]
        kind: String,
        /// TLP to publish at; a submission marked higher keeps its own.
        #[arg(long)]
        tlp: String,
        /// Only submissions that carry at least one indicator.
        #[arg(long)]
        require_indicators: bool,
        /// A sector id that may see what the rule publishes (repeatable; none = all).
        #[arg(long = "sector")]
        sectors: Vec<String>,
    },
    /// List auto-publish rules.
    ListAutoPublishRules,
    /// Delete an auto-publish rule.
    DeleteAutoPublishRule { id: uuid::Uuid },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and report the first tampered or missing row.
    Verify,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::PrintDefaultConfig => {
            print!("{}", Settings::defaults_toml());
            return Ok(ExitCode::SUCCESS);
        }
        Command::PrintOpenapi => {
            print!("{}", isacx_server::api::openapi_json());
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let settings = Settings::load(cli.config.as_deref())?;
    isacx_server::telemetry::init(&settings.log);
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => {
            let db = Database::connect(&settings.storage.database_url, 1)?;
            let applied = db.migrate()?;
            println!("{} migration(s) applied on {}", applied.len(), db.backend().name());
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin(cmd) => admin(settings, cmd),
        Command::Audit(AuditCommand::Verify) => {
            let db = Database::connect(&settings.storage.database_url, 1)?;
            let result = db.read(audit::verify).map_err(|e| anyhow::anyhow!("{e}"))?;
            match result {
                Verification::Intact { rows } => {
                    println!("audit log intact: {rows} row(s) verified");
                    Ok(ExitCode::SUCCESS)
                }
                Verification::Broken { seq, reason } => {
                    println!("audit log BROKEN at row {seq}: {reason}");
                    Ok(ExitCode::from(3))
                }
            }
        }
        Command::PrintDefaultConfig | Command::PrintOpenapi => Ok(ExitCode::SUCCESS),
    }
}

fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let bind = settings.http.bind.clone();
        let state = AppState::init(settings)?;
        let running = isacx_server::app::start(state)?;
        tracing::info!(addr = %running.addr, scheme = running.scheme, "listening");
        eprintln!("isacx-server listening on {}://{} (from {bind})", running.scheme, running.addr);
        // actix stops gracefully on SIGTERM and SIGINT.
        running.server.await?;
        Ok(ExitCode::SUCCESS)
    })
}

fn read_password(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt}: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password given on standard input");
    }
    Ok(password)
}

fn admin(settings: Settings, cmd: AdminCommand) -> anyhow::Result<ExitCode> {
    let state = AppState::init(settings)?;
    let rules = state.member_rules();
    let actor = Actor::system("cli:isacx-server-admin");
    let db = &state.db;
    let fail = |e: isacx_server::error::ApiError| {
        let mut message = e.detail.clone();
        for f in &e.errors {
            message.push_str(&format!("\n  {}: {}", f.field, f.message));
        }
        anyhow::anyhow!(message)
    };
    match cmd {
        AdminCommand::CreateAdmin { username, email } => {
            let password = read_password("password")?;
            let user = members::create_user(
                db,
                &rules,
                &actor,
                api::NewUser { username, display_name: None, email, password, role: Role::Admin, organisation_id: None, locale: None },
            )
            .map_err(fail)?;
            println!("created admin `{}` ({})", user.username, user.id);
        }
        AdminCommand::CreateOrganisation { name_ja, name_en, aliases, domains, sectors, internal_ranges } => {
            let org = members::create_organisation(
                db,
                &rules,
                &actor,
                api::NewOrganisation { name: api::LocalisedName { ja: name_ja, en: name_en }, aliases, domains, sectors, internal_ranges },
            )
            .map_err(fail)?;
            println!("{}", org.id);
        }
        AdminCommand::ListOrganisations => {
            for org in members::list_organisations(db).map_err(fail)? {
                println!("{}\t{}\t{}\t{}", org.id, org.name.en, org.name.ja, org.sectors.join(","));
            }
        }
        AdminCommand::CreateUser { username, role, organisation, email, locale } => {
            let password = read_password("password")?;
            let user = members::create_user(
                db,
                &rules,
                &actor,
                api::NewUser { username, display_name: None, email, password, role, organisation_id: organisation, locale },
            )
            .map_err(fail)?;
            println!("{}", user.id);
        }
        AdminCommand::ListUsers => {
            for user in members::list_users(db).map_err(fail)? {
                println!("{}\t{}\t{}\t{}", user.id, user.username, user.role, if user.disabled { "disabled" } else { "active" });
            }
        }
        AdminCommand::CreateApiKey { username, role, label, expires_in_days } => {
            let user = members::find_user_by_name(db, &username).map_err(fail)?;
            let created = members::create_api_key(
                db,
                &actor,
                api::NewApiKey { user_id: isacx_server::db::models::parse_uuid(&user.id), role, label, expires_in_days },
            )
            .map_err(fail)?;
            eprintln!("API key {} created; the secret is shown only now:", created.key.id);
            println!("{}", created.secret);
        }
        AdminCommand::RevokeApiKey { id } => {
            let key = members::revoke_api_key(db, &actor, id).map_err(fail)?;
            println!("revoked {} ({})", key.id, key.label);
        }
        AdminCommand::Unlock { username } => {
            let user = members::find_user_by_name(db, &username).map_err(fail)?;
            members::update_user(
                db,
                &rules,
                &actor,
                isacx_server::db::models::parse_uuid(&user.id),
                api::UserUpdate { unlock: Some(true), ..Default::default() },
            )
            .map_err(fail)?;
            println!("unlocked `{username}`");
        }
        AdminCommand::CreateAutoPublishRule { organisation, kind, tlp, require_indicators, sectors } => {
            let rule = isacx_server::auto_publish::create(
                db,
                &rules,
                &actor,
                api::NewAutoPublishRule { organisation_id: organisation, kind, tlp, require_indicators, sectors },
            )
            .map_err(fail)?;
            println!("{}", rule.id);
        }
        AdminCommand::ListAutoPublishRules => {
            for rule in isacx_server::auto_publish::list(db).map_err(fail)? {
                let indicators = if rule.require_indicators { "indicators required" } else { "any" };
                let sectors = if rule.sectors.is_empty() { "all sectors".to_owned() } else { rule.sectors.join(",") };
                println!("{}	{}	{}	{}	{indicators}	{sectors}", rule.id, rule.organisation_id, rule.kind, rule.tlp);
            }
        }
        AdminCommand::DeleteAutoPublishRule { id } => {
            let rule = isacx_server::auto_publish::delete(db, &actor, id).map_err(fail)?;
            println!("deleted {}", rule.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}
