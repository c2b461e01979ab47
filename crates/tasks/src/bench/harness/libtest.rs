//! libtest `#[bench]` output: `test name ... bench:   1,234 ns/iter (+/- 56)`
//! (older nightlies, whole ns) and `... bench:  251,601.62 ns/iter (+/- 2,756.92)`
//! (current nightlies: two decimals, still with thousands separators).
//! libtest prints one median per benchmark and the spread of its samples, not
//! the samples.

use super::Parsed;

/// libtest's `+/-` is the range of its 50 samples after winsorizing at 5%
/// and 95%: about 3.29 standard deviations of roughly normal samples. The
/// median of 50 samples has a standard error of 1.2533 σ / √50, so the
/// median's standard error is about 0.054 times the printed range.
const SE_PER_RANGE: f64 = 1.2533 / (7.0711 * 3.29);

pub(crate) fn parse(output: &str) -> Vec<Parsed> {
    output.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Parsed> {
    let rest = line.trim().strip_prefix("test ")?;
    let (name, rest) = rest.split_once(" ... bench:")?;
    let (value, rest) = rest.trim().split_once(" ns/iter")?;
    let spread = rest
        .trim()
        .strip_prefix("(+/-")
        .and_then(|s| s.trim().strip_suffix(')'))
        .and_then(number);
    Some(Parsed {
        id: name.trim().to_owned(),
        unit: "ns",
        samples: vec![number(value)?],
        spread,
        standard_error: spread.map(|range| range * SE_PER_RANGE),
    })
}

fn number(text: &str) -> Option<f64> {
    text.trim().replace([',', '_'], "").parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_spellings() {
        let out = super::parse(
            "running 2 tests\ntest a::old ... bench:       1,234 ns/iter (+/- 56)\ntest new  ... bench:          12.50 ns/iter (+/- 0.25)\ntest x ... ok\n",
        );
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].id.as_str(), out[0].samples[0], out[0].spread),
            ("a::old", 1234.0, Some(56.0))
        );
        assert_eq!(
            (out[1].id.as_str(), out[1].samples[0], out[1].spread),
            ("new", 12.5, Some(0.25))
        );
    }
}
