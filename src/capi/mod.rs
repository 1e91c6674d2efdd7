//! The C ABI of libESMTP 1.1: the only place with `extern "C"`.
