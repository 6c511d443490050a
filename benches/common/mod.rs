//! Setup shared by the benches: the Better Auth sample fixture (tests/common), criterion settings that keep
//! every bench short (a full `cargo bench` takes minutes, `-- --test` seconds), and the clock.
//!
//! `AUTHPROBE_BENCH_CLOCK=cpu` measures the benchmarking thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`) instead of wall-clock time. On a machine that other jobs keep
//! busy, wall-clock samples include the time the thread waited for a core; its CPU time does
//! not. On an idle machine the two agree for these single-threaded benches.
#![allow(dead_code)]

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput};
use std::time::{Duration, Instant};

/// The fixture helpers of the integration tests, shared rather than copied.
#[path = "../../tests/common/mod.rs"]
mod fixtures;

#[allow(unused_imports)] // each bench binary uses its own subset
pub use fixtures::{fixture, fixture_path, ISSUER, NOW as FIXTURE_NOW};

/// Criterion for microbenchmarks: 1 s warm-up, 3 s measurement, 50 samples, [`BenchClock`].
pub fn micro() -> Criterion<BenchClock> {
    Criterion::default()
        .with_measurement(BenchClock::from_env())
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

/// Wall-clock time (criterion's default), or with `AUTHPROBE_BENCH_CLOCK=cpu` the thread's CPU
/// time.
pub struct BenchClock {
    cpu: bool,
}

impl BenchClock {
    pub fn from_env() -> BenchClock {
        let cpu = std::env::var("AUTHPROBE_BENCH_CLOCK").is_ok_and(|v| v == "cpu");
        if cpu {
            eprintln!("measuring thread CPU time (AUTHPROBE_BENCH_CLOCK=cpu)");
        }
        BenchClock { cpu }
    }
}

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

pub enum Start {
    Wall(Instant),
    Cpu(Duration),
}

impl Measurement for BenchClock {
    type Intermediate = Start;
    type Value = Duration;

    fn start(&self) -> Start {
        if self.cpu {
            Start::Cpu(thread_cpu_time())
        } else {
            Start::Wall(Instant::now())
        }
    }
    fn end(&self, start: Start) -> Duration {
        match start {
            Start::Wall(t) => t.elapsed(),
            Start::Cpu(t) => thread_cpu_time().saturating_sub(t),
        }
    }
    fn add(&self, v1: &Duration, v2: &Duration) -> Duration {
        *v1 + *v2
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

/// Formats nanoseconds as criterion's wall-clock formatter does.
struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else if typical < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }
    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (per_iter, unit) = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (n as f64 / 1e6, "MB/s"),
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => {
                (n as f64, "elem/s")
            }
            Throughput::Bits(n) => (n as f64 / 1e6, "Mb/s"),
        };
        let _ = typical;
        for v in values {
            *v = per_iter * 1e9 / *v;
        }
        unit
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
