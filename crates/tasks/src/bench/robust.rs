//! The default estimator of a benchmark's location: the 20% trimmed mean,
//! with Yuen's interval for the ratio of two of them. Timing samples are
//! skewed (a run can only be disturbed upwards) and often bimodal (address
//! layout, hash seeds): the median wastes most of a bimodal sample and the
//! mean follows every outlier, while the trimmed mean drops the fastest and
//! slowest fifth and averages the rest, which keeps most of the mean's
//! efficiency and the median's robustness (Wilcox, *Introduction to Robust
//! Estimation and Hypothesis Testing*, recommends 20%). Its standard error
//! comes from the winsorized variance (Tukey and McLaughlin), and the ratio's
//! interval from Welch's degrees of freedom (Yuen, 1974), on a log scale so
//! the interval of `current / baseline` is the same shape either way round.

use super::stats::normal_quantile;

/// The share of samples trimmed from each end.
pub(crate) const TRIM: f64 = 0.2;

/// A trimmed mean and what is known about its precision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Trimmed {
    pub(crate) mean: f64,
    /// Yuen's squared standard error of `mean`: `(n-1) s_w² / (h (h-1))`.
    pub(crate) variance: f64,
    /// Samples left after trimming.
    pub(crate) kept: usize,
}

impl Trimmed {
    /// `None` below two samples.
    pub(crate) fn of(samples: &[f64]) -> Option<Trimmed> {
        let n = samples.len();
        if n < 2 {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let cut = (TRIM * n as f64).floor() as usize;
        let kept = n - 2 * cut;
        let mean = sorted[cut..n - cut].iter().sum::<f64>() / kept as f64;
        let (low, high) = (sorted[cut], sorted[n - 1 - cut]);
        let winsorized = sorted.iter().map(|x| x.clamp(low, high));
        let wmean = winsorized.clone().sum::<f64>() / n as f64;
        let wvar = winsorized.map(|x| (x - wmean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let variance = if kept > 1 {
            (n - 1) as f64 * wvar / (kept * (kept - 1)) as f64
        } else {
            f64::INFINITY
        };
        Some(Trimmed {
            mean,
            variance,
            kept,
        })
    }

    /// The relative standard error, `se / mean`, and its degrees of freedom.
    fn relative(&self) -> (f64, f64) {
        if self.mean > 0.0 {
            (
                self.variance / (self.mean * self.mean),
                (self.kept.max(2) - 1) as f64,
            )
        } else {
            (f64::INFINITY, 1.0)
        }
    }

    /// Half the width of the two-sided interval at significance `alpha`,
    /// relative to the mean.
    pub(crate) fn precision(&self, alpha: f64) -> f64 {
        let (rel_var, df) = self.relative();
        student_t_quantile(1.0 - alpha / 2.0, df) * rel_var.sqrt()
    }
}

/// A ratio known on a log scale: `ln(ratio)`, its standard error and degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LogRatio {
    pub(crate) log: f64,
    pub(crate) se: f64,
    pub(crate) df: f64,
}

impl LogRatio {
    /// trimmed(current) / trimmed(baseline), with Welch's degrees of freedom.
    pub(crate) fn unpaired(baseline: &[f64], current: &[f64]) -> Option<LogRatio> {
        let (b, c) = (Trimmed::of(baseline)?, Trimmed::of(current)?);
        if b.mean <= 0.0 || c.mean <= 0.0 {
            return None;
        }
        let ((vb, db), (vc, dc)) = (b.relative(), c.relative());
        let df = (vb + vc).powi(2) / (vb * vb / db + vc * vc / dc);
        Some(LogRatio {
            log: (c.mean / b.mean).ln(),
            se: (vb + vc).sqrt(),
            df: if df.is_finite() { df } else { db.min(dc) },
        })
    }

    /// Pairs measured side by side: the trimmed mean of the per-pair log ratios.
    pub(crate) fn paired(baseline: &[f64], current: &[f64]) -> Option<LogRatio> {
        let logs: Vec<f64> = baseline
            .iter()
            .zip(current)
            .filter(|(b, c)| **b > 0.0 && **c > 0.0)
            .map(|(b, c)| (c / b).ln())
            .collect();
        let t = Trimmed::of(&logs)?;
        Some(LogRatio {
            log: t.mean,
            se: t.variance.sqrt(),
            df: (t.kept.max(2) - 1) as f64,
        })
    }

    /// From two summaries whose relative standard errors are known (a
    /// harness that prints its median and spread, not its samples).
    pub(crate) fn of_summaries(baseline: (f64, f64), current: (f64, f64)) -> Option<LogRatio> {
        let ((b, b_se), (c, c_se)) = (baseline, current);
        (b > 0.0 && c > 0.0).then(|| LogRatio {
            log: (c / b).ln(),
            se: ((b_se / b).powi(2) + (c_se / c).powi(2)).sqrt(),
            df: f64::INFINITY,
        })
    }

    pub(crate) fn ratio(&self) -> f64 {
        self.log.exp()
    }

    /// The two-sided interval of the ratio at significance `alpha`.
    pub(crate) fn interval(&self, alpha: f64) -> (f64, f64) {
        let reach = student_t_quantile(1.0 - alpha / 2.0, self.df) * self.se;
        ((self.log - reach).exp(), (self.log + reach).exp())
    }

    /// How strongly the data say the ratio lies outside `1 ± threshold`:
    /// twice the one-sided p-value for the nearer side (small = strong).
    pub(crate) fn p_outside(&self, threshold: f64) -> f64 {
        if self.se <= 0.0 {
            let inside = self.log.abs() <= (1.0 + threshold).ln();
            return if inside { 1.0 } else { 0.0 };
        }
        let above = (self.log - (1.0 + threshold).ln()) / self.se;
        let below = ((1.0 - threshold).ln() - self.log) / self.se;
        (2.0 * student_t_upper(above.max(below), self.df)).min(1.0)
    }
}

/// The quantile of Student's t distribution with `df` degrees of freedom:
/// exact for 1 and 2, the Cornish–Fisher expansion around the normal
/// quantile above (Abramowitz and Stegun 26.7.5; within 0.1% from 3).
pub(crate) fn student_t_quantile(p: f64, df: f64) -> f64 {
    if df.is_infinite() || df > 1e6 {
        return normal_quantile(p);
    }
    if df <= 1.0 {
        return (std::f64::consts::PI * (p - 0.5)).tan();
    }
    if df <= 2.0 {
        return (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
    }
    let z = normal_quantile(p);
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * df)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * df * df)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * df.powi(3))
}

