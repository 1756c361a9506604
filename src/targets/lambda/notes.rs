//! Notes for the user, one line per message with every place it applies
//! (`dev, prod/globex`), in a stable order.

use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Notes(BTreeMap<String, Vec<String>>);

impl Notes {
    pub fn add(&mut self, message: String, place: &str) {
        let places = self.0.entry(message).or_default();
        if !places.iter().any(|p| p == place) {
            places.push(place.to_string());
        }
    }

    /// Adds `other`'s notes after these, as if added here in order.
    pub fn extend(&mut self, other: Notes) {
        for (message, places) in other.0 {
            for place in places {
                self.add(message.clone(), &place);
            }
        }
    }

    pub fn into_lines(self) -> Vec<String> {
        self.0
            .into_iter()
            .map(|(message, places)| format!("{message} ({})", places.join(", ")))
            .collect()
    }
}
