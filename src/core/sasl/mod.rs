//! SASL client mechanisms (PLAIN, LOGIN, CRAM-MD5, EXTERNAL, NTLM).
