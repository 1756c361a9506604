//! Job schedules: 5-field cron (UTC) or `rate(N minutes|hours|days)`, and
//! their one conversion to EventBridge's forms, shared by every AWS target.

use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Cron(Box<Cron>),
    Rate { value: u32, unit: RateUnit },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Minutes,
    Hours,
    Days,
}

impl RateUnit {
    fn word(self, value: u32) -> &'static str {
        match (self, value == 1) {
            (RateUnit::Minutes, true) => "minute",
            (RateUnit::Minutes, false) => "minutes",
            (RateUnit::Hours, true) => "hour",
            (RateUnit::Hours, false) => "hours",
            (RateUnit::Days, true) => "day",
            (RateUnit::Days, false) => "days",
        }
    }
}

/// A parsed 5-field cron. Each field is kept as written (for targets that
/// take cron as is) and as the set of values it matches (for conversion).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    pub fields: [String; 5],
    sets: [BTreeSet<u32>; 5],
}

struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [FieldSpec; 5] = [
    FieldSpec {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    FieldSpec {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    FieldSpec {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
    },
    FieldSpec {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
    },
    // 7 is Sunday too, as in Vixie cron.
    FieldSpec {
        name: "day-of-week",
        min: 0,
        max: 7,
        names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    },
];

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Schedule {
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let t = s.trim();
        if let Some(inner) = t.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
            return parse_rate(inner).map_err(|e| format!("`{s}`: {e}"));
        }
        if t.starts_with('@') {
            return Err(format!(
                "`{s}`: cron macros are not supported; write the 5 fields (e.g. `0 0 * * *` for @daily)"
            ));
        }
        let parts: Vec<&str> = t.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(format!(
                "`{s}` has {} fields; a schedule is a 5-field cron `minute hour day-of-month month day-of-week` (UTC) or `rate(N minutes|hours|days)`",
                parts.len()
            ));
        }
        let mut sets: [BTreeSet<u32>; 5] = Default::default();
        for (i, part) in parts.iter().enumerate() {
            sets[i] = parse_field(part, &FIELDS[i])
                .map_err(|e| format!("`{s}`: field {} ({}) `{part}` {e}", i + 1, FIELDS[i].name))?;
        }
        // Sunday may be written 0 or 7: keep one.
        if sets[4].remove(&7) {
            sets[4].insert(0);
        }
        let fields = [0, 1, 2, 3, 4].map(|i| parts[i].to_string());
        Ok(Schedule::Cron(Box::new(Cron { fields, sets })))
    }

    /// EventBridge schedule expressions. Usually one; two when the cron
    /// restricts both day-of-month and day-of-week (cron runs when either
    /// matches, EventBridge needs `?` in one of them, so the union takes two).
    pub fn to_eventbridge(&self) -> Vec<String> {
        match self {
            Schedule::Rate { value, unit } => vec![format!("rate({value} {})", unit.word(*value))],
            Schedule::Cron(c) => c.to_eventbridge(),
        }
    }

    /// The schedule as a 5-field cron for targets that only take cron
    /// (Kubernetes CronJob), and, when cron cannot fire at exactly the same
    /// times, a note saying what runs instead. A rate that divides its unit
    /// (`rate(15 minutes)`, `rate(6 hours)`) is exact; any other becomes the
    /// nearest step cron (`rate(7 minutes)` -> `*/7 * * * *`, which restarts
    /// its count at every hour).
    pub fn to_cron(&self) -> (String, Option<String>) {
        let (value, unit) = match self {
            Schedule::Cron(c) => return (c.fields.join(" "), None),
            Schedule::Rate { value, unit } => (*value, *unit),
        };
        // Whole minutes, hours or days, expressed in the largest unit that fits.
        let minutes = u64::from(value)
            * match unit {
                RateUnit::Minutes => 1,
                RateUnit::Hours => 60,
                RateUnit::Days => 1440,
            };
        let (cron, exact) = if minutes < 60 {
            let m = minutes.max(1);
            let cron = if m == 1 {
                "* * * * *".to_string()
            } else {
                format!("*/{m} * * * *")
            };
            (cron, 60 % m == 0)
        } else if minutes < 1440 {
            let h = (minutes + 30) / 60;
            let cron = if h == 1 {
                "0 * * * *".to_string()
            } else {
                format!("0 */{h} * * *")
            };
            (cron, minutes % 60 == 0 && 24 % h == 0)
        } else {
            let d = (minutes + 720) / 1440;
            let cron = if d == 1 {
                "0 0 * * *".to_string()
            } else {
                format!("0 0 */{d} * *")
            };
            (cron, minutes == 1440)
        };
        let note = (!exact).then(|| {
            format!("`{self}` has no exact cron equivalent; it runs on `{cron}`, the nearest step schedule")
        });
        (cron, note)
    }
}

