//! Diagnostics: what is wrong with a blueprint, where, and what to do.
//! Built by parse/ and normalize/; printed by cli.rs. No IO here.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// 1-based line in the blueprint, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub col: Option<usize>,
    /// Dotted YAML path: `services.api.scale.min`; empty for the document.
    pub yaml_path: String,
    pub message: String,
    /// A hint: "did you mean `image`?", the accepted forms, the targets that fit.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(yaml_path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            line: None,
            col: None,
            yaml_path: yaml_path.into(),
            message: message.into(),
            help: None,
        }
    }

    pub fn at(mut self, line: usize, col: usize) -> Diagnostic {
        self.line = Some(line);
        self.col = Some(col);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Prints as `file:line:col: path: message` plus an indented help line
    /// (one line per diagnostic, no source excerpt).
    pub fn display<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        DisplayDiag { d: self, file }
    }

    /// Prints rustc-style: the message, ` --> file:line:col (yaml.path)`,
    /// the offending line of `source` with a caret under the column, and
    /// `= help:`. `source` is the blueprint's text (passed in: no IO here);
    /// `color` adds ANSI colours.
    pub fn snippet<'a>(
        &'a self,
        file: &'a str,
        source: Option<&'a str>,
        color: bool,
    ) -> impl fmt::Display + 'a {
        Snippet {
            d: self,
            file,
            source,
            color,
        }
    }
}

struct DisplayDiag<'a> {
    d: &'a Diagnostic,
    file: &'a str,
}

impl fmt::Display for DisplayDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.d;
        write!(f, "error: {}", self.file)?;
        if let Some(line) = d.line {
            write!(f, ":{line}")?;
            if let Some(col) = d.col {
                write!(f, ":{col}")?;
            }
        }
        if !d.yaml_path.is_empty() {
            write!(f, ": {}", d.yaml_path)?;
        }
        write!(f, ": {}", d.message)?;
        if let Some(help) = &d.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

struct Snippet<'a> {
    d: &'a Diagnostic,
    file: &'a str,
    source: Option<&'a str>,
    color: bool,
}

/// ANSI styles, or nothing when colour is off.
struct Paint {
    on: bool,
}

impl Paint {
    const RED: &'static str = "\x1b[1;31m";
    const BLUE: &'static str = "\x1b[1;34m";
    const BOLD: &'static str = "\x1b[1m";
    const CYAN: &'static str = "\x1b[1;36m";

    fn open(&self, style: &'static str) -> &'static str {
        if self.on {
            style
        } else {
            ""
        }
    }

    fn close(&self) -> &'static str {
        if self.on {
            "\x1b[0m"
        } else {
            ""
        }
    }
}

impl fmt::Display for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.d;
        let p = Paint { on: self.color };
        let (red, blue, bold, cyan, off) = (
            p.open(Paint::RED),
            p.open(Paint::BLUE),
            p.open(Paint::BOLD),
            p.open(Paint::CYAN),
            p.close(),
        );
        writeln!(f, "{red}error{off}{bold}: {}{off}", d.message)?;
        let text = d
            .line
            .and_then(|l| self.source.and_then(|s| s.lines().nth(l.checked_sub(1)?)));
        let width = match (d.line, text) {
            (Some(l), Some(_)) => l.to_string().len(),
            _ => 0,
        };
        let pad = " ".repeat(width);
        write!(f, "{pad}{blue}-->{off} {}", self.file)?;
        if let Some(line) = d.line {
            write!(f, ":{line}")?;
            if let Some(col) = d.col {
                write!(f, ":{col}")?;
            }
        }
        if !d.yaml_path.is_empty() {
            write!(f, " ({})", d.yaml_path)?;
        }
        if let (Some(line), Some(text)) = (d.line, text) {
            let text = text.trim_end_matches('\r');
            writeln!(f)?;
            writeln!(f, "{pad} {blue}|{off}")?;
            write!(f, "{blue}{line} |{off} {text}")?;
            if let Some(col) = d.col {
                let (lead, len) = caret(text, col);
                writeln!(f)?;
                write!(f, "{pad} {blue}|{off} {lead}{red}{}{off}", "^".repeat(len))?;
            }
        }
        if let Some(help) = &d.help {
            writeln!(f)?;
            write!(f, "{pad} {cyan}={off} {bold}help{off}: {help}")?;
        }
        Ok(())
    }
}

