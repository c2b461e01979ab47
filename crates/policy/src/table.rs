//! One table per section: every key it accepts, each with the parser that
//! reads its value. The key names for unknown-key suggestions come from the
//! same table, so a key cannot be accepted without the code that reads it,
//! and a unit test checks that no name is listed twice.

use toml::de::DeTable;

use crate::reader::{Reader, Value};

/// Reads one key's value into the state `S` of the section being read.
pub(crate) type Parse<S> = fn(&mut Reader, &mut S, &str, &Value<'_>);

/// One key of a section and its parser.
pub(crate) struct Key<S: 'static> {
    pub name: &'static str,
    pub parse: Parse<S>,
}

/// A key of a section: `key("jobs", |r, settings, key, value| ...)`.
pub(crate) const fn key<S>(name: &'static str, parse: Parse<S>) -> Key<S> {
    Key { name, parse }
}

/// The names of `keys`, in table order.
pub(crate) fn names<S>(keys: &[Key<S>]) -> Vec<&'static str> {
    keys.iter().map(|k| k.name).collect()
}

impl Reader {
    /// Reads every key of `table` with its parser from `keys`; an unknown key
    /// becomes a diagnostic that names the closest known one.
    pub fn section<S>(
        &mut self,
        table: &DeTable<'_>,
        context: &str,
        keys: &[Key<S>],
        state: &mut S,
    ) {
        for (name, value) in table {
            let name_text = name.get_ref().as_ref();
            match keys.iter().find(|k| k.name == name_text) {
                Some(key) => (key.parse)(self, state, name_text, value),
                None => self.unknown_key(name_text, name.span(), context, &names(keys)),
            }
        }
    }
}

/// Panics when a table lists a name twice (the second entry could never run).
#[cfg(test)]
pub(crate) fn assert_unique<S>(context: &str, keys: &[Key<S>]) {
    let mut seen = std::collections::BTreeSet::new();
    for key in keys {
        assert!(
            seen.insert(key.name),
            "{context} lists `{}` twice",
            key.name
        );
    }
}
