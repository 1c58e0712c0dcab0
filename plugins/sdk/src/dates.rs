//! Calendar dates as the rules and options write them: `YYYY-MM-DD`.

/// Whether `s` is a real calendar date written `YYYY-MM-DD` (ISO 8601, four
/// digit year): the month 01 to 12 and the day within that month, February
/// having 29 days in a Gregorian leap year (divisible by 4, except centuries
/// not divisible by 400).
///
/// ```
/// use lvyue_sdk::dates::is_iso_date;
/// assert!(is_iso_date("2024-02-29"));
/// assert!(!is_iso_date("2023-02-31"));
/// ```
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || !b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() }) {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (s[0..4].parse::<u32>(), s[5..7].parse::<u32>(), s[8..10].parse::<u32>()) else {
        return false;
    };
    (1..=days_in_month(year, month)).contains(&day)
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// The number of days in `month` (1 to 12) of `year`; 0 for any other month.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_calendar_days_are_dates() {
        assert!(!is_iso_date("2023-02-31"));
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2023-02-29"));
        assert!(!is_iso_date("2100-02-29"));
        assert!(is_iso_date("2000-02-29"));
        assert!(!is_iso_date("2025-02-30"));
        assert!(!is_iso_date("2025-04-31"));
        assert!(is_iso_date("2025-12-31"));
        assert!(is_iso_date("2025-01-01"));
        assert!(!is_iso_date("2025-01-00"));
        assert!(!is_iso_date("2025-13-01"));
        assert!(!is_iso_date("2025-00-10"));
    }

    #[test]
    fn only_the_iso_form_is_accepted() {
        for s in ["2025-1-01", "2025/01/01", "20250101", "2025-01-01 ", "２０２５-01-01", "+025-01-01", "2025-01-1a", ""] {
            assert!(!is_iso_date(s), "{s:?}");
        }
    }
}
