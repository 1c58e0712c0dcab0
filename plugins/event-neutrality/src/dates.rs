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
/// common year ("within N years after" ends on that day, inclusive).
pub fn add_years(d: Date, years: i32) -> Date {
    let year = d.year() + years;
    Date::from_calendar_date(year, d.month(), d.day())
        .or_else(|_| Date::from_calendar_date(year, d.month(), d.day() - 1))
        .expect("a valid calendar date")
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
        assert!(parse("nope").is_none());
    }
}
