//! Reading valgrind DHAT's JSON (`--dhat-out-file`): one record per program
//! point (an allocation stack) with its total bytes and blocks, and the bytes
//! it held when the whole heap peaked (t-gmax), over a table of frames
//! (`0xADDR: function (file:line)`). From it come the heap totals, folded
//! stacks weighted by bytes at the peak or by allocation count, and the
//! allocation sites: the first frame of each stack that is the program's
//! own code rather than the allocator's plumbing. Shared by the tasks that
//! run DHAT: `profile --memory` draws the stacks, `bench --memory` compares
//! the totals.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct File {
    pps: Vec<ProgramPoint>,
    ftbl: Vec<String>,
}

/// One allocation stack's figures, as DHAT names them.
#[derive(Debug, Deserialize)]
struct ProgramPoint {
    /// Total bytes and blocks allocated here.
    tb: u64,
    tbk: u64,
    /// Total lifetime of those blocks, in instructions.
    #[serde(default)]
    tl: u64,
    /// Bytes held here at the heap's global peak.
    #[serde(default)]
    gb: u64,
    /// Frame indices into `ftbl`, innermost (the allocator) first.
    fs: Vec<usize>,
}

/// A frame of a DHAT stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub function: String,
    /// `file:line` when debug info has it.
    pub location: Option<String>,
}

/// Where memory is allocated: one function (and line), summed over its stacks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Site {
    pub function: String,
    pub location: Option<String>,
    pub peak_bytes: u64,
    pub bytes: u64,
    pub blocks: u64,
    /// Summed lifetime of the blocks, in instructions.
    pub lifetime: u64,
    /// The allocations grow a buffer (the stack passes through a `grow` or `reserve`).
    pub grows: bool,
}

/// One DHAT profile, read.
#[derive(Debug, Default)]
pub(crate) struct Heap {
    pub peak_bytes: u64,
    pub allocated_bytes: u64,
    pub allocations: u64,
    /// `comm;outer;..;site bytes-at-peak` lines.
    pub folded_peak: Vec<u8>,
    /// `comm;outer;..;site allocations` lines.
    pub folded_count: Vec<u8>,
    pub sites: Vec<Site>,
    /// Share (0..=1) of allocated bytes whose allocation site has no name.
    pub unnamed_share: f64,
}

/// Parses DHAT's JSON output of a run of the program called `comm`.
pub(crate) fn parse(json: &[u8], comm: &str) -> Result<Heap, String> {
    let file: File =
        serde_json::from_slice(json).map_err(|err| format!("not a DHAT file: {err}"))?;
    let frames: Vec<Frame> = file.ftbl.iter().map(|f| frame(f)).collect();
    let mut heap = Heap::default();
    let mut peak: BTreeMap<String, u64> = BTreeMap::new();
    let mut count: BTreeMap<String, u64> = BTreeMap::new();
    let mut sites: BTreeMap<(String, Option<String>), Site> = BTreeMap::new();
    let mut unnamed = 0;
    for pp in &file.pps {
        heap.peak_bytes += pp.gb;
        heap.allocated_bytes += pp.tb;
        heap.allocations += pp.tbk;
        let stack: Vec<&Frame> = pp.fs.iter().filter_map(|&i| frames.get(i)).collect();
        let own = stack.iter().position(|f| !is_plumbing(f));
        let (site_at, grows) = match own {
            Some(at) => (at, stack[..at].iter().any(|f| is_growth(&f.function))),
            None => (0, false),
        };
        if stack.get(site_at).is_some_and(|f| is_unnamed(&f.function)) {
            unnamed += pp.tb;
        }
        let key = folded_key(comm, &stack[site_at.min(stack.len())..]);
        *peak.entry(key.clone()).or_default() += pp.gb;
        *count.entry(key).or_default() += pp.tbk;
        if let Some(at) = stack.get(site_at) {
            let function = site_name(&stack, site_at);
            let site = sites
                .entry((function.clone(), at.location.clone()))
                .or_insert_with(|| Site {
                    function,
                    location: at.location.clone(),
                    ..Site::default()
                });
            site.peak_bytes += pp.gb;
            site.bytes += pp.tb;
            site.blocks += pp.tbk;
            site.lifetime += pp.tl;
            site.grows |= grows;
        }
    }
    heap.unnamed_share = if heap.allocated_bytes == 0 {
        0.0
    } else {
        unnamed as f64 / heap.allocated_bytes as f64
    };
    heap.folded_peak = lines(peak);
    heap.folded_count = lines(count);
    heap.sites = sites.into_values().collect();
    Ok(heap)
}

/// The site's function; an inlined closure, which valgrind names
/// `{closure#0}` alone, is named after the function it is in.
fn site_name(stack: &[&Frame], at: usize) -> String {
    let function = &stack[at].function;
    if !function.starts_with("{closure") {
        return function.clone();
    }
    stack[at + 1..]
        .iter()
        .find(|f| f.function.contains("::") && !is_plumbing(f))
        .map(|outer| format!("{}::{function}", outer.function))
        .unwrap_or_else(|| function.clone())
}

/// `comm;outermost;..;innermost`, from a stack given innermost first.
fn folded_key(comm: &str, stack: &[&Frame]) -> String {
    let mut key = comm.to_owned();
    for frame in stack.iter().rev() {
        key.push(';');
        key.push_str(&frame.function.replace(';', ":"));
    }
    key
}