impl Schedule {
    /// How many times the schedule fires in one 365-day year (cost plans
    /// divide by 12 for an average month of 730 hours). Cron is counted day
    /// by day over a year that starts on a Monday, with cron's rule that a
    /// day matches when either restricted day field matches.
    pub fn runs_per_year(&self) -> f64 {
        match self {
            Schedule::Rate { value, unit } => {
                let minutes = f64::from(*value)
                    * match unit {
                        RateUnit::Minutes => 1.0,
                        RateUnit::Hours => 60.0,
                        RateUnit::Days => 1440.0,
                    };
                365.0 * 1440.0 / minutes
            }
            Schedule::Cron(c) => {
                const DAYS_IN_MONTH: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
                let per_day = (c.sets[0].len() * c.sets[1].len()) as f64;
                let (dom_star, dow_star) = (c.is_star(2), c.is_star(4));
                let mut days = 0u32;
                let mut weekday = 1; // Monday
                for (m, len) in DAYS_IN_MONTH.iter().enumerate() {
                    for d in 1..=*len {
                        let dom = c.sets[2].contains(&d);
                        let dow = c.sets[4].contains(&weekday);
                        let day = match (dom_star, dow_star) {
                            (true, true) => true,
                            (false, true) => dom,
                            (true, false) => dow,
                            (false, false) => dom || dow,
                        };
                        if day && c.sets[3].contains(&(m as u32 + 1)) {
                            days += 1;
                        }
                        weekday = (weekday + 1) % 7;
                    }
                }
                per_day * f64::from(days)
            }
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Cron(c) => f.write_str(&c.fields.join(" ")),
            Schedule::Rate { value, unit } => write!(f, "rate({value} {})", unit.word(*value)),
        }
    }
}

fn parse_rate(inner: &str) -> Result<Schedule, String> {
    let hint = "a rate is `rate(N minutes|hours|days)` with N a whole number from 1";
    let mut it = inner.split_whitespace();
    let (Some(n), Some(u), None) = (it.next(), it.next(), it.next()) else {
        return Err(hint.into());
    };
    let value: u32 = n
        .parse()
        .ok()
        .filter(|v| *v >= 1 && *v <= 1_000_000)
        .ok_or_else(|| format!("`{n}` is not a whole number from 1; {hint}"))?;
    let unit = match u {
        "minute" | "minutes" => RateUnit::Minutes,
        "hour" | "hours" => RateUnit::Hours,
        "day" | "days" => RateUnit::Days,
        _ => return Err(format!("unit `{u}`: {hint}")),
    };
    Ok(Schedule::Rate { value, unit })
}

fn parse_value(s: &str, spec: &FieldSpec) -> Result<u32, String> {
    if let Ok(v) = s.parse::<u32>() {
        if s.bytes().all(|b| b.is_ascii_digit()) && v >= spec.min && v <= spec.max {
            return Ok(v);
        }
        return Err(format!("has {s}, outside {}-{}", spec.min, spec.max));
    }
    let upper = s.to_ascii_uppercase();
    if let Some(i) = spec.names.iter().position(|n| *n == upper) {
        // Month names count from 1, day names from 0.
        return Ok(i as u32 + if spec.min == 1 { 1 } else { 0 });
    }
    Err(if spec.names.is_empty() {
        format!("has `{s}`, which is not a number")
    } else {
        format!(
            "has `{s}`, which is neither a number {}-{} nor one of {}",
            spec.min,
            spec.max,
            spec.names.join(",")
        )
    })
}

fn parse_field(field: &str, spec: &FieldSpec) -> Result<BTreeSet<u32>, String> {
    let mut set = BTreeSet::new();
    for item in field.split(',') {
        if item.is_empty() {
            return Err("has an empty list item".into());
        }
        let (range, step) = match item.split_once('/') {
            Some((r, st)) => {
                let step: u32 = st
                    .parse()
                    .ok()
                    .filter(|s| *s >= 1 && st.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        format!("has step `{st}`, which is not a whole number from 1")
                    })?;
                (r, step)
            }
            None => (item, 1),
        };
        let (lo, hi) = if range == "*" {
            (spec.min, if spec.max == 7 { 6 } else { spec.max })
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (parse_value(a, spec)?, parse_value(b, spec)?);
            if a > b {
                return Err(format!("has the range `{range}`, which runs backwards"));
            }
            (a, b)
        } else {
            let v = parse_value(range, spec)?;
            // `5/15` means from 5 to the end, every 15.
            (v, if item.contains('/') { spec.max } else { v })
        };
        set.extend((lo..=hi).step_by(step as usize));
    }
    Ok(set)
}

