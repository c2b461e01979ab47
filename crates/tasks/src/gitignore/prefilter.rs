//! Which tracked files *could* be ignored, decided in process so git is asked
//! only about those (or not at all when none could). The answer is a superset
//! by construction, never a verdict: every rule is read from the same places
//! git reads (`core.excludesFile`, `info/exclude`, the `.gitignore` of every
//! directory on a file's path, tracked or not), and each pattern matches at
//! least what git's `wildmatch` matches: negations are dropped, `*`, `**` and
//! `?` may cross `/`, everything from a `[` on matches anything, a trailing
//! `/` matches files too, and case never counts. git's own
//! `ls-files -ci --exclude-standard`, restricted to the candidates, then
//! decides, so a file git calls ignored is never missed and no file git does
//! not call ignored is reported.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};

use super::git;
use super::index::Listing;
use cargo_perf_engine::git::GitError;

/// One token of a loosened pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// A byte, ASCII-lowercased.
    Byte(u8),
    /// `?`: any one byte.
    One,
    /// Any run of bytes, `/` included.
    Any,
}

/// A positive pattern, loosened.
#[derive(Debug, Clone)]
struct Pattern {
    tokens: Vec<Token>,
    /// No `/` but a trailing one: matched against the last path component.
    basename: bool,
}

/// The patterns of one ignore file, and the directory they are relative to.
#[derive(Debug)]
struct List {
    /// Relative to the top level; empty for the top level and the files outside the tree.
    base: Vec<u8>,
    patterns: Vec<Pattern>,
}

/// The rules git reads that live outside the tree.
pub(crate) fn outer_lists(
    toplevel: &Path,
    git_dir: &Path,
    common_dir: &Path,
) -> Result<Vec<PathBuf>, GitError> {
    let mut files = Vec::new();
    let output = git::run(
        toplevel,
        &["config", "-z", "--path", "--get", "core.excludesFile"],
        None,
        &[0, 1],
    )?;
    match output.strip_suffix(b"\0") {
        Some(value) if !value.is_empty() => {
            let value = PathBuf::from(std::ffi::OsString::from_vec(value.to_vec()));
            // A relative path is git's, from the top level; ours too, to be sure.
            files.push(toplevel.join(&value));
            files.push(value);
        }
        _ => {
            // git's default; both candidates, as reading one too many only loosens.
            if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
                files.push(PathBuf::from(xdg).join("git/ignore"));
            }
            if let Some(home) = std::env::var_os("HOME") {
                files.push(PathBuf::from(home).join(".config/git/ignore"));
            }
        }
    }
    files.push(common_dir.join("info/exclude"));
    files.push(git_dir.join("info/exclude"));
    Ok(files)
}

/// The tracked files of `listing` that some rule might ignore, relative to
/// the workspace root, in index order (each once).
pub(crate) fn candidates(toplevel: &Path, outer: &[PathBuf], listing: &Listing) -> Vec<PathBuf> {
    let mut lists: Vec<List> = outer
        .iter()
        .filter_map(|file| std::fs::read(file).ok())
        .map(|text| List {
            base: Vec::new(),
            patterns: parse(&text),
        })
        .collect();
    let mut dirs: HashMap<Vec<u8>, Dir> = HashMap::new();
    let mut out: Vec<PathBuf> = Vec::new();
    let mut current: Option<(&[u8], Dir)> = None;
    for path in listing.top_paths() {
        let (parent, _) = split(path);
        if current.as_ref().is_none_or(|(known, _)| *known != parent) {
            current = Some((parent, dir_info(toplevel, parent, &mut dirs, &mut lists)));
        }
        let Some((_, dir)) = &current else {
            continue;
        };
        if dir.excluded || matches(&lists, &dir.lists, path) {
            let shown = PathBuf::from(std::ffi::OsStr::from_bytes(&path[listing.prefix_len()..]));
            if out.last() != Some(&shown) {
                out.push(shown);
            }
        }
    }
    out
}

/// What holds for everything in one directory.
#[derive(Debug, Clone, Default)]
struct Dir {
    /// The directory or one above it may be ignored.
    excluded: bool,
    /// The lists that apply to its entries (indices into the lists).
    lists: Vec<usize>,
}

/// The facts of `dir` (relative to the top level; empty for it), reading
/// its `.gitignore` and those above it the first time.
fn dir_info(
    toplevel: &Path,
    dir: &[u8],
    dirs: &mut HashMap<Vec<u8>, Dir>,
    lists: &mut Vec<List>,
) -> Dir {
    if let Some(known) = dirs.get(dir) {
        return known.clone();
    }
    let mut info = if dir.is_empty() {
        Dir {
            excluded: false,
            lists: (0..lists.len()).collect(),
        }
    } else {
        let (parent, _) = split(dir);
        let parent = dir_info(toplevel, parent, dirs, lists);
        Dir {
            excluded: parent.excluded || matches(lists, &parent.lists, dir),
            lists: parent.lists,
        }
    };
    if let Some(text) = read_gitignore(toplevel, dir) {
        lists.push(List {
            base: dir.to_vec(),
            patterns: parse(&text),
        });
        info.lists.push(lists.len() - 1);
    }
    dirs.insert(dir.to_vec(), info.clone());
    info
}

/// `dir/.gitignore` as git reads it: not through a symbolic link.
fn read_gitignore(toplevel: &Path, dir: &[u8]) -> Option<Vec<u8>> {
    let mut path = toplevel.as_os_str().as_bytes().to_vec();
    if !dir.is_empty() {
        path.push(b'/');
        path.extend_from_slice(dir);
    }
    path.extend_from_slice(b"/.gitignore");
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(
        Path::new(std::ffi::OsStr::from_bytes(&path)),
        flags,
        Mode::empty(),
    )
    .ok()?;
    let mut text = Vec::new();
    std::fs::File::from(fd).read_to_end(&mut text).ok()?;
    Some(text)
}