/// P(T > x) for Student's t with `df` degrees of freedom, by bisection on
/// the quantile (precise enough to order p-values for Holm's procedure).
fn student_t_upper(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 0.5;
    }
    let (mut low, mut high) = (1e-300f64.ln(), 0.5f64.ln());
    for _ in 0..80 {
        let mid = (low + high) / 2.0;
        // The upper quantile by symmetry: `1 - p` rounds to 1 for tiny p.
        if -student_t_quantile(mid.exp(), df) > x {
            low = mid;
        } else {
            high = mid;
        }
    }
    high.exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::SplitMix64;

    #[test]
    fn trimmed_mean_drops_the_tails() {
        let samples = [1.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 1000.0];
        let t = Trimmed::of(&samples).unwrap();
        assert_eq!(t.kept, 6);
        assert!((t.mean - 10.0).abs() < 1e-12);
        assert!(t.variance < 1e-12);
        assert_eq!(Trimmed::of(&[1.0]), None);
    }

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95%: 12.706 (1), 4.303 (2), 2.571 (5), 2.228 (10), 2.042 (30).
        for (df, want) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (5.0, 2.571),
            (10.0, 2.228),
            (30.0, 2.042),
        ] {
            let got = student_t_quantile(0.975, df);
            assert!((got - want).abs() / want < 0.005, "df {df}: {got}");
        }
        assert!((student_t_upper(2.228, 10.0) - 0.025).abs() < 0.001);
    }

    /// Normal samples with a known ratio of locations: the 95% interval
    /// covers the truth about 95% of the time.
    #[test]
    fn yuen_intervals_cover_the_truth() {
        let mut rng = SplitMix64::new(11);
        let mut normal = move || {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            normal_quantile(u.clamp(1e-12, 1.0 - 1e-12))
        };
        let trials = 2000;
        let mut covered = 0;
        for _ in 0..trials {
            let base: Vec<f64> = (0..20).map(|_| 100.0 + 3.0 * normal()).collect();
            let cur: Vec<f64> = (0..30).map(|_| 110.0 + 3.0 * normal()).collect();
            let (low, high) = LogRatio::unpaired(&base, &cur).unwrap().interval(0.05);
            covered += usize::from(low <= 1.1 && 1.1 <= high);
        }
        let rate = covered as f64 / trials as f64;
        assert!((0.93..0.975).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn pairs_and_summaries() {
        let base: Vec<f64> = (0..20).map(|i| 100.0 + f64::from(i)).collect();
        let cur: Vec<f64> = base.iter().map(|b| b * 1.2).collect();
        let paired = LogRatio::paired(&base, &cur).unwrap();
        assert!((paired.ratio() - 1.2).abs() < 1e-9 && paired.se < 1e-9);
        assert!(paired.p_outside(0.05) < 1e-9);
        let summary = LogRatio::of_summaries((100.0, 1.0), (100.0, 1.0)).unwrap();
        let (low, high) = summary.interval(0.05);
        assert!(low > 0.97 && high < 1.03, "{low} {high}");
        assert!(summary.p_outside(0.05) > 0.5);
    }
}