/// What goes before the caret (the line's own tabs kept, so it lines up)
/// and how many carets: the token that starts at the 1-based char `col`,
/// ending before `: `, ` #`, and in a flow collection before `,`, `]`, `}`.
fn caret(text: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let start = col.saturating_sub(1).min(chars.len());
    let lead: String = chars[..start]
        .iter()
        .map(|c| if *c == '\t' { '\t' } else { ' ' })
        .collect();
    let flow = chars[..start].iter().any(|c| matches!(c, '[' | '{'));
    let rest = &chars[start..];
    let len = match rest.first() {
        Some(q @ ('"' | '\'')) => rest[1..]
            .iter()
            .position(|c| c == q)
            .map_or(rest.len(), |i| i + 2),
        _ => {
            let mut end = rest.len();
            for (i, c) in rest.iter().enumerate() {
                let next = rest.get(i + 1);
                let stop = (*c == ':' && next.is_none_or(|n| n.is_whitespace()))
                    || (c.is_whitespace() && next == Some(&'#'))
                    || (flow && matches!(c, ',' | ']' | '}'));
                if stop {
                    end = i;
                    break;
                }
            }
            rest[..end]
                .iter()
                .rposition(|c| !c.is_whitespace())
                .map_or(0, |i| i + 1)
        }
    };
    (lead, len.max(1))
}

/// Whether to colour diagnostics: only on a terminal, never when
/// `NO_COLOR` is set to anything non-empty (no-color.org); `CLICOLOR_FORCE`
/// (non-empty, not `0`) colours output that is not a terminal. The caller
/// reads the environment; this decides.
pub fn use_color(
    is_terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
    force: Option<&std::ffi::OsStr>,
) -> bool {
    if no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    is_terminal || force.is_some_and(|v| !v.is_empty() && v != "0")
}

/// Sorts diagnostics by position and drops exact repeats (the same base
/// value is checked once per environment and tenant it lands in).
pub fn sorted_unique(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort();
    diags.dedup();
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api:\n    imgae: nginx:1\n    port: 80\n";

    fn typo() -> Diagnostic {
        Diagnostic::new("services.api.imgae", "unknown key `imgae` in service `api`")
            .at(6, 5)
            .with_help("did you mean `image`?")
    }

    #[test]
    fn snippet_shows_the_line_a_caret_the_path_and_the_help() {
        let text = typo()
            .snippet("blueprint.yaml", Some(SOURCE), false)
            .to_string();
        assert_eq!(
            text,
            "error: unknown key `imgae` in service `api`\n \
             --> blueprint.yaml:6:5 (services.api.imgae)\n  \
             |\n\
             6 |     imgae: nginx:1\n  \
             |     ^^^^^\n  \
             = help: did you mean `image`?"
        );
    }

    #[test]
    fn no_color_wins() {
        use std::ffi::OsStr;
        let set = Some(OsStr::new("1"));
        assert!(use_color(true, None, None));
        assert!(!use_color(false, None, None));
        assert!(!use_color(true, set, None));
        assert!(!use_color(true, set, set));
        assert!(use_color(true, Some(OsStr::new("")), None));
        assert!(use_color(false, None, set));
        assert!(!use_color(false, None, Some(OsStr::new("0"))));
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = typo().snippet("b.yaml", Some(SOURCE), false).to_string();
        assert!(!plain.contains('\x1b'), "{plain}");
        let coloured = typo().snippet("b.yaml", Some(SOURCE), true).to_string();
        assert!(coloured.contains("\x1b[1;31m^^^^^\x1b[0m"), "{coloured}");
    }

    #[test]
    fn the_gutter_widens_with_the_line_number_and_values_get_their_token() {
        let source = format!("{}  cpu: lots # a comment\n", "\n".repeat(11));
        let d = Diagnostic::new("services.api.cpu", "`lots` is not a CPU amount").at(12, 8);
        assert_eq!(
            d.snippet("b.yaml", Some(&source), false).to_string(),
            "error: `lots` is not a CPU amount\n  \
             --> b.yaml:12:8 (services.api.cpu)\n   \
             |\n\
             12 |   cpu: lots # a comment\n   \
             |        ^^^^"
        );
    }

    #[test]
    fn flow_items_quotes_and_missing_positions() {
        assert_eq!(
            caret("    publishes: [nowhere, orders]", 17),
            (" ".repeat(16), 7)
        );
        assert_eq!(caret("  schedule: \"0 2 * *\"", 13), (" ".repeat(12), 9));
        assert_eq!(caret("\tkey: v", 2), ("\t".to_string(), 3));
        assert_eq!(caret("", 9), (String::new(), 1));
        let d = Diagnostic::new("", "the blueprint is empty");
        assert_eq!(
            d.snippet("b.yaml", Some(""), false).to_string(),
            "error: the blueprint is empty\n--> b.yaml"
        );
        // A line beyond the text: the position without an excerpt.
        let d = Diagnostic::new("name", "bad").at(40, 1);
        assert_eq!(
            d.snippet("b.yaml", Some("name: x\n"), false).to_string(),
            "error: bad\n--> b.yaml:40:1 (name)"
        );
    }
}