/// Splits `a/b/c` into `a/b` and `c` (the parent of a top-level name is empty).
fn split(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|b| *b == b'/') {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => (&b""[..], path),
    }
}

/// Whether a pattern of the lists `which` may match `path` (relative to the
/// top level) itself.
fn matches(lists: &[List], which: &[usize], path: &[u8]) -> bool {
    let (_, name) = split(path);
    which.iter().any(|&index| {
        let list = &lists[index];
        let relative = if list.base.is_empty() {
            path
        } else {
            &path[list.base.len() + 1..]
        };
        list.patterns.iter().any(|pattern| {
            let subject = if pattern.basename { name } else { relative };
            glob(&pattern.tokens, subject)
        })
    })
}

/// The positive patterns of an ignore file, as git splits and trims them
/// (`add_patterns_from_buffer`, `trim_trailing_spaces`), then loosened.
fn parse(text: &[u8]) -> Vec<Pattern> {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    text.split(|b| *b == b'\n')
        .filter(|line| !line.is_empty() && line[0] != b'#')
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line = trim_trailing_spaces(line);
            if line.first() == Some(&b'!') {
                return None;
            }
            let body = line.strip_suffix(b"/").unwrap_or(line);
            let basename = !body.contains(&b'/');
            let body = body.strip_prefix(b"/").unwrap_or(body);
            Some(Pattern {
                tokens: loosen(body),
                basename,
            })
        })
        .collect()
}

/// git's `trim_trailing_spaces`: unescaped trailing spaces go.
fn trim_trailing_spaces(line: &[u8]) -> &[u8] {
    let mut last_space = None;
    let mut at = 0;
    while at < line.len() {
        match line[at] {
            b' ' => {
                last_space.get_or_insert(at);
            }
            b'\\' => {
                at += 1;
                if at == line.len() {
                    return line;
                }
                last_space = None;
            }
            _ => last_space = None,
        }
        at += 1;
    }
    &line[..last_space.unwrap_or(line.len())]
}

/// A pattern as tokens that match at least what git's `wildmatch` does.
fn loosen(pattern: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut at = 0;
    while at < pattern.len() {
        match pattern[at] {
            b'*' => push_any(&mut tokens),
            b'?' => tokens.push(Token::One),
            // A bracket expression, or a dangling `\`: anything from here on.
            b'[' => {
                push_any(&mut tokens);
                return tokens;
            }
            b'\\' if at + 1 == pattern.len() => {
                push_any(&mut tokens);
                return tokens;
            }
            b'\\' => {
                at += 1;
                tokens.push(Token::Byte(pattern[at].to_ascii_lowercase()));
            }
            b'/' if matches!(tokens.last(), Some(Token::Any)) => {}
            b'/' if pattern.get(at + 1) == Some(&b'*') => {}
            byte => tokens.push(Token::Byte(byte.to_ascii_lowercase())),
        }
        at += 1;
    }
    tokens
}

/// Adds `Any`, which also swallows a `/` just before it (`a/**` matches `a`).
fn push_any(tokens: &mut Vec<Token>) {
    if tokens.last() != Some(&Token::Any) {
        tokens.push(Token::Any);
    }
}

/// Whether `tokens` match all of `text` (ASCII case ignored).
fn glob(tokens: &[Token], text: &[u8]) -> bool {
    let (mut t, mut s) = (0, 0);
    let mut retry: Option<(usize, usize)> = None;
    while s < text.len() {
        match tokens.get(t) {
            Some(Token::Any) => {
                retry = Some((t, s));
                t += 1;
                continue;
            }
            Some(Token::One) => {
                t += 1;
                s += 1;
                continue;
            }
            Some(Token::Byte(b)) if *b == text[s].to_ascii_lowercase() => {
                t += 1;
                s += 1;
                continue;
            }
            _ => {}
        }
        match retry {
            Some((star, from)) => {
                t = star + 1;
                s = from + 1;
                retry = Some((star, from + 1));
            }
            None => return false,
        }
    }
    tokens[t..].iter().all(|token| *token == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loose(pattern: &str, text: &str) -> bool {
        let patterns = parse(pattern.as_bytes());
        let pattern = &patterns[0];
        glob(&pattern.tokens, text.as_bytes())
    }

    #[test]
    fn loosened_patterns_match_at_least_what_git_matches() {
        for (pattern, text) in [
            ("*.log", "a.log"),
            ("/target/", "target"),
            ("**/foo", "foo"),
            ("**/foo", "a/b/foo"),
            ("a/**/b", "a/b"),
            ("a/**/b", "a/x/y/b"),
            ("a/**", "a/x"),
            ("a*/b", "a/b"),
            ("f?o", "foo"),
            ("[ab]x", "bx"),
            ("x[!a]", "xb"),
            ("\\#x", "#x"),
            ("\\!x", "!x"),
            ("foo\\ ", "foo "),
            ("foo  ", "foo"),
            ("FOO", "foo"),
            ("trail\\", "trail"),
            ("crlf\r", "crlf"),
        ] {
            assert!(loose(pattern, text), "{pattern:?} vs {text:?}");
        }
        for (pattern, text) in [
            ("*.log", "a.txt"),
            ("foo\\ ", "foo"),
            ("abc", "ab"),
            ("a?", "a"),
        ] {
            assert!(!loose(pattern, text), "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn drops_comments_blank_lines_and_negations() {
        let patterns = parse(b"\xef\xbb\xbf# c\n\n!keep\n*.log\n a/b/\n");
        assert_eq!(patterns.len(), 2);
        assert!(patterns[0].basename);
        assert!(!patterns[1].basename);
    }
}
