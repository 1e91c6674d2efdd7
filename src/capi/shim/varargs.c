/* The two variadic entry points of libESMTP; everything else is Rust. */
