//! uid → user name from `/etc/passwd`, reloaded when the file changes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

struct State {
    names: HashMap<u32, String>,
    mtime: Option<SystemTime>,
    checked: Instant,
}

/// A small uid→name table.
pub(crate) struct Users {
    state: Mutex<State>,
}

/// Parses `/etc/passwd` lines (`name:x:uid:...`), skipping malformed ones.
pub(crate) fn parse_passwd(s: &str) -> HashMap<u32, String> {
    s.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let _ = f.next()?;
            let uid = f.next()?.parse().ok()?;
            (!name.is_empty()).then(|| (uid, name.to_string()))
        })
        .collect()
}

fn read() -> (HashMap<u32, String>, Option<SystemTime>) {
    let mtime = std::fs::metadata("/etc/passwd")
        .and_then(|m| m.modified())
        .ok();
    let names = std::fs::read_to_string("/etc/passwd")
        .map(|s| parse_passwd(&s))
        .unwrap_or_default();
    (names, mtime)
}

impl Users {
    pub fn load() -> Self {
        let (names, mtime) = read();
        Users {
            state: Mutex::new(State {
                names,
                mtime,
                checked: Instant::now(),
            }),
        }
    }

    /// The name of `uid`; on a miss the file is re-read if it changed (at most every 10 s).
    pub fn name(&self, uid: u32) -> Option<String> {
        let mut st = self.state.lock().ok()?;
        if let Some(n) = st.names.get(&uid) {
            return Some(n.clone());
        }
        if st.checked.elapsed() > Duration::from_secs(10) {
            st.checked = Instant::now();
            let mtime = std::fs::metadata("/etc/passwd")
                .and_then(|m| m.modified())
                .ok();
            if mtime != st.mtime {
                let (names, mtime) = read();
                st.names = names;
                st.mtime = mtime;
                return st.names.get(&uid).cloned();
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn passwd() {
        let m = parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\n#c\nbad\nalice:x:1000:1000::/home/a:/bin/sh\n",
        );
        assert_eq!(m.get(&0).map(String::as_str), Some("root"));
        assert_eq!(m.get(&1000).map(String::as_str), Some("alice"));
        assert_eq!(m.len(), 2);
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") { let _ = parse_passwd(&s); }
    }
}