impl Cron {
    fn is_star(&self, i: usize) -> bool {
        self.fields[i] == "*"
    }

    fn to_eventbridge(&self) -> Vec<String> {
        let minute = eb_field(&self.fields[0], &self.sets[0], 0);
        let hour = eb_field(&self.fields[1], &self.sets[1], 0);
        let dom = eb_field(&self.fields[2], &self.sets[2], 1);
        let month = eb_field(&self.fields[3], &self.sets[3], 1);
        let dow = eb_days(&self.sets[4]);
        let make = |d: &str, w: &str| format!("cron({minute} {hour} {d} {month} {w} *)");
        match (self.is_star(2), self.is_star(4)) {
            (_, true) => vec![make(&dom, "?")],
            (true, false) => vec![make("?", &dow)],
            // Both restricted: cron fires when either matches.
            (false, false) => vec![make(&dom, "?"), make("?", &dow)],
        }
    }
}

/// A numeric field in EventBridge form: `*` and plain numbers, ranges and
/// lists stay as written; `*/n` becomes `start/n`; anything else with a
/// step is spelled out as a list of the values it matches.
fn eb_field(written: &str, set: &BTreeSet<u32>, start: u32) -> String {
    if written == "*" {
        return "*".into();
    }
    if let Some(step) = written.strip_prefix("*/") {
        return format!("{start}/{step}");
    }
    if !written.contains('/')
        && written
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b',' || b == b'-')
    {
        return written.to_string();
    }
    // Month names and steps: spell out the numbers.
    compress(set)
}

/// Day-of-week as EventBridge names (`MON-FRI`, `SUN,WED`), so the 0-6
/// (cron) versus 1-7 (EventBridge) numbering can never be confused.
fn eb_days(set: &BTreeSet<u32>) -> String {
    let days: Vec<u32> = set.iter().copied().filter(|d| *d < 7).collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        if j >= i + 2 {
            out.push(format!(
                "{}-{}",
                DAY_NAMES[days[i] as usize], DAY_NAMES[days[j] as usize]
            ));
        } else {
            for d in &days[i..=j] {
                out.push(DAY_NAMES[*d as usize].to_string());
            }
        }
        i = j + 1;
    }
    out.join(",")
}

