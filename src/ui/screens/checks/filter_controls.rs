//! The Checks filter as its controls hold it, and the [`CheckFilter`] the
//! engine is asked with: dates are whole days, the text trimmed. No egui.

use chrono::{NaiveDate, TimeZone};

use crate::clock;
use crate::domain::{CheckFilter, CheckState, MatchResult};

/// The filter as the controls hold it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct FilterControls {
    pub(super) result: Option<MatchResult>,
    pub(super) state: Option<CheckState>,
    pub(super) source: Option<i64>,
    pub(super) from: Option<NaiveDate>,
    pub(super) to: Option<NaiveDate>,
    pub(super) text: String,
    pub(super) oldest_first: bool,
}

impl FilterControls {
    pub(super) fn to_filter(&self) -> CheckFilter {
        self.to_filter_in(&chrono::Local)
    }

    /// The filter with its dates as whole days of `tz` (the table shows local
    /// times, so a date means the local day).
    pub(super) fn to_filter_in<Tz: TimeZone>(&self, tz: &Tz) -> CheckFilter {
        let (from, to) = clock::days_range_in(tz, self.from, self.to);
        CheckFilter {
            result: self.result,
            state: self.state,
            data_source_id: self.source,
            from,
            to,
            text: Some(self.text.trim().to_string()).filter(|t| !t.is_empty()),
            oldest_first: self.oldest_first,
            review_status: None,
            roster_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_days_cover_the_whole_day() {
        let c = FilterControls {
            from: NaiveDate::from_ymd_opt(2026, 1, 1),
            to: NaiveDate::from_ymd_opt(2026, 1, 31),
            text: "  amina ".into(),
            ..Default::default()
        };
        let f = c.to_filter_in(&chrono::Utc);
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(f.to.unwrap().to_rfc3339(), "2026-02-01T00:00:00+00:00");
        assert_eq!(f.text.as_deref(), Some("amina"));
        assert_eq!(FilterControls::default().to_filter(), CheckFilter::default());
    }

    #[test]
    fn filter_days_are_local_days() {
        // 23:30 on 1 March in Santiago (UTC−3) is 02:30 on 2 March in UTC: a
        // filter "1 March to 1 March" must hold it, and not 23:30 the day before.
        let day = NaiveDate::from_ymd_opt(2026, 3, 1);
        let c = FilterControls {
            from: day,
            to: day,
            ..Default::default()
        };
        let f = c.to_filter_in(&chrono_tz::America::Santiago);
        let at = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        let holds = |t| f.from.is_none_or(|from| from <= t) && f.to.is_none_or(|to| t < to);
        assert!(holds(at("2026-03-02T02:30:00Z")));
        assert!(!holds(at("2026-03-01T02:30:00Z")));
    }

    #[test]
    fn the_choices_pass_through_and_blank_text_searches_nothing() {
        let c = FilterControls {
            result: Some(MatchResult::PossibleMatch),
            state: Some(CheckState::Failed),
            source: Some(4),
            text: "   ".into(),
            oldest_first: true,
            ..Default::default()
        };
        let f = c.to_filter();
        assert_eq!(f.result, Some(MatchResult::PossibleMatch));
        assert_eq!(f.state, Some(CheckState::Failed));
        assert_eq!(f.data_source_id, Some(4));
        assert_eq!(f.text, None);
        assert!(f.oldest_first);
        assert_eq!((f.from, f.to, f.review_status, f.roster_id), (None, None, None, None));
    }
}
