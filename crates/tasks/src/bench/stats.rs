//! The statistics behind verdicts: medians, a seeded bootstrap of the ratio
//! of two medians, and Holm's step-down correction across benchmarks.

/// SplitMix64: a tiny, well-mixed, seeded generator, so every verdict can be
/// reproduced from the same samples. Hand-written rather than `rand`: a
/// verdict must not change when a dependency changes its algorithm or its
/// seeding, and ten lines do not warrant a crate.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// FNV-1a, used to seed the bootstrap from a benchmark's name and to hash files.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

pub(crate) fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    median_sorted(&sorted)
}

fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn resampled_median(samples: &[f64], rng: &mut SplitMix64, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend((0..samples.len()).map(|_| samples[rng.below(samples.len())]));
    scratch.sort_by(f64::total_cmp);
    median_sorted(scratch)
}

/// The bootstrap distribution of median(current) / median(baseline), sorted.
pub(crate) struct RatioBootstrap {
    pub(crate) point: f64,
    ratios: Vec<f64>,
}

pub(crate) const RESAMPLES: usize = 4000;

impl RatioBootstrap {
    pub(crate) fn new(baseline: &[f64], current: &[f64], seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut scratch = Vec::with_capacity(baseline.len().max(current.len()));
        let mut ratios: Vec<f64> = (0..RESAMPLES)
            .map(|_| {
                let b = resampled_median(baseline, &mut rng, &mut scratch);
                let c = resampled_median(current, &mut rng, &mut scratch);
                if b > 0.0 { c / b } else { f64::INFINITY }
            })
            .collect();
        ratios.sort_by(f64::total_cmp);
        let b = median(baseline);
        let point = if b > 0.0 {
            median(current) / b
        } else {
            f64::INFINITY
        };
        Self { point, ratios }
    }

    /// For samples taken in pairs (interleaved A B B A runs): the bootstrap
    /// distribution of the median of the per-pair ratios, so drift the two
    /// sides of a pair shared cancels out.
    pub(crate) fn paired(baseline: &[f64], current: &[f64], seed: u64) -> Self {
        let pairs: Vec<f64> = baseline
            .iter()
            .zip(current)
            .map(|(b, c)| if *b > 0.0 { c / b } else { f64::INFINITY })
            .collect();
        let mut rng = SplitMix64::new(seed);
        let mut scratch = Vec::with_capacity(pairs.len());
        let mut ratios: Vec<f64> = (0..RESAMPLES)
            .map(|_| resampled_median(&pairs, &mut rng, &mut scratch))
            .collect();
        ratios.sort_by(f64::total_cmp);
        Self {
            point: median(&pairs),
            ratios,
        }
    }

    /// The two-sided percentile interval at significance `alpha`.
    pub(crate) fn interval(&self, alpha: f64) -> (f64, f64) {
        let quantile = |q: f64| {
            let idx = (q * (self.ratios.len() - 1) as f64).round() as usize;
            self.ratios[idx.min(self.ratios.len() - 1)]
        };
        (quantile(alpha / 2.0), quantile(1.0 - alpha / 2.0))
    }

    /// How strongly the data say the ratio lies outside `1 ± threshold`: a
    /// one-sided bootstrap p-value for the nearer side (small = strong).
    pub(crate) fn p_outside(&self, threshold: f64) -> f64 {
        let n = self.ratios.len() as f64;
        let not_above = self
            .ratios
            .iter()
            .filter(|r| **r <= 1.0 + threshold)
            .count() as f64;
        let not_below = self
            .ratios
            .iter()
            .filter(|r| **r >= 1.0 - threshold)
            .count() as f64;
        (2.0 * (not_above.min(not_below) + 1.0) / (n + 1.0)).min(1.0)
    }
}

