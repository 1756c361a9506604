//! Validated value types. Each parses from the blueprint's text form and
//! refuses anything else with a message meant for people.

use std::fmt;

/// A resource name: `[a-z][a-z0-9-]*`, length checked by the caller's rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(String);

impl Name {
    /// Checks `[a-z][a-z0-9-]{0,max_len-1}`.
    pub fn parse(s: &str, max_len: usize) -> Result<Name, String> {
        let mut chars = s.chars();
        match chars.next() {
            None => return Err("must not be empty".into()),
            Some(c) if !c.is_ascii_lowercase() => {
                return Err(format!(
                    "`{s}` must start with a lowercase letter (a-z), then only a-z, 0-9 and `-`"
                ))
            }
            _ => {}
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(format!(
                "`{s}` contains `{bad}`: only a-z, 0-9 and `-` are allowed"
            ));
        }
        if s.len() > max_len {
            return Err(format!(
                "`{s}` is {} characters long; at most {max_len} are allowed",
                s.len()
            ));
        }
        Ok(Name(s.to_string()))
    }

    /// For tests and generated names that are valid by construction.
    pub fn new_unchecked(s: impl Into<String>) -> Name {
        Name(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name with `-` replaced by `_`, for identifiers (Terraform
    /// variables, environment variables). Injective, since names have no `_`.
    pub fn snake(&self) -> String {
        self.0.replace('-', "_")
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A duration in whole seconds: `30s`, `10m`, `2h`, `4d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(u64);

impl Duration {
    pub fn from_secs(s: u64) -> Duration {
        Duration(s)
    }

    pub fn parse(s: &str) -> Result<Duration, String> {
        let hint = "a duration is a whole number and a unit: `30s`, `10m`, `2h` or `4d`";
        let t = s.trim();
        // The unit is the last character, whatever its width: user text
        // may end in `秒` or `ß`, and a byte split would cut it.
        let mut chars = t.chars();
        let unit = chars.next_back();
        let num = chars.as_str();
        let mult = match unit {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => 86400,
            _ => return Err(format!("`{s}` is not a duration: {hint}")),
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{s}` is not a duration: {hint}"));
        }
        let n: u64 = num
            .parse()
            .map_err(|_| format!("`{s}` is too large a duration"))?;
        n.checked_mul(mult)
            .filter(|v| *v <= 10 * 365 * 86400)
            .map(Duration)
            .ok_or_else(|| format!("`{s}` is too large a duration"))
    }

    pub fn secs(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Duration {
    /// The largest unit that divides the value: `90s`, `10m`, `2h`, `4d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s != 0 && s % 86400 == 0 {
            write!(f, "{}d", s / 86400)
        } else if s != 0 && s % 3600 == 0 {
            write!(f, "{}h", s / 3600)
        } else if s != 0 && s % 60 == 0 {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

/// CPU in millicores (`0.25` vCPU = 250).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cpu(u32);

impl Cpu {
    pub fn from_millis(m: u32) -> Cpu {
        Cpu(m)
    }

    /// `0.25`, `1`, `4` (vCPU) or `250m` (millicores), for one workload.
    pub fn parse(s: &str) -> Result<Cpu, String> {
        Cpu::parse_at_most(s, 192)
    }

    /// A total over many workloads (a tenant's quota): up to a million vCPU.
    pub fn parse_total(s: &str) -> Result<Cpu, String> {
        Cpu::parse_at_most(s, 1_000_000)
    }

    fn parse_at_most(s: &str, max_vcpu: u64) -> Result<Cpu, String> {
        let hint = "CPU is a number of vCPU (`0.25`, `1`, `4`) or millicores (`250m`)";
        let t = s.trim();
        let millis = if let Some(m) = t.strip_suffix('m') {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("`{s}` is not a CPU amount: {hint}"));
            }
            m.parse::<u64>().ok()
        } else {
            parse_decimal_thousandths(t)
        };
        match millis {
            Some(0) => Err(format!("`{s}`: CPU must be more than 0")),
            Some(m) if m <= max_vcpu * 1000 => Ok(Cpu(m as u32)),
            Some(_) if max_vcpu == 192 => Err(format!(
                "`{s}` is more CPU than any target offers (192 vCPU)"
            )),
            Some(_) => Err(format!("`{s}` is more than {max_vcpu} vCPU")),
            None => Err(format!("`{s}` is not a CPU amount: {hint}")),
        }
    }

    pub fn millis(self) -> u32 {
        self.0
    }

    pub fn vcpu(self) -> f64 {
        f64::from(self.0) / 1000.0
    }
}

impl fmt::Display for Cpu {
    /// Kubernetes-style: `250m`, or whole vCPU as `1`, `4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 1000 == 0 {
            write!(f, "{}", self.0 / 1000)
        } else {
            write!(f, "{}m", self.0)
        }
    }
}

/// Parses `12`, `0.25`, `1.5` into thousandths; at most 3 decimals.
fn parse_decimal_thousandths(t: &str) -> Option<u64> {
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 3
        || int.len() > 9
    {
        return None;
    }
    let i: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut f: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..3 {
        f *= 10;
    }
    Some(i * 1000 + f)
}

/// Memory in MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Memory(u32);

impl Memory {
    pub fn from_mib(m: u32) -> Memory {
        Memory(m)
    }

