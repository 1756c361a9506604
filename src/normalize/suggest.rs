//! "did you mean `image`?": the closest known word by edit distance.

/// Optimal string alignment distance (Levenshtein plus adjacent
/// transpositions), over chars.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The closest candidate: a case-insensitive match, or the one at the
/// smallest distance when that is at most `max(1, len/3)` (ties go to the
/// candidate listed first), or else one the word is a prefix of (or that is
/// a prefix of the word), for words of 3 or more characters.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(word)) {
        return Some(c);
    }
    let len = word.chars().count();
    if len > 64 {
        return None;
    }
    let limit = (len / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        // The distance is at least the difference in length.
        if c.chars().count().abs_diff(len) > limit {
            continue;
        }
        let d = distance(word, c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    if best.is_none() && len >= 3 {
        // A shortened or lengthened key: `vpc` for `vpc_id`.
        return candidates
            .iter()
            .find(|c| c.starts_with(word) || word.starts_with(**c))
            .copied();
    }
    best.map(|(_, c)| c)
}

/// A help line: "did you mean `x`?", else the known words (up to 12).
pub fn help(word: &str, candidates: &[&str], what: &str) -> String {
    match closest(word, candidates) {
        Some(c) => format!("did you mean `{c}`?"),
        None if candidates.is_empty() => format!("there are no {what}"),
        None => {
            let mut list: Vec<String> = candidates
                .iter()
                .take(12)
                .map(|c| format!("`{c}`"))
                .collect();
            if candidates.len() > 12 {
                list.push(format!("and {} more", candidates.len() - 12));
            }
            format!("{what}: {}", list.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("image", "image"), 0);
        assert_eq!(distance("imgae", "image"), 1);
        assert_eq!(distance("imag", "image"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions() {
        let keys = ["image", "port", "cpu", "memory"];
        assert_eq!(closest("imgae", &keys), Some("image"));
        assert_eq!(closest("IMAGE", &keys), Some("image"));
        assert_eq!(closest("prt", &keys), Some("port"));
        assert_eq!(closest("zzzzzz", &keys), None);
        assert_eq!(
            closest("vpc", &["vpc_id", "private_subnets"]),
            Some("vpc_id")
        );
        assert_eq!(help("imgae", &keys, "known keys"), "did you mean `image`?");
        assert_eq!(
            help("zzzzzz", &keys, "known keys"),
            "known keys: `image`, `port`, `cpu`, `memory`"
        );
    }
}