/// `1,2,3,5` -> `1-3,5`.
fn compress(set: &BTreeSet<u32>) -> String {
    let v: Vec<u32> = set.iter().copied().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        if j >= i + 2 {
            out.push(format!("{}-{}", v[i], v[j]));
        } else {
            out.extend(v[i..=j].iter().map(u32::to_string));
        }
        i = j + 1;
    }
    out.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eb(s: &str) -> Vec<String> {
        Schedule::parse(s).unwrap().to_eventbridge()
    }

    #[test]
    fn runs_per_year() {
        let r = |s: &str| Schedule::parse(s).unwrap().runs_per_year();
        assert_eq!(r("0 2 * * *"), 365.0);
        assert_eq!(r("rate(15 minutes)"), 35_040.0);
        assert_eq!(r("rate(1 day)"), 365.0);
        assert_eq!(r("*/30 * * * *"), 365.0 * 48.0);
        // 52 weeks and one Monday: the year starts on a Monday.
        assert_eq!(r("0 9 * * 1-5"), 261.0);
        assert_eq!(r("0 3 1 * *"), 12.0);
        // Either day field: any weekday, or the 1st (4 of which fall on a weekend).
        assert_eq!(r("0 3 1 * 1-5"), 261.0 + 4.0);
        assert_eq!(r("0 0 * 2 *"), 28.0);
    }

    #[test]
    fn daily_puts_question_mark_in_day_of_week() {
        assert_eq!(eb("0 2 * * *"), ["cron(0 2 * * ? *)"]);
    }

    #[test]
    fn day_of_week_numbers_become_names() {
        // cron 1-5 is Monday..Friday; EventBridge numbers Sunday as 1.
        assert_eq!(eb("30 6 * * 1-5"), ["cron(30 6 ? * MON-FRI *)"]);
        assert_eq!(eb("0 0 * * 0"), ["cron(0 0 ? * SUN *)"]);
        assert_eq!(eb("0 0 * * 7"), ["cron(0 0 ? * SUN *)"]);
        assert_eq!(eb("0 0 * * 6"), ["cron(0 0 ? * SAT *)"]);
        assert_eq!(eb("0 0 * * 5-7"), ["cron(0 0 ? * SUN,FRI,SAT *)"]);
        assert_eq!(eb("0 0 * * sun,wed"), ["cron(0 0 ? * SUN,WED *)"]);
        assert_eq!(eb("0 0 * * */2"), ["cron(0 0 ? * SUN,TUE,THU,SAT *)"]);
    }

    #[test]
    fn day_of_month_keeps_question_mark_in_day_of_week() {
        assert_eq!(eb("0 12 1 * *"), ["cron(0 12 1 * ? *)"]);
        assert_eq!(eb("0 12 1,15 jan *"), ["cron(0 12 1,15 1 ? *)"]);
    }

    #[test]
    fn both_days_restricted_becomes_two_expressions() {
        assert_eq!(
            eb("0 9 1 * 1"),
            ["cron(0 9 1 * ? *)", "cron(0 9 ? * MON *)"]
        );
    }

    #[test]
    fn steps() {
        assert_eq!(eb("*/15 * * * *"), ["cron(0/15 * * * ? *)"]);
        assert_eq!(eb("5/20 */6 * * *"), ["cron(5,25,45 0/6 * * ? *)"]);
        assert_eq!(eb("0-30/10 * * * *"), ["cron(0,10,20,30 * * * ? *)"]);
    }

    #[test]
    fn rates_are_kept_with_the_right_number() {
        assert_eq!(eb("rate(15 minutes)"), ["rate(15 minutes)"]);
        assert_eq!(eb("rate(1 minutes)"), ["rate(1 minute)"]);
        assert_eq!(eb("rate(1 hour)"), ["rate(1 hour)"]);
        assert_eq!(eb("rate(2 days)"), ["rate(2 days)"]);
    }

    #[test]
    fn rate_to_cron() {
        let exact = |s: &str| {
            let (cron, note) = Schedule::parse(s).unwrap().to_cron();
            assert_eq!(note, None, "{s}");
            cron
        };
        assert_eq!(exact("rate(15 minutes)"), "*/15 * * * *");
        assert_eq!(exact("rate(1 minute)"), "* * * * *");
        assert_eq!(exact("rate(2 hours)"), "0 */2 * * *");
        assert_eq!(exact("rate(120 minutes)"), "0 */2 * * *");
        assert_eq!(exact("rate(1 hour)"), "0 * * * *");
        assert_eq!(exact("rate(24 hours)"), "0 0 * * *");
        assert_eq!(exact("rate(1 day)"), "0 0 * * *");
        assert_eq!(exact("0 2 * * 1"), "0 2 * * 1");
        let approx = |s: &str| {
            let (cron, note) = Schedule::parse(s).unwrap().to_cron();
            assert!(
                note.as_deref().is_some_and(|n| n.contains(&cron)),
                "{s}: {note:?}"
            );
            cron
        };
        assert_eq!(approx("rate(7 minutes)"), "*/7 * * * *");
        assert_eq!(approx("rate(90 minutes)"), "0 */2 * * *");
        assert_eq!(approx("rate(5 hours)"), "0 */5 * * *");
        assert_eq!(approx("rate(2 days)"), "0 0 */2 * *");
    }

    #[test]
    fn errors_name_the_field() {
        let e = |s: &str| Schedule::parse(s).unwrap_err();
        assert!(
            e("0 25 * * *").contains("field 2 (hour)"),
            "{}",
            e("0 25 * * *")
        );
        assert!(e("60 * * * *").contains("field 1 (minute)"));
        assert!(e("0 0 0 * *").contains("field 3 (day-of-month)"));
        assert!(e("0 0 * 13 *").contains("field 4 (month)"));
        assert!(e("0 0 * * 8").contains("field 5 (day-of-week)"));
        assert!(e("0 0 * * funday").contains("field 5 (day-of-week)"));
        assert!(e("0 0 * *").contains("4 fields"));
        assert!(e("0 0 * * * *").contains("6 fields"));
        assert!(e("@daily").contains("macros"));
        assert!(e("rate(0 minutes)").contains("whole number"));
        assert!(e("rate(5 weeks)").contains("unit"));
        assert!(e("0 5-1 * * *").contains("backwards"));
        assert!(e("*/0 * * * *").contains("step"));
    }
}
