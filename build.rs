//! Compiles the C shim that defines libESMTP's two variadic entry points.
fn main() {
    println!("cargo:rerun-if-changed=src/capi/shim/varargs.c");
    cc::Build::new()
        .file("src/capi/shim/varargs.c")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .compile("esmtp_shim");
}
