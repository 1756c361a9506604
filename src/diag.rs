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
    /// `color` adds ANSI colours. A line longer than [`MAX_EXCERPT`]
    /// characters is shown as a window around the column.
    pub fn snippet<'a>(
        &'a self,
        file: &'a str,
        source: Option<&'a Source<'a>>,
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
    source: Option<&'a Source<'a>>,
    color: bool,
}

/// Most diagnostics [`report`] prints in full; the rest are counted.
pub const MAX_SHOWN: usize = 50;

/// Most characters of a source line an excerpt shows.
pub const MAX_EXCERPT: usize = 160;

/// The blueprint's text with the start of every line found once, so that
/// each diagnostic's excerpt is found without rescanning the text (20,000
/// errors in a large file would otherwise take seconds).
pub struct Source<'a> {
    text: &'a str,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Source<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i < text.len())
            .collect();
        Source { text, starts }
    }

    /// The 1-based line `n`, without its line break.
    pub fn line(&self, n: usize) -> Option<&'a str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let end = self.starts.get(n).map_or(self.text.len(), |&next| next - 1);
        let line = &self.text[start..end];
        let line = line.strip_suffix('\n').unwrap_or(line);
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// Every diagnostic as the command line prints it: the first
/// [`MAX_SHOWN`] with their excerpts, then how many more there are, then
/// the count.
pub fn report(diags: &[Diagnostic], file: &str, source: &str, color: bool) -> String {
    use fmt::Write;
    let source = Source::new(source);
    let mut out = String::new();
    for d in diags.iter().take(MAX_SHOWN) {
        let _ = writeln!(out, "{}\n", d.snippet(file, Some(&source), color));
    }
    if diags.len() > MAX_SHOWN {
        let _ = writeln!(
            out,
            "... and {} more error(s) not shown\n",
            diags.len() - MAX_SHOWN
        );
    }
    let _ = write!(out, "{file}: {} error(s); nothing was written", diags.len());
    out
}

/// At most [`MAX_EXCERPT`] characters of `text` around the 1-based
/// character column `col`, `…` marking what is cut, and the column in
/// what is shown.
fn window(text: &str, col: usize) -> (String, usize) {
    let len = text.chars().count();
    if len <= MAX_EXCERPT {
        return (text.to_owned(), col);
    }
    let at = col.saturating_sub(1).min(len);
    let start = at.saturating_sub(MAX_EXCERPT / 3);
    let end = (start + MAX_EXCERPT).min(len);
    let mut shown: String = text.chars().skip(start).take(end - start).collect();
    let mut col = at - start + 1;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if end < len {
        shown.push('…');
    }
    (shown, col)
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
        let text = d.line.and_then(|l| self.source?.line(l));
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
            let (text, col) = window(text, d.col.unwrap_or(1));
            writeln!(f)?;
            writeln!(f, "{pad} {blue}|{off}")?;
            write!(f, "{blue}{line} |{off} {text}")?;
            if d.col.is_some() {
                let (lead, len) = caret(&text, col);
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
            .snippet("blueprint.yaml", Some(&Source::new(SOURCE)), false)
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
        let plain = typo()
            .snippet("b.yaml", Some(&Source::new(SOURCE)), false)
            .to_string();
        assert!(!plain.contains('\x1b'), "{plain}");
        let coloured = typo()
            .snippet("b.yaml", Some(&Source::new(SOURCE)), true)
            .to_string();
        assert!(coloured.contains("\x1b[1;31m^^^^^\x1b[0m"), "{coloured}");
    }

    #[test]
    fn the_gutter_widens_with_the_line_number_and_values_get_their_token() {
        let source = format!("{}  cpu: lots # a comment\n", "\n".repeat(11));
        let d = Diagnostic::new("services.api.cpu", "`lots` is not a CPU amount").at(12, 8);
        assert_eq!(
            d.snippet("b.yaml", Some(&Source::new(&source)), false)
                .to_string(),
            "error: `lots` is not a CPU amount\n  \
             --> b.yaml:12:8 (services.api.cpu)\n   \
             |\n\
             12 |   cpu: lots # a comment\n   \
             |        ^^^^"
        );
    }

    #[test]
    fn lines_are_found_by_index_and_long_ones_shown_around_the_column() {
        let source = Source::new("a\r\n\nlast");
        assert_eq!(
            (1..=4).map(|n| source.line(n)).collect::<Vec<_>>(),
            [Some("a"), Some(""), Some("last"), None]
        );
        assert_eq!(Source::new("x\n").line(1), Some("x"));
        assert_eq!(Source::new("x\n").line(2), None);
        assert_eq!(Source::new("").line(1), None);

        let line = format!(
            "{}: {}bad {}",
            "k".repeat(500),
            "v".repeat(500),
            "w".repeat(500)
        );
        let d = Diagnostic::new("k", "bad value").at(1, 1003);
        let text = d
            .snippet("b.yaml", Some(&Source::new(&line)), false)
            .to_string();
        let shown: Vec<&str> = text.lines().collect();
        assert!(
            shown[3].starts_with("1 | …") && shown[3].ends_with('…'),
            "{text}"
        );
        assert!(shown[3].chars().count() < MAX_EXCERPT + 10, "{text}");
        // The caret still points at `bad`.
        let caret = shown[4].find('^').unwrap();
        let at: String = shown[3]
            .chars()
            .skip(shown[4][..caret].chars().count())
            .take(4)
            .collect();
        assert_eq!(at, "bad ", "{text}");
    }

    #[test]
    fn a_report_shows_the_first_diagnostics_and_counts_the_rest() {
        let diags: Vec<Diagnostic> = (0..MAX_SHOWN + 7)
            .map(|i| Diagnostic::new("", format!("problem {i}")).at(1, 1))
            .collect();
        let text = report(&diags, "b.yaml", "x: 1\n", false);
        assert_eq!(text.matches("error: problem").count(), MAX_SHOWN);
        assert!(text.contains("... and 7 more error(s) not shown"), "{text}");
        assert!(text.ends_with(&format!(
            "b.yaml: {} error(s); nothing was written",
            MAX_SHOWN + 7
        )));
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
            d.snippet("b.yaml", Some(&Source::new("")), false)
                .to_string(),
            "error: the blueprint is empty\n--> b.yaml"
        );
        // A line beyond the text: the position without an excerpt.
        let d = Diagnostic::new("name", "bad").at(40, 1);
        assert_eq!(
            d.snippet("b.yaml", Some(&Source::new("name: x\n")), false)
                .to_string(),
            "error: bad\n--> b.yaml:40:1 (name)"
        );
    }
}
