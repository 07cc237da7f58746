//! Times as cyclers write them: seconds (`5400`, `5400.5`), durations `HH:MM:SS(.fff)`,
//! `D-HH:MM:SS`, `D HH:MM:SS` or `1 day, 02:03:04` (hours may exceed 24), and date-times
//! `YYYY-MM-DD HH:MM:SS(.fff)` (also with `/` or `.` between the date's parts, or `T` before
//! the time). A duration is an elapsed time; a date-time is an instant, which the importer
//! turns into seconds from the first row.

/// A time read from one field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Time {
    /// An elapsed time \[s\].
    Elapsed(f64),
    /// An instant, as seconds from 1970-01-01 00:00:00 in the file's own time zone \[s\].
    Instant(f64),
}

/// Parses `HH:MM:SS(.fff)` or `MM:SS(.fff)` to seconds; minutes and seconds below 60.
fn clock(text: &str) -> Option<f64> {
    let parts: Vec<&str> = text.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [h, m, s] => (*h, *m, *s),
        [m, s] => ("0", *m, *s),
        _ => return None,
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (whole, _) = s.split_once('.').unwrap_or((s, ""));
    if !digits(whole) || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let (h, m, s): (f64, f64, f64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    (m < 60.0 && s < 60.0).then_some(h * 3600.0 + m * 60.0 + s)
}

/// Days from 1970-01-01 to the civil date `y-m-d` (proleptic Gregorian calendar; the
/// algorithm `days_from_civil` of H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a date `YYYY-MM-DD` (or with `/` or `.`) to days from 1970-01-01.
fn date(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d))
}

/// Reads a time field; `None` when it is none of the forms of the module.
pub fn parse_time(text: &str) -> Option<Time> {
    let text = text.trim();
    if let Ok(v) = text.parse::<f64>() {
        return v.is_finite().then_some(Time::Elapsed(v));
    }
    // `1 day, 02:03:04` / `2 days 02:03:04`
    if let Some((days, rest)) = text.split_once("day") {
        let days: f64 = days.trim().parse().ok()?;
        let rest = rest.trim_start_matches('s').trim_start_matches(',').trim();
        return Some(Time::Elapsed(days * 86_400.0 + clock(rest)?));
    }
    if let Some((first, rest)) = text.split_once([' ', 'T']) {
        let rest = rest.trim();
        if let Some(days) = date(first) {
            return Some(Time::Instant(days as f64 * 86_400.0 + clock(rest)?));
        }
        let days: f64 = first.parse().ok()?;
        return Some(Time::Elapsed(days * 86_400.0 + clock(rest)?));
    }
    if let Some((days, rest)) = text.split_once('-') {
        if !days.is_empty() && days.bytes().all(|b| b.is_ascii_digit()) {
            let days: f64 = days.parse().ok()?;
            return Some(Time::Elapsed(days * 86_400.0 + clock(rest)?));
        }
    }
    clock(text).map(Time::Elapsed)
}

/// What a time field is expected to hold, for error messages.
pub const TIME_FORMS: &str =
    "seconds, HH:MM:SS(.fff), D-HH:MM:SS, `1 day, HH:MM:SS` or a date-time YYYY-MM-DD HH:MM:SS";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_durations_and_date_times() {
        let e = |t: &str| parse_time(t);
        assert_eq!(e("5400.5"), Some(Time::Elapsed(5400.5)));
        assert_eq!(e("01:30:00"), Some(Time::Elapsed(5400.0)));
        assert_eq!(e("26:00:00.250"), Some(Time::Elapsed(93_600.25)));
        assert_eq!(e("1-02:03:04"), Some(Time::Elapsed(93_784.0)));
        assert_eq!(e("1 day, 02:03:04"), Some(Time::Elapsed(93_784.0)));
        assert_eq!(e("2 days, 00:00:01"), Some(Time::Elapsed(172_801.0)));
        assert_eq!(e("1 02:03:04"), Some(Time::Elapsed(93_784.0)));
        assert_eq!(e("1970-01-02 00:00:01"), Some(Time::Instant(86_401.0)));
        assert_eq!(e("2024/05/01T12:00:00"), e("2024-05-01 12:00:00"));
        let (Some(Time::Instant(a)), Some(Time::Instant(b))) =
            (e("2024-02-28 23:59:59"), e("2024-03-01 00:00:00.5"))
        else {
            panic!("date-times not read");
        };
        assert_eq!(b - a, 86_401.5); // 2024 is a leap year
        assert_eq!(e("12:00"), Some(Time::Elapsed(720.0)));
        for bad in ["", "x", "1:60:00", "2024-13-01 00:00:00", "NaN", "1:2:3:4"] {
            assert_eq!(e(bad), None, "{bad}");
        }
    }
}