    /// `512Mi`, `2Gi`, `1.5Gi`.
    pub fn parse(s: &str) -> Result<Memory, String> {
        let hint = "memory is a whole number of `Mi` or a number of `Gi`: `512Mi`, `2Gi`, `1.5Gi`";
        let t = s.trim();
        let mib = if let Some(m) = t.strip_suffix("Mi") {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) || m.len() > 9 {
                None
            } else {
                m.parse::<u64>().ok()
            }
        } else if let Some(g) = t.strip_suffix("Gi") {
            parse_decimal_thousandths(g).and_then(|thousandths| {
                let mib = thousandths * 1024;
                (mib % 1000 == 0).then_some(mib / 1000)
            })
        } else {
            None
        };
        match mib {
            Some(0) => Err(format!("`{s}`: memory must be more than 0")),
            Some(m) if m <= 4 * 1024 * 1024 => Ok(Memory(m as u32)),
            Some(_) => Err(format!("`{s}` is more memory than any target offers")),
            None => Err(format!("`{s}` is not a memory size: {hint}")),
        }
    }

    pub fn mib(self) -> u32 {
        self.0
    }

    pub fn gib(self) -> f64 {
        f64::from(self.0) / 1024.0
    }
}

impl fmt::Display for Memory {
    /// `2Gi` when whole gibibytes, else `1536Mi`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 1024 == 0 {
            write!(f, "{}Gi", self.0 / 1024)
        } else {
            write!(f, "{}Mi", self.0)
        }
    }
}

/// A container image reference, split where a tag or digest begins, so a
/// target can expose the tag as an input (CI bumps it) and keep the rest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Image {
    /// Everything before the tag or digest: `ghcr.io/acme/api`.
    pub repository: String,
    /// `:` before a tag, `@` before a digest, empty when neither is given.
    pub separator: &'static str,
    /// `1.4.2`, `sha256:...`, or empty (`latest` is implied then).
    pub reference: String,
}

impl Image {
    pub fn parse(s: &str) -> Result<Image, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("an image must not be empty".into());
        }
        if let Some(bad) = t.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "`{}` is not an image reference: it contains {bad:?}",
                t.escape_debug()
            ));
        }
        if let Some((repo, digest)) = t.split_once('@') {
            if repo.is_empty() || !digest.contains(':') {
                return Err(format!(
                    "`{t}` is not an image reference: a digest looks like `repo@sha256:<hex>`"
                ));
            }
            return Ok(Image {
                repository: repo.to_string(),
                separator: "@",
                reference: digest.to_string(),
            });
        }
        let last_slash = t.rfind('/').map_or(0, |i| i + 1);
        match t[last_slash..].rfind(':') {
            Some(i) => {
                let split = last_slash + i;
                let (repo, tag) = (&t[..split], &t[split + 1..]);
                if repo.is_empty() || tag.is_empty() {
                    return Err(format!(
                        "`{t}` is not an image reference: empty name or tag"
                    ));
                }
                Ok(Image {
                    repository: repo.to_string(),
                    separator: ":",
                    reference: tag.to_string(),
                })
            }
            None => Ok(Image {
                repository: t.to_string(),
                separator: "",
                reference: String::new(),
            }),
        }
    }

    /// The tag or digest to use: `latest` when the blueprint gave none.
    pub fn tag_or_latest(&self) -> &str {
        if self.reference.is_empty() {
            "latest"
        } else {
            &self.reference
        }
    }

    /// `:` or `@` before [`Image::tag_or_latest`].
    pub fn tag_separator(&self) -> &'static str {
        if self.separator.is_empty() {
            ":"
        } else {
            self.separator
        }
    }
}

