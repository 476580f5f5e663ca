//! Prometheus metrics (`GET /metrics`), with prometheus-client: no global registry magic,
//! no exporter server of its own, a handful of small dependencies.
//!
//! One process-wide set: the daemon has one scheduler and one server, and a static keeps
//! the instrumentation points one line each.

use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

pub struct Metrics {
    registry: Registry,
    pub polls: Family<Labels, Counter>,
    pub fetch_seconds: Histogram,
    pub fetched_bytes: Family<Labels, Counter>,
    pub items: Family<Labels, Counter>,
    pub consecutive_failures: Family<Labels, Gauge>,
    pub poll_lag_seconds: Family<Labels, Gauge<f64, AtomicU64>>,
    pub store_bytes: Gauge,
    pub store_items: Gauge,
    pub render_cache: Family<Labels, Counter>,
    pub http_requests: Family<Labels, Counter>,
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("zonewire");
        let polls = Family::<Labels, Counter>::default();
        registry.register(
            "polls",
            "Polls by source and outcome (new, updated, unchanged, not-modified, error kind)",
            polls.clone(),
        );
        let fetch_seconds = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        registry.register(
            "fetch_duration_seconds",
            "Time to fetch a source's document",
            fetch_seconds.clone(),
        );
        let fetched_bytes = Family::<Labels, Counter>::default();
        registry.register(
            "fetched_bytes",
            "Decoded bytes fetched, by source",
            fetched_bytes.clone(),
        );
        let items = Family::<Labels, Counter>::default();
        registry.register(
            "items",
            "Items by source and what happened (new, updated, clustered)",
            items.clone(),
        );
        let consecutive_failures = Family::<Labels, Gauge>::default();
        registry.register(
            "source_consecutive_failures",
            "Consecutive failed polls of a source",
            consecutive_failures.clone(),
        );
        let poll_lag_seconds = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "source_poll_lag_seconds",
            "How late the last poll of a source started after its scheduled time",
            poll_lag_seconds.clone(),
        );
        let store_bytes = Gauge::default();
        registry.register(
            "store_size_bytes",
            "Size of the store on disk",
            store_bytes.clone(),
        );
        let store_items = Gauge::default();
        registry.register("store_items", "Items in the store", store_items.clone());
        let render_cache = Family::<Labels, Counter>::default();
        registry.register(
            "render_cache",
            "Rendered-output cache lookups (hit, miss)",
            render_cache.clone(),
        );
        let http_requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            http_requests.clone(),
        );
        Metrics {
            registry,
            polls,
            fetch_seconds,
            fetched_bytes,
            items,
            consecutive_failures,
            poll_lag_seconds,
            store_bytes,
            store_items,
            render_cache,
            http_requests,
        }
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Counts one answered HTTP request in `http_requests{route, status}`. Served feeds answer
/// tens of thousands of requests a second, and building the label set (three Strings and
/// a Vec) and hashing it into the family on each one was a measurable share of a cached
/// answer's CPU (BENCHMARKS §7). The counters are shared handles, so each thread keeps the
/// few it has used (routes × statuses) and finds them by a short scan.
pub fn count_http_request(route: &str, status: u16) {
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<(Box<str>, u16, Counter)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    /// Past this many pairs on one thread, new ones are counted without being remembered.
    const REMEMBERED: usize = 64;
    SEEN.with(|cell| {
        let mut seen = cell.borrow_mut();
        if let Some((_, _, counter)) = seen.iter().find(|(r, s, _)| *s == status && **r == *route) {
            counter.inc();
            return;
        }
        let counter = get()
            .http_requests
            .get_or_create(&labels(&[
                ("route", route),
                ("status", &status.to_string()),
            ]))
            .clone();
        counter.inc();
        if seen.len() < REMEMBERED {
            seen.push((route.into(), status, counter));
        }
    });
}

/// Counts one render-cache lookup in `render_cache{result}` (`hit`, `miss`); the hit is
/// on every cached answer, so its handle is resolved once.
pub fn count_render_cache(result: &str) {
    static HIT: OnceLock<Counter> = OnceLock::new();
    if result == "hit" {
        HIT.get_or_init(|| {
            get()
                .render_cache
                .get_or_create(&labels(&[("result", "hit")]))
                .clone()
        })
        .inc();
    } else {
        get()
            .render_cache
            .get_or_create(&labels(&[("result", result)]))
            .inc();
    }
}

/// Label helper: `labels(&[("source", id)])`.
pub fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name_and_labels: &str) -> Option<u64> {
        get().render().lines().find_map(|l| {
            l.strip_prefix(name_and_labels)
                .and_then(|rest| rest.trim().parse().ok())
        })
    }

    #[test]
    fn remembered_request_counters_are_the_familys_own() {
        // Routes no other test uses: the metrics are process-wide.
        let line = r#"zonewire_http_requests_total{route="/test-remembered",status="418"} "#;
        count_http_request("/test-remembered", 418);
        count_http_request("/test-remembered", 418);
        std::thread::spawn(|| count_http_request("/test-remembered", 418))
            .join()
            .unwrap();
        assert_eq!(sample(line), Some(3));
        count_http_request("/test-remembered", 200);
        assert_eq!(sample(line), Some(3), "another status is another counter");
        // Past what one thread remembers, requests are still counted.
        for n in 0..100 {
            count_http_request(&format!("/test-many-{n}"), 200);
        }
        count_http_request("/test-many-99", 200);
        assert_eq!(
            sample(r#"zonewire_http_requests_total{route="/test-many-99",status="200"} "#),
            Some(2)
        );
    }
}
