//! The sectors this exchange serves: data from `config/taxonomy/sectors.toml`,
//! never an enum, since national plans add sectors over time.

use isacx_schemas::api::{LocalisedName, Sector};
use serde::Deserialize;

const BUILTIN: &str = include_str!("../../config/taxonomy/sectors.toml");

#[derive(Deserialize)]
struct File {
    sector: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    id: String,
    ja: String,
    en: String,
}

pub fn configured() -> anyhow::Result<Vec<Sector>> {
    let file: File = toml::from_str(BUILTIN)?;
    Ok(file.sector.into_iter().map(|e| Sector { id: e.id, name: LocalisedName { ja: e.ja, en: e.en } }).collect())
}
