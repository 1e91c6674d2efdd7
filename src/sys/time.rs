//! Local time (localtime_r), for the Date header.