fn lines(stacks: BTreeMap<String, u64>) -> Vec<u8> {
    let mut out = String::new();
    for (stack, weight) in stacks.into_iter().filter(|(_, w)| *w > 0) {
        out.push_str(&stack);
        out.push(' ');
        out.push_str(&weight.to_string());
        out.push('\n');
    }
    out.into_bytes()
}

/// `0x10A3C0: app::big (main.rs:3)`, `0x4848899: malloc (in /usr/lib/..)`,
/// `0x10A3C0: ???`, or `[root]`.
fn frame(text: &str) -> Frame {
    let rest = match text.split_once(": ") {
        Some((address, rest)) if address.starts_with("0x") => rest,
        _ => text,
    };
    if let Some(open) = rest.rfind(" (")
        && rest.ends_with(')')
    {
        let function = rest[..open].trim().to_owned();
        let inside = &rest[open + 2..rest.len() - 1];
        let location = (!inside.starts_with("in ")).then(|| inside.to_owned());
        return Frame { function, location };
    }
    Frame {
        function: rest.trim().to_owned(),
        location: None,
    }
}

/// A frame valgrind could not name: `???` or a bare address.
pub(crate) fn is_unnamed(function: &str) -> bool {
    function == "???" || function.starts_with("0x")
}

/// The allocator and the standard library's allocation paths: an allocation
/// site is the first frame past these. Inlined frames carry short names
/// (`alloc`, `new<u64>`), so the standard library is also known by its
/// sources (`library/alloc/src/..`).
fn is_plumbing(frame: &Frame) -> bool {
    let function = frame.function.as_str();
    if let Some(at) = &frame.location
        && (at.starts_with("library/") || at.contains("/rustc/") || at.contains("/library/alloc/"))
    {
        return true;
    }
    const EXACT: &[&str] = &[
        "[root]",
        "malloc",
        "calloc",
        "realloc",
        "free",
        "memalign",
        "posix_memalign",
        "aligned_alloc",
        "operator new(unsigned long)",
        "operator new[](unsigned long)",
    ];
    const PREFIXES: &[&str] = &[
        "__rust_",
        "__rdl_",
        "__rg_",
        "alloc::",
        "<alloc::",
        "core::",
        "<core::",
        "std::alloc::",
        "hashbrown::",
        "<hashbrown::",
    ];
    /// The allocation path's inlined frames inside the standard library, which
    /// name its sources by file alone (`alloc (alloc.rs:95)`).
    const INLINED: &[&str] = &[
        "alloc",
        "alloc_impl",
        "alloc_impl_runtime",
        "alloc_zeroed",
        "allocate",
        "allocate_zeroed",
        "allocate_in",
        "try_allocate_in",
        "grow",
        "grow_one",
        "grow_amortized",
        "grow_exact",
        "finish_grow",
        "do_reserve_and_handle",
        "reserve",
        "exchange_malloc",
        "box_new_uninit",
    ];
    let bare = function.split('<').next().unwrap_or(function);
    EXACT.contains(&function)
        || INLINED.contains(&bare)
        || PREFIXES.iter().any(|p| function.starts_with(p))
}

/// A frame that grows a buffer: `RawVec::grow_one`, `reserve`, `finish_grow`.
fn is_growth(function: &str) -> bool {
    ["grow_one", "grow_amortized", "finish_grow", "reserve"]
        .iter()
        .any(|w| function.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"dhatFileVersion":2,"mode":"heap","pps":[
        {"tb":64,"tbk":1,"tl":10,"gb":64,"fs":[1,2,3]},
        {"tb":80,"tbk":10,"tl":20,"gb":0,"fs":[1,4,5,3]},
        {"tb":8,"tbk":2,"tl":20,"gb":0,"fs":[1,6,7,3]}],
      "ftbl":["[root]","0x1: malloc (in /usr/libexec/valgrind/vgpreload_dhat.so)",
        "0x2: app::big (main.rs:3)","0x3: main (main.rs:9)",
        "0x4: grow_one<u8> (library/alloc/src/raw_vec.rs:1)","0x5: ???",
        "0x6: {closure#0} (main.rs:5)","0x7: app::boxes (main.rs:5)"]}"#;

    #[test]
    fn totals_sites_and_folded_stacks() {
        let heap = parse(FILE.as_bytes(), "app").unwrap();
        assert_eq!(
            (heap.peak_bytes, heap.allocated_bytes, heap.allocations),
            (64, 152, 13)
        );
        assert!(
            heap.sites
                .iter()
                .any(|s| s.function == "app::boxes::{closure#0}")
        );
        assert_eq!(
            String::from_utf8(heap.folded_peak).unwrap(),
            "app;main;app::big 64\n"
        );
        assert_eq!(
            String::from_utf8(heap.folded_count).unwrap(),
            "app;main;??? 10\napp;main;app::big 1\napp;main;app::boxes;{closure#0} 2\n"
        );
        let big = heap
            .sites
            .iter()
            .find(|s| s.function == "app::big")
            .unwrap();
        assert_eq!(big.location.as_deref(), Some("main.rs:3"));
        let unnamed = heap.sites.iter().find(|s| s.function == "???").unwrap();
        assert!(unnamed.grows && unnamed.blocks == 10);
        assert!((heap.unnamed_share - 80.0 / 152.0).abs() < 1e-9);
    }

    #[test]
    fn rejects_other_files() {
        assert!(parse(b"events: Ir\n", "app").is_err());
    }
}
