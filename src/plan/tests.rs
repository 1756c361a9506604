//! Plan tests: hand-computed figures, recommendation rules, JSON shape.
