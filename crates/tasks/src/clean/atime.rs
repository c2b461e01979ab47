//! Whether access times say when a unit was last used. They do unless the
//! filesystem is mounted `noatime` (then only modification times are
//! trusted); under the default `relatime` an access time is at most a day
//! stale, which is why a unit's last use is the later of atime and mtime.

use std::path::Path;

/// Where a unit's last use is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LastUse {
    /// atime (or mtime, when later); the mount option in force is named.
    Atime(&'static str),
    /// mtime only: the filesystem does not update atime, or we cannot tell.
    Mtime(&'static str),
}

impl LastUse {
    pub(crate) fn uses_atime(self) -> bool {
        matches!(self, LastUse::Atime(_))
    }

    pub(crate) fn describe(self) -> String {
        match self {
            LastUse::Atime(option) => format!("last use from atime ({option})"),
            LastUse::Mtime(reason) => format!("last use from mtime ({reason})"),
        }
    }
}

/// Reads the mount options of the filesystem holding `path` from /proc/self/mountinfo.
pub(crate) fn detect(path: &Path) -> LastUse {
    match std::fs::read_to_string("/proc/self/mountinfo") {
        Ok(text) => from_mountinfo(&text, path),
        Err(_) => LastUse::Mtime("mount options unknown"),
    }
}

fn from_mountinfo(text: &str, path: &Path) -> LastUse {
    // Fields: id parent major:minor root mount-point options [optional...] - fstype source super-options
    let best = text
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let mount_point = unescape(fields.get(4)?);
            let options = fields.get(5)?;
            path.starts_with(&mount_point)
                .then(|| (mount_point.len(), options.to_string()))
        })
        .max_by_key(|(len, _)| *len);
    match best {
        None => LastUse::Mtime("mount options unknown"),
        Some((_, options)) => {
            let has = |name: &str| options.split(',').any(|o| o == name);
            if has("noatime") {
                LastUse::Mtime("the filesystem is mounted noatime")
            } else if has("relatime") {
                LastUse::Atime("relatime: accurate to a day")
            } else {
                LastUse::Atime("strictatime")
            }
        }
    }
}

/// mountinfo escapes spaces and other bytes as `\040`-style octal.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let code: String = chars.by_ref().take(3).collect();
            match u8::from_str_radix(&code, 8) {
                Ok(byte) => out.push(char::from(byte)),
                Err(_) => {
                    out.push('\\');
                    out.push_str(&code);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "22 27 0:21 / / rw,relatime - ext4 /dev/vda rw\n\
        23 27 0:22 / /mnt/fast rw,noatime - ext4 /dev/vdb rw\n\
        24 27 0:23 / /mnt/my\\040disk rw - ext4 /dev/vdc rw\n";

    #[test]
    fn picks_the_longest_mount_point() {
        assert!(from_mountinfo(INFO, Path::new("/home/x/target")).uses_atime());
        assert_eq!(
            from_mountinfo(INFO, Path::new("/mnt/fast/target")),
            LastUse::Mtime("the filesystem is mounted noatime")
        );
        assert_eq!(
            from_mountinfo(INFO, Path::new("/mnt/my disk/target")),
            LastUse::Atime("strictatime")
        );
    }
}
