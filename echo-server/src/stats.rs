//! Connection counters behind `/stats`: open and total connections, overall and per `tag`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Open and total connection counts of one group.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// Connections currently open.
    pub open: u64,
    /// Connections ever opened.
    pub total: u64,
    /// Data messages (text or binary) received from clients before their close frame (every route but `/rpc`).
    pub received: u64,
    /// The code of the latest close frame a client sent (1005 for a frame without one), if any did.
    pub last_client_close: Option<u16>,
    /// How long the latest `/flood` took to send everything, in milliseconds, once one has.
    pub flood_ms: Option<u64>,
}

impl Count {
    /// The `/stats` reply: `{"open":O,"total":N,"received":R,"lastClientClose":C}` (C is `null` until a client
    /// closed), with `"floodMs":F` after them once a `/flood` has sent everything.
    pub fn to_json(self) -> String {
        let last = self
            .last_client_close
            .map_or_else(|| "null".to_owned(), |code| code.to_string());
        let flood = self
            .flood_ms
            .map_or_else(String::new, |ms| format!(",\"floodMs\":{ms}"));
        format!(
            "{{\"open\":{},\"total\":{},\"received\":{},\"lastClientClose\":{last}{flood}}}",
            self.open, self.total, self.received
        )
    }
}

/// Counters shared by all connections of one server.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    all: Count,
    tags: HashMap<String, Count>,
}

impl Stats {
    /// Counts a new open connection; it stays open until the returned guard is dropped.
    pub fn open(self: &Arc<Self>, tag: Option<String>) -> OpenGuard {
        let mut counters = self.lock();
        for count in counters.groups(tag.as_deref()) {
            count.open += 1;
            count.total += 1;
        }
        drop(counters);
        OpenGuard {
            stats: Arc::clone(self),
            tag,
        }
    }

    /// The counts of connections opened with `tag`, or of all connections for `None`.
    pub fn snapshot(&self, tag: Option<&str>) -> Count {
        let counters = self.lock();
        match tag {
            None => counters.all,
            Some(tag) => counters.tags.get(tag).copied().unwrap_or_default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counters> {
        // Counters stay consistent even if a holder panicked: every update is a plain increment.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl OpenGuard {
    /// Records the code of the close frame the client sent on this connection.
    pub fn client_closed(&self, code: u16) {
        let mut counters = self.stats.lock();
        for count in counters.groups(self.tag.as_deref()) {
            count.last_client_close = Some(code);
        }
    }
}

impl OpenGuard {
    /// Counts a data message received on this connection.
    pub fn received(&self) {
        let mut counters = self.stats.lock();
        for count in counters.groups(self.tag.as_deref()) {
            count.received += 1;
        }
    }

    /// Records how long a `/flood` on this connection took to send everything.
    pub fn flooded(&self, ms: u64) {
        let mut counters = self.stats.lock();
        for count in counters.groups(self.tag.as_deref()) {
            count.flood_ms = Some(ms);
        }
    }
}

impl Counters {
    fn groups(&mut self, tag: Option<&str>) -> impl Iterator<Item = &mut Count> {
        let tagged = tag.map(|tag| self.tags.entry(tag.to_owned()).or_default());
        std::iter::once(&mut self.all).chain(tagged)
    }
}

/// Keeps one connection counted as open; dropping it marks the connection closed.
#[derive(Debug)]
pub struct OpenGuard {
    stats: Arc<Stats>,
    tag: Option<String>,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        let mut counters = self.stats.lock();
        for count in counters.groups(self.tag.as_deref()) {
            count.open = count.open.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Covers: per-tag and overall counts (connections, received messages), guards closing connections, JSON
    //! format.

    use super::*;

    #[test]
    fn counts_open_and_total_per_tag() {
        let stats = Arc::new(Stats::default());
        let a = stats.open(Some("a".into()));
        let b = stats.open(None);
        let count = |open, total, last_client_close| Count {
            open,
            total,
            received: 0,
            last_client_close,
            flood_ms: None,
        };
        assert_eq!(stats.snapshot(Some("a")), count(1, 1, None));
        assert_eq!(stats.snapshot(None), count(2, 2, None));
        a.client_closed(4000);
        drop(a);
        drop(b);
        assert_eq!(stats.snapshot(Some("a")), count(0, 1, Some(4000)));
        assert_eq!(stats.snapshot(Some("zzz")), Count::default());
        assert_eq!(
            stats.snapshot(None).to_json(),
            r#"{"open":0,"total":2,"received":0,"lastClientClose":4000}"#
        );
        assert_eq!(
            stats.snapshot(Some("zzz")).to_json(),
            r#"{"open":0,"total":0,"received":0,"lastClientClose":null}"#
        );
        let flood = stats.open(Some("f".into()));
        flood.flooded(1234);
        flood.received();
        assert_eq!(
            stats.snapshot(Some("f")).to_json(),
            r#"{"open":1,"total":1,"received":1,"lastClientClose":null,"floodMs":1234}"#
        );
    }
}
