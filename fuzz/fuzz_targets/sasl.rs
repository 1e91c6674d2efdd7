//! cargo-fuzz target: `sasl` (body and invariants in fuzz/src/lib.rs, shared
//! with the stable smoke test tests/fuzz_smoke.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    esmtp_fuzz::sasl(data);
});
