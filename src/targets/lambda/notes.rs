//! Notes for the user, one line per message with every place it applies
//! (`dev, prod/globex`), in a stable order. A grouped note is one line for
//! one concern, listing every item it is about (`HTTP services api (port
//! 8080, /health), web (port 80, /): ...`): a blueprint with a thousand
//! services gets one line per concern, not one per service.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub struct Notes {
    lines: BTreeMap<String, Vec<String>>,
    /// Message (with `{}` where the items go) -> items and places.
    groups: BTreeMap<&'static str, (BTreeSet<String>, Vec<String>)>,
}

fn add_place(places: &mut Vec<String>, place: &str) {
    if !places.iter().any(|p| p == place) {
        places.push(place.to_string());
    }
}

impl Notes {
    pub fn add(&mut self, message: String, place: &str) {
        add_place(self.lines.entry(message).or_default(), place);
    }

    /// Adds `item` to the grouped note `message`, whose `{}` is replaced
    /// by the items in order, joined with `, `.
    pub fn group(&mut self, message: &'static str, item: &str, place: &str) {
        let (items, places) = self.groups.entry(message).or_default();
        if !items.contains(item) {
            items.insert(item.to_string());
        }
        add_place(places, place);
    }

    /// Adds `other`'s notes after these, as if added here in order.
    pub fn extend(&mut self, other: Notes) {
        for (message, places) in other.lines {
            let mine = self.lines.entry(message).or_default();
            for place in places {
                add_place(mine, &place);
            }
        }
        for (message, (items, places)) in other.groups {
            let (my_items, my_places) = self.groups.entry(message).or_default();
            my_items.extend(items);
            for place in places {
                add_place(my_places, &place);
            }
        }
    }

    pub fn into_lines(self) -> Vec<String> {
        let grouped = self.groups.into_iter().map(|(message, (items, places))| {
            let items: Vec<String> = items.into_iter().collect();
            (message.replacen("{}", &items.join(", "), 1), places)
        });
        let mut all: Vec<(String, Vec<String>)> = self.lines.into_iter().chain(grouped).collect();
        all.sort();
        all.into_iter()
            .map(|(message, places)| format!("{message} ({})", places.join(", ")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grouped_note_lists_each_item_and_place_once() {
        let mut a = Notes::default();
        a.group("services {}: need X", "web", "prod");
        a.group("services {}: need X", "api", "prod");
        let mut b = Notes::default();
        b.group("services {}: need X", "api", "dev");
        b.add("alone".into(), "dev");
        a.extend(b);
        assert_eq!(
            a.into_lines(),
            ["alone (dev)", "services api, web: need X (prod, dev)"]
        );
    }
}
