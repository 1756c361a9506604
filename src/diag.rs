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

    /// Prints as `file:line:col: path: message` plus an indented help line.
    pub fn display<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        DisplayDiag { d: self, file }
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

/// Sorts diagnostics by position and drops exact repeats (the same base
/// value is checked once per environment and tenant it lands in).
pub fn sorted_unique(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort();
    diags.dedup();
    diags
}
