//! Calendar dates as the contract passes them ("YYYY-MM-DD").

use time::{Date, Month};

pub fn parse(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

pub fn format(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The same calendar day `years` later; 29 February becomes 28 February in a
/// common year ("within N years after" ends on that day, inclusive). A day
/// past the calendar's range (beyond 9999) gives its last day, so a far
/// deadline stays a far deadline instead of failing the evaluation.
pub fn add_years(d: Date, years: i32) -> Date {
    let beyond = if years < 0 { Date::MIN } else { Date::MAX };
    let Some(year) = d.year().checked_add(years) else {
        return beyond;
    };
    Date::from_calendar_date(year, d.month(), d.day()).or_else(|_| Date::from_calendar_date(year, d.month(), d.day() - 1)).unwrap_or(beyond)
}

/// Days from `start` to `end`, both included.
pub fn days_inclusive(start: Date, end: Date) -> i64 {
    (end - start).whole_days() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_added_by_calendar_day() {
        let d = |s: &str| parse(s).unwrap();
        assert_eq!(format(add_years(d("2023-11-04"), 1)), "2024-11-04");
        assert_eq!(format(add_years(d("2024-02-29"), 1)), "2025-02-28");
        assert_eq!(format(add_years(d("2024-02-29"), 4)), "2028-02-29");
        assert_eq!(format(add_years(d("2023-11-04"), 6)), "2029-11-04");
        assert_eq!(days_inclusive(d("2023-10-15"), d("2023-11-04")), 21);
        assert!(parse("2023-02-30").is_none());
        // The calendar ends in 9999: a deadline past it is its last day, not a panic.
        assert_eq!(format(add_years(d("9999-12-31"), 1)), "9999-12-31");
        assert_eq!(format(add_years(d("2023-11-04"), i32::MAX)), "9999-12-31");
        assert_eq!(format(add_years(d("2023-11-04"), -20000)), "-9999-01-01");
        assert!(parse("nope").is_none());
    }
}
