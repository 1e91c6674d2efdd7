//! Stable-Rust fuzz smoke: drives the same target bodies as the cargo-fuzz
//! targets (`fuzz/src/lib.rs`) with a deterministic xorshift generator for a
//! bounded number of iterations, plus every committed seed of
//! `fuzz/corpus/<target>/`. Run: `cargo test --release --test fuzz_smoke`.
//! `FUZZ_SMOKE_ITERS` scales the iteration count (default 60000 per target, about 1.5 s in release).

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// Generators for this test on top of the shared `Rng`.
trait Gen {
    fn input(&mut self, seeds: &[Vec<u8>], max: usize) -> Vec<u8>;
}

impl Gen for Rng {
    /// An input: random bytes, bytes from an SMTP-ish alphabet, or a seed
    /// with random splices (mutation), mixed.
    fn input(&mut self, seeds: &[Vec<u8>], max: usize) -> Vec<u8> {
        const ALPHA: &[u8] = b"0123456789 -.\r\n\r\n\r\n250-2.1.0 421 354 AUTH PLAIN LOGIN CRAM-MD5 SIZE DSN 8BITMIME PIPELINING CHUNKING ENHANCEDSTATUSCODES\t:.\0\xff\xc3";
        let mut v = match self.below(3) {
            0 if !seeds.is_empty() => seeds[self.below(seeds.len() as u64) as usize].clone(),
            _ => Vec::new(),
        };
        let n = self.below(max as u64 + 1) as usize;
        let raw = self.below(4) == 0;
        for _ in 0..n {
            let b = if raw {
                self.next() as u8
            } else {
                ALPHA[self.below(ALPHA.len() as u64) as usize]
            };
            if v.is_empty() || self.below(3) == 0 {
                v.push(b);
            } else {
                let at = self.below(v.len() as u64) as usize;
                match self.below(3) {
                    0 => v[at] = b,
                    1 => v.insert(at, b),
                    _ => {
                        v.remove(at);
                    }
                }
            }
        }
        v
    }
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if let Ok(b) = std::fs::read(&p) {
                out.push(b);
            }
        }
    }
    assert!(!out.is_empty(), "no seed corpus in {}", dir.display());
    out
}

fn iters() -> u64 {
    std::env::var("FUZZ_SMOKE_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60_000)
}

fn run(target: &str, seed: u64, max: usize, f: fn(&[u8])) {
    let corpus = seeds(target);
    for s in &corpus {
        f(s);
    }
    let mut rng = Rng(seed);
    let n = iters();
    for i in 0..n {
        let input = rng.input(&corpus, max);
        // A failing input is printed so it can be added to the corpus.
        let r = std::panic::catch_unwind(|| f(&input));
        if r.is_err() {
            panic!(
                "{target}: iteration {i} failed on input {:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }
    eprintln!("{target}: {} seeds + {n} generated inputs", corpus.len());
}

#[test]
fn fuzz_smoke_reply() {
    run("reply", 0x1234_5678_9abc_def1, 600, targets::reply);
}

#[test]
fn fuzz_smoke_ehlo() {
    run("ehlo", 0x0bad_cafe_f00d_0001, 600, targets::ehlo);
}

#[test]
fn fuzz_smoke_message() {
    run("message", 0x5eed_0000_0000_0003, 800, targets::message);
}

#[test]
fn fuzz_smoke_headers() {
    run("headers", 0x5eed_0000_0000_0004, 400, targets::headers);
}

#[test]
fn fuzz_smoke_sasl() {
    run("sasl", 0x5eed_0000_0000_0005, 300, targets::sasl);
}
