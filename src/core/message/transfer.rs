//! Sending one message's content: DATA (headers, body, dot-stuffing, terminator) and BDAT chunks.
