//! Driving the real `isacx` binary: one config directory per user, a clean
//! environment (no locale, no ISACX_* variables), and what came back.

// Test harness: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::{TestApp, USER_PASSWORD};

/// One person's `isacx`: its own config and credentials under a temp dir.
pub struct Cli {
    exe: PathBuf,
    pub dir: tempfile::TempDir,
}

/// Exit status and output of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// Asserts the exit status, showing everything when it differs.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "{self:?}");
        self
    }
}

impl Default for Cli {
    fn default() -> Self {
        Self::new()
    }
}

impl Cli {
    pub fn new() -> Cli {
        Cli {
            exe: crate::binary("isacx").unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A path as the string a command line takes.
    pub fn arg(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    pub fn credentials(&self) -> PathBuf {
        self.path("isacx/credentials.toml")
    }

    /// The client with this profile directory and a clean environment, not yet started
    /// (for long-running commands such as `watch`; output is piped).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("--config")
            .arg(self.path("isacx/config.toml"))
            .args(args);
        for k in [
            "ISACX_PROFILE",
            "ISACX_SERVER",
            "ISACX_CA_FILE",
            "ISACX_CONFIG",
            "LC_ALL",
            "LC_MESSAGES",
            "LANG",
            "COLUMNS",
        ] {
            cmd.env_remove(k);
        }
        cmd.env("HOME", self.dir.path())
            .env("TZ", "UTC")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    pub fn run_in(&self, args: &[&str], stdin: Option<&str>) -> Run {
        use std::io::Write;
        let mut cmd = self.command(args);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(args, None)
    }

    /// `isacx login` to `app` as `user` (password [`USER_PASSWORD`]), trusting
    /// a copy of its CA (so the profile outlives the server's temp dir).
    pub fn login(&self, app: &TestApp, user: &str) {
        let ca = self.path("ca.pem");
        std::fs::copy(&app.ca_pem, &ca).unwrap();
        self.login_with_ca(app, &ca, user);
    }

    pub fn login_with_ca(&self, app: &TestApp, ca: &Path, user: &str) {
        let run = self.run_in(
            &[
                "--server",
                &app.base_url,
                "--ca-file",
                ca.to_str().unwrap(),
                "login",
                "-u",
                user,
                "--password-stdin",
            ],
            Some(&format!("{USER_PASSWORD}\n")),
        );
        assert_eq!(run.code, 0, "{run:?}");
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path(name), text).unwrap();
        self.arg(name)
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}