/// The standard normal quantile: the `z` with P(Z <= z) = `p`, for 0 < p < 1
/// (Acklam's rational approximation, relative error below 1.2e-9).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// How precisely `samples` pin down their median: half the width of the
/// distribution-free confidence interval of the median (between two order
/// statistics), relative to the median. 0.02 means "known to within ±2%".
pub(crate) fn median_precision(samples: &[f64], confidence: f64) -> f64 {
    let n = samples.len();
    if n < 2 {
        return f64::INFINITY;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = median_sorted(&sorted);
    let reach = normal_quantile(1.0 - (1.0 - confidence) / 2.0) * (n as f64).sqrt() / 2.0;
    let half = n as f64 / 2.0;
    // 1-based ranks of the bounds, widened to whole ranks and kept in range.
    let low = ((half - reach).floor() as usize).clamp(1, n);
    let high = ((half + reach).ceil() as usize + 1).clamp(1, n);
    if middle > 0.0 {
        (sorted[high - 1] - sorted[low - 1]) / (2.0 * middle)
    } else {
        f64::INFINITY
    }
}

/// Holm's step-down procedure: the significance level each of `p_values`
/// is judged at, so the chance of any false alarm stays within `alpha`.
/// Benchmarks after the first that is not significant keep that level.
pub(crate) fn holm_levels(p_values: &[f64], alpha: f64) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p_values[*a].total_cmp(&p_values[*b]));
    let mut levels = vec![alpha / m.max(1) as f64; m];
    let mut stopped: Option<f64> = None;
    for (rank, &i) in order.iter().enumerate() {
        let level = stopped.unwrap_or(alpha / (m - rank) as f64);
        levels[i] = level;
        if stopped.is_none() && p_values[i] > level {
            stopped = Some(level);
        }
    }
    levels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn generator_is_seeded() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = SplitMix64::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = SplitMix64::new(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn bootstrap_brackets_a_clear_shift() {
        let base: Vec<f64> = (0..20).map(|i| 100.0 + f64::from(i % 5)).collect();
        let slow: Vec<f64> = base.iter().map(|x| x * 1.3).collect();
        let boot = RatioBootstrap::new(&base, &slow, 1);
        let (lo, hi) = boot.interval(0.05);
        assert!(lo > 1.2 && hi < 1.4, "{lo} {hi}");
        assert!(boot.p_outside(0.05) < 0.01);
        let same = RatioBootstrap::new(&base, &base, 1);
        assert!(same.p_outside(0.05) > 0.5);
    }

    #[test]
    fn normal_quantiles() {
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        assert!((normal_quantile(0.5)).abs() < 1e-9);
        assert!((normal_quantile(0.005) + 2.575_829).abs() < 1e-5);
        assert!((normal_quantile(0.999_75) - 3.480_756).abs() < 1e-5);
    }

    #[test]
    fn median_precision_narrows_with_more_quiet_samples() {
        // Ten values 95..=104: the interval spans ranks 1 and 10, ±4.5%.
        let ten: Vec<f64> = (95..105).map(f64::from).collect();
        let p10 = median_precision(&ten, 0.95);
        assert!((p10 - 9.0 / 2.0 / 99.5).abs() < 1e-9, "{p10}");
        // The same spread over 400 samples: the interval hugs the middle.
        let many: Vec<f64> = (0..400).map(|i| 95.0 + f64::from(i % 10)).collect();
        let p400 = median_precision(&many, 0.95);
        assert!(p400 < 0.011, "{p400}");
        // Two far-apart modes never get precise.
        let modes: Vec<f64> = (0..400)
            .map(|i| if i % 2 == 0 { 10.0 } else { 30.0 })
            .collect();
        assert!(median_precision(&modes, 0.95) > 0.4);
        assert_eq!(median_precision(&[1.0], 0.95), f64::INFINITY);
    }

    #[test]
    fn holm_steps_down_then_stops() {
        let levels = holm_levels(&[0.001, 0.5, 0.02], 0.05);
        assert_eq!(levels[0], 0.05 / 3.0);
        assert_eq!(levels[2], 0.05 / 2.0);
        assert_eq!(levels[1], 0.05);
        let levels = holm_levels(&[0.04, 0.5, 0.03], 0.05);
        assert_eq!(levels[2], 0.05 / 3.0);
        assert_eq!(levels[0], 0.05 / 3.0);
    }
}