impl fmt::Display for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.repository, self.separator, self.reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(Name::parse("api", 32).is_ok());
        assert!(Name::parse("a-1", 32).is_ok());
        assert!(Name::parse("", 32).is_err());
        assert!(Name::parse("1a", 32).is_err());
        assert!(Name::parse("Api", 32).is_err());
        assert!(Name::parse("a_b", 32).is_err());
        assert!(Name::parse(&"a".repeat(32), 32).is_ok());
        assert!(Name::parse(&"a".repeat(33), 32).is_err());
        assert_eq!(
            Name::parse("nightly-report", 32).unwrap().snake(),
            "nightly_report"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("30s").unwrap().secs(), 30);
        assert_eq!(Duration::parse("10m").unwrap().secs(), 600);
        assert_eq!(Duration::parse("2h").unwrap().secs(), 7200);
        assert_eq!(Duration::parse("4d").unwrap().secs(), 345_600);
        for bad in [
            "",
            "s",
            "10",
            "1.5h",
            "-1s",
            "10 m",
            "10M",
            "99999999999999999999d",
            "é",
            "30秒",
            "1ß",
            "秒s",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Duration::from_secs(90).to_string(), "90s");
        assert_eq!(Duration::from_secs(600).to_string(), "10m");
        assert_eq!(Duration::from_secs(345_600).to_string(), "4d");
    }

    #[test]
    fn cpus() {
        assert_eq!(Cpu::parse("0.25").unwrap().millis(), 250);
        assert_eq!(Cpu::parse("1").unwrap().millis(), 1000);
        assert_eq!(Cpu::parse("250m").unwrap().millis(), 250);
        assert_eq!(Cpu::parse(".5").unwrap().millis(), 500);
        assert_eq!(Cpu::parse("1.5").unwrap().millis(), 1500);
        for bad in [
            "0", "0m", "", "m", "1.2345", "-1", "abc", "1e3", "1000", "é", "1ß", "½", "1.é",
        ] {
            assert!(Cpu::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Cpu::from_millis(250).to_string(), "250m");
        assert_eq!(Cpu::from_millis(2000).to_string(), "2");
    }

    #[test]
    fn memories() {
        assert_eq!(Memory::parse("512Mi").unwrap().mib(), 512);
        assert_eq!(Memory::parse("2Gi").unwrap().mib(), 2048);
        assert_eq!(Memory::parse("1.5Gi").unwrap().mib(), 1536);
        for bad in [
            "512", "2G", "2GB", "0Mi", "Mi", "1.1Gi", "-1Gi", "2gi", "é", "1éMi", "Gi", "é.Gi",
        ] {
            assert!(Memory::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Memory::from_mib(2048).to_string(), "2Gi");
        assert_eq!(Memory::from_mib(1536).to_string(), "1536Mi");
    }

    #[test]
    fn images() {
        let i = Image::parse("123456789012.dkr.ecr.eu-central-1.amazonaws.com/api:1.4.2").unwrap();
        assert_eq!(
            i.repository,
            "123456789012.dkr.ecr.eu-central-1.amazonaws.com/api"
        );
        assert_eq!(i.reference, "1.4.2");
        let i = Image::parse("localhost:5000/api").unwrap();
        assert_eq!(i.repository, "localhost:5000/api");
        assert_eq!(i.tag_or_latest(), "latest");
        let i = Image::parse("nginx@sha256:abc").unwrap();
        assert_eq!((i.separator, i.reference.as_str()), ("@", "sha256:abc"));
        assert_eq!(i.to_string(), "nginx@sha256:abc");
        assert!(Image::parse("a b").is_err());
        assert!(Image::parse("api:").is_err());
    }
}
