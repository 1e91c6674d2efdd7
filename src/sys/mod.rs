//! Safe wrappers around the few libc services the core needs: the system
//! resolver, local time and the node name. The only unsafe code outside
//! `capi`.

pub mod connect_limit;
pub mod host;
pub mod mem;
pub mod net;
pub mod resolver;
pub mod time;
pub mod user;
