//! The one date and time module: `YYYY-MM-DD` dates and RFC 3339
//! date-times as pattern parameters and generators take them, read by one
//! strict parser, with jiff's calendar behind them (no hand-written
//! calendar). Callers apply their own policy to what the parser found
//! (whether fractional seconds or a leap second are allowed).

use jiff::civil::Date;

/// The value of 1 to 4 ASCII digits.
fn digits(b: &[u8]) -> Option<i32> {
    if b.is_empty() || b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + i32::from(d - b'0')))
}

/// Why a date does not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not `YYYY-MM-DD`.
    Shape,
    NoSuchMonth,
    NoSuchDay,
}

/// `YYYY-MM-DD` with a four-digit year: a real calendar date.
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    date_of_bytes(s.as_bytes())
}

fn date_of_bytes(b: &[u8]) -> Result<Date, DateError> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(DateError::Shape);
    }
    let (Some(y), Some(m), Some(d)) = (digits(&b[..4]), digits(&b[5..7]), digits(&b[8..])) else {
        return Err(DateError::Shape);
    };
    if !(1..=12).contains(&m) {
        return Err(DateError::NoSuchMonth);
    }
    Date::new(y as i16, m as i8, d as i8).map_err(|_| DateError::NoSuchDay)
}

/// Days since 1970-01-01 (negative before).
pub fn days_since_epoch(d: Date) -> i64 {
    i64::from(
        d.since(jiff::civil::date(1970, 1, 1))
            .map_or(0, |s| s.get_days()),
    )
}

/// The date `days` after 1970-01-01, within jiff's years -9999 to 9999.
pub fn date_of_days(days: i64) -> Option<Date> {
    let d = i32::try_from(days).ok()?;
    jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().try_days(d).ok()?)
        .ok()
}

