//! The local node name (uname), libESMTP's default EHLO name.
