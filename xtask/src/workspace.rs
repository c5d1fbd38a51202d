//! The repository layout, and the environment every child process runs in.
//!
//! Tools that xtask installs must win over anything else on PATH: wasm-pack runs the first
//! `wasm-opt` it finds, and Debian's binaryen is too old for current Rust output. So
//! `tools/node_modules/.bin` comes first, then cargo's bin directory (where `cargo install` puts
//! wasm-pack and wasm-bindgen), then the inherited PATH.

use std::env;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths of the checkout and the PATH given to children.
#[derive(Debug)]
pub struct Workspace {
    /// The repository root (the parent of `xtask/`).
    pub root: PathBuf,
    /// PATH for every child process, see the module docs.
    path: OsString,
    /// The cargo that started xtask.
    cargo: OsString,
    /// Whether children run with `CARGO_INCREMENTAL=0`, see `skip_incremental_caches_when_cold`.
    no_incremental: bool,
}

impl Workspace {
    /// Finds the repository from where xtask was compiled and builds the child PATH.
    pub fn detect() -> Result<Workspace, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .ok_or("xtask is not inside a workspace")?
            .to_path_buf();
        let cargo_home = match env::var_os("CARGO_HOME") {
            Some(home) => PathBuf::from(home),
            None => PathBuf::from(env::var_os("HOME").ok_or("HOME is not set")?).join(".cargo"),
        };
        let mut dirs = vec![root.join("tools/node_modules/.bin"), cargo_home.join("bin")];
        for dir in env::split_paths(&env::var_os("PATH").unwrap_or_default()) {
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        let path = env::join_paths(dirs).map_err(|e| format!("cannot build PATH: {e}"))?;
        // `cargo run` tells its child which cargo it is; it honours the same toolchain.
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Ok(Workspace {
            root,
            path,
            cargo,
            no_incremental: false,
        })
    }

    /// Turns incremental compilation off for every child when no Wasm has been built in this target directory
    /// yet (a fresh clone, as in CI) and `CARGO_INCREMENTAL` is not set: such a run would write caches that only a
    /// later run reads, and writing them makes a cold debug build of the browser tests about a fifth slower
    /// (64 s against 51 s here). A later run compiles this workspace's crates once more, incrementally from then on.
    pub fn skip_incremental_caches_when_cold(&mut self) {
        let cold = !self.target_dir().join("wasm32-unknown-unknown").exists();
        self.no_incremental = cold && env::var_os("CARGO_INCREMENTAL").is_none();
    }

    /// `tools/`: the pinned Node tools (package.json, package-lock.json, node_modules).
    pub fn tools_dir(&self) -> PathBuf {
        self.root.join("tools")
    }

    /// Where the node tools' executables are.
    pub fn npm_bin(&self) -> PathBuf {
        self.tools_dir().join("node_modules/.bin")
    }

    /// Cargo's target directory (`CARGO_TARGET_DIR` if set, relative to the root).
    pub fn target_dir(&self) -> PathBuf {
        match env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => self.root.join(dir),
            None => self.root.join("target"),
        }
    }

    /// A command run in the repository root with the child PATH. A bare program name is looked
    /// up in that PATH (not xtask's own).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let program = program.as_ref();
        let resolved = match program.to_str() {
            Some(name) if !name.contains(std::path::MAIN_SEPARATOR) => self.which(name),
            _ => None,
        };
        let mut cmd = Command::new(resolved.as_deref().map_or(program, Path::as_os_str));
        cmd.current_dir(&self.root).env("PATH", &self.path);
        if self.no_incremental {
            cmd.env("CARGO_INCREMENTAL", "0");
        }
        cmd
    }

    /// `cargo`, the one that runs xtask.
    pub fn cargo(&self) -> Command {
        self.command(&self.cargo)
    }

    /// The first executable called `name` on the child PATH.
    pub fn which(&self, name: &str) -> Option<PathBuf> {
        let file = format!("{name}{}", env::consts::EXE_SUFFIX);
        env::split_paths(&self.path)
            .map(|dir| dir.join(&file))
            .find(|candidate| is_executable(candidate))
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_tools_come_first_on_path() {
        let ws = Workspace::detect().unwrap();
        assert!(ws.root.join("xtask/Cargo.toml").is_file());
        let first = env::split_paths(&ws.path).next().unwrap();
        assert_eq!(first, ws.npm_bin());
    }

    #[test]
    fn which_finds_programs_on_the_child_path() {
        let ws = Workspace::detect().unwrap();
        // `cargo test` runs under cargo, so cargo is on the PATH.
        assert!(ws.which("cargo").is_some());
        assert_eq!(ws.which("no-such-program-xtask"), None);
    }
}
