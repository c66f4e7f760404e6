//! The Python venv of OASIS reference tools (`tests/python/ensure-venv.sh`:
//! stix2, stix2-validator, taxii2-client, medallion), for interop tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// `tests/python`, where the scripts and requirements live.
pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// The venv's python, made (or reused) by `ensure-venv.sh`; `Ok(None)`
/// (after a notice naming `test`) when python3 is missing outside CI. Under
/// CI=true a missing python3 is an error: the interop tests must run there.
pub fn oasis_python(test: &str) -> anyhow::Result<Option<PathBuf>> {
    let has_python = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_python {
        anyhow::ensure!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 not found, and CI=true: the {test} interop test must run in CI"
        );
        crate::notice(&format!("NOTE: {test} SKIPPED: python3 not found (the OASIS reference tools need it)"));
        return Ok(None);
    }
    let output = Command::new("bash").arg(python_dir().join("ensure-venv.sh")).output().context("run ensure-venv.sh")?;
    anyhow::ensure!(output.status.success(), "ensure-venv.sh failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).context("venv path is UTF-8")?;
    let venv = stdout.lines().last().context("ensure-venv.sh printed the venv path")?.trim().to_owned();
    Ok(Some(Path::new(&venv).join("bin/python")))
}
