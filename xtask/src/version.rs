//! Versions: the one a tool prints with `--version`, and the pins in Cargo.lock and package.json.
//!
//! Every tool is pinned in the repository; xtask compares what is installed with that pin instead
//! of trusting whatever happens to be on PATH.

use std::fmt;

/// A dotted version such as `0.2.130`, compared component by component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(Vec<u64>);

impl Version {
    /// Parses `1.2.3` (or `v1.2.3`); text after the numbers, such as `esr` or `-beta.1`, is ignored.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.strip_prefix('v').unwrap_or(text);
        let numeric = text
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()?
            .trim_end_matches('.');
        if numeric.is_empty() {
            return None;
        }
        numeric
            .split('.')
            .map(|part| part.parse().ok())
            .collect::<Option<Vec<u64>>>()
            .map(Version)
    }

    /// Finds the version in a `--version` line such as `wasm-pack 0.15.1`,
    /// `wasm-opt version 132 (version_132)` or `Chromium 142.0.7444.175 built on Debian`:
    /// the first word that starts with a digit (or `v` and a digit).
    pub fn from_output(output: &str) -> Option<Version> {
        output
            .split_whitespace()
            .map(|w| w.strip_prefix('v').unwrap_or(w))
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
            .and_then(Version::parse)
    }

    /// The first component: browsers and their drivers must agree on it.
    pub fn major(&self) -> u64 {
        self.0[0]
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// The version of package `name` in a Cargo.lock; an error unless there is exactly one.
pub fn locked_version(lock: &str, name: &str) -> Result<Version, String> {
    let mut found = Vec::new();
    let mut current = None;
    for line in lock.lines().map(str::trim) {
        if line == "[[package]]" {
            current = None;
        } else if let Some(value) = toml_string(line, "name") {
            current = Some(value);
        } else if let Some(value) = toml_string(line, "version") {
            if current == Some(name) {
                found.push(value);
            }
        }
    }
    match found.as_slice() {
        [one] => {
            Version::parse(one).ok_or_else(|| format!("Cargo.lock: bad version of {name}: {one}"))
        }
        [] => Err(format!("Cargo.lock does not list {name}")),
        many => Err(format!(
            "Cargo.lock lists several versions of {name} ({}); the CLI can only match one",
            many.join(", ")
        )),
    }
}

/// `value` from a line `key = "value"`.
fn toml_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim()
        .strip_prefix('"')?
        .strip_suffix('"')
}

/// The version string pinned for `name` in a package.json (`"name": "1.2.3"`).
pub fn npm_pin<'a>(package_json: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\"");
    package_json.match_indices(&key).find_map(|(at, _)| {
        let rest = package_json[at + key.len()..]
            .trim_start()
            .strip_prefix(':')?
            .trim_start()
            .strip_prefix('"')?;
        rest.split('"').next()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn parses_versions() {
        assert_eq!(v("0.2.130").to_string(), "0.2.130");
        assert_eq!(v("v20.19.2").to_string(), "20.19.2");
        assert_eq!(v("140.5.0esr").to_string(), "140.5.0");
        assert_eq!(v("1.2.3-beta.1").to_string(), "1.2.3");
        assert_eq!(v("132").to_string(), "132");
        assert_eq!(Version::parse("beta"), None);
        assert_eq!(Version::parse(""), None);
        assert_eq!(Version::parse("1..2"), None);
    }

    #[test]
    fn compares_numerically() {
        assert!(v("0.2.130") > v("0.2.99"));
        assert!(v("0.15.1") != v("0.15.10"));
    }

    #[test]
    fn reads_version_output() {
        let cases = [
            ("wasm-bindgen 0.2.130", "0.2.130"),
            ("wasm-pack 0.15.1", "0.15.1"),
            ("wasm-opt version 132 (version_132)", "132"),
            (
                "Chromium 142.0.7444.175 built on Debian GNU/Linux 12 (bookworm)",
                "142.0.7444.175",
            ),
            (
                "ChromeDriver 142.0.7444.175 (7ab0b2c4-refs/branch-heads/7444@{#2268})",
                "142.0.7444.175",
            ),
            ("Mozilla Firefox 140.5.0esr", "140.5.0"),
            (
                "geckodriver 0.36.0 (a3d508507022 2025-02-24 15:57 +0000)",
                "0.36.0",
            ),
            ("trunk 0.21.14", "0.21.14"),
            ("v20.19.2", "20.19.2"),
        ];
        for (output, expected) in cases {
            assert_eq!(Version::from_output(output), Some(v(expected)), "{output}");
        }
        assert_eq!(Version::from_output("no version here"), None);
        assert_eq!(v("142.0.7444.175").major(), 142);
    }

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "wasm-bindgen-macro",
]

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.130"

[[package]]
name = "syn"
version = "1.0.109"

[[package]]
name = "syn"
version = "2.0.100"
"#;

    #[test]
    fn reads_cargo_lock() {
        assert_eq!(locked_version(LOCK, "wasm-bindgen"), Ok(v("0.2.130")));
        assert!(locked_version(LOCK, "wasm-bindgen-cli").is_err());
        let several = locked_version(LOCK, "syn").unwrap_err();
        assert!(several.contains("1.0.109, 2.0.100"), "{several}");
    }

    #[test]
    fn reads_npm_pins() {
        let json = r#"{
  "name": "tools",
  "description": "mentions \"binaryen\" in passing",
  "devDependencies": {
    "binaryen" : "132.0.0",
    "typescript": "7.0.2"
  }
}"#;
        assert_eq!(npm_pin(json, "binaryen"), Some("132.0.0"));
        assert_eq!(npm_pin(json, "typescript"), Some("7.0.2"));
        assert_eq!(npm_pin(json, "playwright-core"), None);
    }
}
