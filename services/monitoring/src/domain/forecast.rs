//! Forecast of an indicator to the plan's end date (预测).
//!
//! Model: `forecast = trend(end) + pipeline`.
//!
//! - trend: the least-squares line through the snapshot series `(day, value)` (one point per
//!   period, the latest revision), evaluated on the plan's last day. It needs at least two
//!   points on different days; with fewer there is no forecast ([`Forecast::Insufficient`]),
//!   never a guess from one point.
//! - pipeline (only for indicators whose definition says so, counts of HTEs): pool firms the
//!   registry's assessment finds ready for recognition now, times a configurable conversion
//!   rate (0–1) — firms that will likely be certified on top of the historical trend. A rate
//!   of 0 turns the term off.
//!
//! Values are non-negative, so the forecast is floored at 0. Arithmetic is in f64: a
//! forecast is an estimate and is shown rounded; comparisons that decide status (met, on
//! track) use exact values elsewhere.

use chrono::NaiveDate;

use super::indicator::Comparator;
use super::ratio::Ratio;

/// One value of the series on the snapshot's as-of date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub on: NaiveDate,
    pub value: f64,
}

/// Pool firms ready for recognition, and the share expected to convert.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pipeline {
    pub ready: i64,
    pub conversion_rate: ConversionRate,
}

/// A conversion rate between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversionRate(Ratio);

impl ConversionRate {
    pub fn new(rate: Ratio) -> Result<Self, String> {
        if rate.is_negative() || rate > Ratio::ONE {
            Err(format!(
                "the conversion rate lies between 0 and 1 (转化率须在0–1之间); got {}",
                rate.to_exact_decimal()
            ))
        } else {
            Ok(Self(rate))
        }
    }

    pub fn get(self) -> Ratio {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Forecast {
    Projected {
        /// The date forecast (the plan's last day).
        on: NaiveDate,
        /// The trend line's value on that date.
        trend: f64,
        /// Ready firms × conversion rate (0 without a pipeline).
        pipeline: f64,
        /// max(0, trend + pipeline).
        value: f64,
        /// Slope of the trend, per day.
        slope_per_day: f64,
        /// Points the trend was fitted to.
        points: usize,
    },
    /// Fewer than two points on different days.
    Insufficient { points: usize },
}

impl Forecast {
    pub fn value(&self) -> Option<f64> {
        match self {
            Self::Projected { value, .. } => Some(*value),
            Self::Insufficient { .. } => None,
        }
    }
}

/// Forecasts the series to `on`, adding the pipeline term when given.
pub fn forecast(points: &[Point], on: NaiveDate, pipeline: Option<Pipeline>) -> Forecast {
    let insufficient = Forecast::Insufficient {
        points: points.len(),
    };
    let Some(origin) = points.iter().map(|p| p.on).min() else {
        return insufficient;
    };
    let x = |date: NaiveDate| (date - origin).num_days() as f64;
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| x(p.on)).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.value).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (x(p.on) - mean_x).powi(2)).sum();
    if points.len() < 2 || sxx == 0.0 {
        return insufficient;
    }
    let sxy: f64 = points
        .iter()
        .map(|p| (x(p.on) - mean_x) * (p.value - mean_y))
        .sum();
    let slope = sxy / sxx;
    let trend = mean_y + slope * (x(on) - mean_x);
    let pipeline = pipeline.map_or(0.0, |p| {
        p.ready.max(0) as f64 * p.conversion_rate.get().to_f64()
    });
    Forecast::Projected {
        on,
        trend,
        pipeline,
        value: (trend + pipeline).max(0.0),
        slope_per_day: slope,
        points: points.len(),
    }
}

