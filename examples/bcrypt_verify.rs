//! Prints the seconds one bcrypt verification takes at a cost (default 12),
//! the best of several runs: the benchmark's yardstick for token issuance.
//!
//! `cargo run --release --example bcrypt_verify -- 12`

use std::time::Instant;

fn main() {
    let cost: u32 = std::env::args()
        .nth(1)
        .map_or(12, |c| c.parse().expect("cost must be a number"));
    let hash = bcrypt::hash("benchmark-password-1", cost).expect("hashing");
    let best = (0..5)
        .map(|_| {
            let start = Instant::now();
            assert!(bcrypt::verify("benchmark-password-1", &hash).expect("verifying"));
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    println!("{best:.6}");
}
