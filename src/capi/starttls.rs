//! C ABI: starttls.