/// Whether a forecast misses the target under the comparator (off track, 预计无法完成).
pub fn misses_target(comparator: Comparator, forecast: f64, target: Ratio) -> bool {
    let target = target.to_f64();
    match comparator {
        Comparator::AtLeast => forecast < target,
        Comparator::MoreThan => forecast <= target,
        Comparator::AtMost => forecast > target,
        Comparator::LessThan => forecast >= target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn pt(on: &str, value: f64) -> Point {
        Point { on: d(on), value }
    }

    fn rate(n: i128, den: i128) -> ConversionRate {
        ConversionRate::new(Ratio::new(n, den).unwrap()).unwrap()
    }

    #[test]
    fn too_few_points_give_no_forecast() {
        let end = d("2020-12-31");
        let cases: [Vec<Point>; 3] = [
            vec![],
            vec![pt("2020-03-31", 20_000.0)],
            vec![pt("2020-03-31", 20_000.0), pt("2020-03-31", 21_000.0)],
        ];
        for points in cases {
            assert_eq!(
                forecast(&points, end, None),
                Forecast::Insufficient {
                    points: points.len()
                }
            );
        }
    }

    #[test]
    fn a_straight_line_is_extended_exactly() {
        // +10 a day from 1,000 on 1 January 2020; 31 December is day 365: 1,000 + 3,650.
        let points = [
            pt("2020-01-01", 1_000.0),
            pt("2020-01-11", 1_100.0),
            pt("2020-01-21", 1_200.0),
        ];
        let Forecast::Projected {
            trend,
            slope_per_day,
            value,
            points: n,
            ..
        } = forecast(&points, d("2020-12-31"), None)
        else {
            panic!("expected a projection");
        };
        assert!((slope_per_day - 10.0).abs() < 1e-9);
        assert!((trend - 4_650.0).abs() < 1e-6);
        assert_eq!(value, trend);
        assert_eq!(n, 3);
    }

    #[test]
    fn least_squares_through_scattered_points() {
        // x = 0, 1, 2, 3 days; y = 1, 3, 2, 4: slope 0.8, intercept 1.3; on day 10, 9.3.
        let points = [
            pt("2020-01-01", 1.0),
            pt("2020-01-02", 3.0),
            pt("2020-01-03", 2.0),
            pt("2020-01-04", 4.0),
        ];
        let f = forecast(&points, d("2020-01-11"), None);
        assert!((f.value().unwrap() - 9.3).abs() < 1e-9, "{f:?}");
        // The order points arrive in does not matter.
        let mut shuffled = points;
        shuffled.reverse();
        assert!((forecast(&shuffled, d("2020-01-11"), None).value().unwrap() - 9.3).abs() < 1e-9);
    }

    #[test]
    fn the_pipeline_adds_ready_firms_at_the_conversion_rate() {
        let points = [pt("2020-03-31", 20_000.0), pt("2020-06-30", 21_000.0)];
        let end = d("2020-12-31");
        let base = forecast(&points, end, None).value().unwrap();
        let cases = [
            (400, rate(1, 2), 200.0),
            (400, rate(0, 1), 0.0),
            (400, rate(1, 1), 400.0),
            (-5, rate(1, 2), 0.0),
        ];
        for (ready, conversion_rate, added) in cases {
            let with = forecast(
                &points,
                end,
                Some(Pipeline {
                    ready,
                    conversion_rate,
                }),
            );
            assert!(
                (with.value().unwrap() - base - added).abs() < 1e-6,
                "{ready} {conversion_rate:?}"
            );
        }
        assert!(ConversionRate::new(Ratio::new(11, 10).unwrap()).is_err());
        assert!(
            ConversionRate::new(Ratio::new(-1, 10).unwrap())
                .unwrap_err()
                .contains("转化率")
        );
    }

    #[test]
    fn a_falling_trend_is_floored_at_zero() {
        let points = [pt("2020-01-01", 100.0), pt("2020-02-01", 10.0)];
        assert_eq!(forecast(&points, d("2020-12-31"), None).value(), Some(0.0));
    }

    #[test]
    fn missing_the_target_follows_the_comparator() {
        let t = Ratio::integer(100);
        let cases = [
            (Comparator::AtLeast, 99.9, true),
            (Comparator::AtLeast, 100.0, false),
            (Comparator::MoreThan, 100.0, true),
            (Comparator::MoreThan, 100.1, false),
            (Comparator::AtMost, 100.0, false),
            (Comparator::AtMost, 100.1, true),
            (Comparator::LessThan, 100.0, true),
            (Comparator::LessThan, 99.0, false),
        ];
        for (comparator, value, misses) in cases {
            assert_eq!(
                misses_target(comparator, value, t),
                misses,
                "{comparator:?} {value}"
            );
        }
    }
}
