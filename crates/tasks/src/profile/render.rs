//! Flamegraph SVGs from folded stacks, drawn by inferno's library: the plain
//! graph of one profile and the differential graph against a baseline.

use std::io;

use inferno::differential;
use inferno::flamegraph::{self, Options};

/// How to draw a flamegraph.
#[derive(Debug, Clone, Default)]
pub struct Style {
    pub title: String,
    pub subtitle: Option<String>,
    /// Icicle graph: roots at the top.
    pub reverse: bool,
    /// Time order instead of merged, sorted stacks.
    pub flamechart: bool,
    /// Frames narrower than this percentage of the width are left out.
    pub min_width: f64,
    /// "samples" or "instructions".
    pub count_name: String,
}

impl Style {
    fn options(&self) -> Options<'static> {
        let mut options = Options::default();
        options.title = self.title.clone();
        options.subtitle = self.subtitle.clone();
        options.reverse_stack_order = self.reverse;
        options.flame_chart = self.flamechart;
        options.min_width = self.min_width;
        options.count_name = self.count_name.clone();
        if self.reverse {
            options.direction = flamegraph::Direction::Inverted;
        }
        options
    }
}

/// Renders folded stacks (`a;b;c 12` lines) as an SVG.
pub fn flamegraph(folded: &[u8], style: &Style) -> io::Result<Vec<u8>> {
    let mut svg = Vec::with_capacity(folded.len() * 2 + 16 * 1024);
    if folded.iter().all(u8::is_ascii_whitespace) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no stack samples to draw",
        ));
    }
    flamegraph::from_reader(&mut style.options(), folded, &mut svg)?;
    Ok(svg)
}

/// Renders the change from `before` to `after`, both normalised to the same
/// total: red frames grew, blue ones shrank.
pub fn differential(before: &[u8], after: &[u8], style: &Style) -> io::Result<Vec<u8>> {
    let mut merged = Vec::new();
    let diff_options = differential::Options {
        normalize: true,
        strip_hex: true,
    };
    differential::from_readers(diff_options, before, after, &mut merged)?;
    flamegraph(&merged, style)
}
