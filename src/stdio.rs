//! Printing that never panics. `print!` and `eprintln!` panic when the
//! stream is closed or full (`blueprint diff | head -1`, `plan >
//! /dev/full`), which would break the documented exit codes.
//!
//! Standard output remembers its first error and writes nothing after it;
//! [`Stdout::finish`] tells the caller: a closed pipe (the reader has
//! seen enough) is no error, anything else is. Standard error has no one
//! to tell, so its errors are dropped.

use std::io::{self, Write};

/// Standard output for one command.
pub struct Stdout {
    out: io::Stdout,
    error: Option<io::Error>,
}

impl Default for Stdout {
    fn default() -> Self {
        Stdout::new()
    }
}

impl Stdout {
    pub fn new() -> Stdout {
        Stdout {
            out: io::stdout(),
            error: None,
        }
    }

    /// Writes `bytes`, unless an earlier write failed.
    pub fn write(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.out.lock().write_all(bytes) {
                self.error = Some(e);
            }
        }
    }

    pub fn print(&mut self, text: &str) {
        self.write(text.as_bytes());
    }

    /// Flushes; the first error other than a closed pipe.
    pub fn finish(mut self) -> Result<(), io::Error> {
        if self.error.is_none() {
            if let Err(e) = self.out.lock().flush() {
                self.error = Some(e);
            }
        }
        match self.error {
            Some(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
            _ => Ok(()),
        }
    }
}

/// Writes `text` and a newline to standard error, ignoring failure.
pub fn eprintln(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err
        .write_all(text.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}