/// `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// What an RFC 3339 `date-time` says, as written:
/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)` (`t` and `z` may be lower
/// case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTimeText {
    pub date: Date,
    pub hour: i32,
    pub minute: i32,
    /// 0 to 60 (60: a leap second).
    pub second: i32,
    /// Fractional seconds were written.
    pub fraction: bool,
    /// The offset from UTC, in seconds.
    pub offset: i32,
}

/// Why a date-time does not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTimeError {
    Shape,
    TimeOutOfRange,
    /// No `Z` and no offset.
    NoZone,
    BadOffset,
    OffsetOutOfRange,
}

/// Reads an RFC 3339 date-time strictly (see [`DateTimeText`]).
pub fn parse_datetime(s: &str) -> Result<DateTimeText, DateTimeError> {
    let b = s.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return Err(DateTimeError::Shape);
    }
    let date = date_of_bytes(&b[..10]).map_err(|_| DateTimeError::Shape)?;
    let (Some(hour), Some(minute), Some(second)) =
        (digits(&b[11..13]), digits(&b[14..16]), digits(&b[17..19]))
    else {
        return Err(DateTimeError::Shape);
    };
    if hour > 23 || minute > 59 || second > 60 {
        return Err(DateTimeError::TimeOutOfRange);
    }
    let mut rest = &b[19..];
    let mut fraction = false;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err(DateTimeError::Shape);
        }
        fraction = true;
        rest = &frac[n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] => {
            if rest.len() != 6 || rest[3] != b':' {
                return Err(DateTimeError::BadOffset);
            }
            let (Some(oh), Some(om)) = (digits(&rest[1..3]), digits(&rest[4..6])) else {
                return Err(DateTimeError::BadOffset);
            };
            if oh > 23 || om > 59 {
                return Err(DateTimeError::OffsetOutOfRange);
            }
            let v = oh * 3600 + om * 60;
            if *sign == b'-' { -v } else { v }
        }
        _ => return Err(DateTimeError::NoZone),
    };
    Ok(DateTimeText {
        date,
        hour,
        minute,
        second,
        fraction,
        offset,
    })
}

impl DateTimeText {
    /// Seconds since 1970-01-01T00:00:00Z (a leap second counts as the
    /// next second; fractions are dropped).
    pub fn unix_seconds(&self) -> i64 {
        days_since_epoch(self.date) * 86_400
            + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
            - i64::from(self.offset)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds (years 0000 to 9999).
pub fn format_datetime(secs: i64) -> String {
    let tod = secs.rem_euclid(86_400);
    let date = date_of_days(secs.div_euclid(86_400))
        .map(format_date)
        .unwrap_or_else(|| "0000-01-01".into());
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

/// A point in time on the command line, as Unix seconds: an RFC 3339
/// date-time (`2026-12-01T10:00:00Z`), or a time before `now` written as a
/// duration (`2h`, `90m`, `1h 30m`, optionally followed by `ago`).
pub fn parse_point_in_time(s: &str, now: i64) -> Result<i64, String> {
    let t = s.trim();
    if let Ok(d) = parse_datetime(t) {
        return Ok(d.unix_seconds());
    }
    let rel = t.strip_suffix("ago").unwrap_or(t).trim();
    match rel.parse::<jiff::SignedDuration>() {
        Ok(d) if d.is_positive() => Ok(now - d.as_secs()),
        _ => Err(format!(
            "`{s}` is not a time: write it in RFC 3339 (2026-12-01T10:00:00Z) or as a time ago (2h, 90m, 1h 30m)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_in_time_are_rfc3339_or_a_time_ago() {
        let now = 1_800_000_000;
        assert_eq!(
            parse_point_in_time("2026-12-01T10:00:00Z", now),
            Ok(parse_datetime("2026-12-01T10:00:00Z")
                .unwrap()
                .unix_seconds())
        );
        assert_eq!(parse_point_in_time("2h", now), Ok(now - 7200));
        assert_eq!(parse_point_in_time("1h 30m ago", now), Ok(now - 5400));
        for bad in ["yesterday", "-2h", "0s", "2026-12-01"] {
            assert!(parse_point_in_time(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_read_strictly_and_count_days_like_the_calendar() {
        let d = |s: &str| parse_date(s).expect("a date");
        assert_eq!(days_since_epoch(d("1970-01-01")), 0);
        assert_eq!(days_since_epoch(d("2024-01-01")), 19_723);
        assert_eq!(days_since_epoch(d("1969-12-31")), -1);
        assert_eq!(date_of_days(19_723 + 59), Some(d("2024-02-29")));
        assert!(parse_date("2000-02-29").is_ok());
        assert_eq!(parse_date("2100-02-29"), Err(DateError::NoSuchDay));
        assert!(parse_date("0000-02-29").is_ok());
        assert_eq!(parse_date("2024-13-01"), Err(DateError::NoSuchMonth));
        assert_eq!(parse_date("2024-1-01"), Err(DateError::Shape));
        assert_eq!(parse_date("+02024-01-01"), Err(DateError::Shape));
        assert_eq!(format_date(d("0042-03-04")), "0042-03-04");
        // Every day from 1600 to 2400 round-trips.
        let first = days_since_epoch(d("1600-01-01"));
        let last = days_since_epoch(d("2400-01-01"));
        let mut prev = date_of_days(first - 1).expect("in range");
        for z in first..last {
            let day = date_of_days(z).expect("in range");
            assert_eq!(days_since_epoch(day), z);
            assert_eq!(parse_date(&format_date(day)), Ok(day));
            assert_eq!(prev.tomorrow().ok(), Some(day));
            prev = day;
        }
    }

    #[test]
    fn datetimes_read_as_rfc_3339_says() {
        let t = parse_datetime("2024-05-01T10:00:00Z").expect("reads");
        assert_eq!(t.unix_seconds(), 1_714_557_600);
        assert!(!t.fraction);
        let t = parse_datetime("2024-05-01t12:00:00.250+02:00").expect("reads");
        assert!(t.fraction);
        assert_eq!(t.unix_seconds(), 1_714_557_600);
        assert_eq!(
            parse_datetime("2016-12-31T23:59:60Z").map(|t| t.second),
            Ok(60)
        );
        assert_eq!(
            parse_datetime("2024-05-01T10:00:00"),
            Err(DateTimeError::NoZone)
        );
        assert_eq!(
            parse_datetime("2024-05-01T10:00:00+0200"),
            Err(DateTimeError::BadOffset)
        );
        assert_eq!(
            parse_datetime("2024-05-01T24:00:00Z"),
            Err(DateTimeError::TimeOutOfRange)
        );
        assert_eq!(
            parse_datetime("2024-05-01 10:00:00Z"),
            Err(DateTimeError::Shape)
        );
        // Bytes, not characters: never a panic on text that is not ASCII.
        assert_eq!(
            parse_datetime("2024-05-0é10:00:00Z"),
            Err(DateTimeError::Shape)
        );
        assert_eq!(parse_date("2024-05-é1"), Err(DateError::Shape));
        assert_eq!(format_datetime(1_714_557_600), "2024-05-01T10:00:00Z");
    }
}
