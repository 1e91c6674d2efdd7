//! C ABI: recipient.
